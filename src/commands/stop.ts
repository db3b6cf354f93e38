import type { Command } from "commander";

export function registerStop(program: Command): void {
  program
    .command("stop")
    .description("stop the gateway (SIGTERM, then SIGKILL after 10 s for the process runtime); keeps its log")
    .option("--policy <file>", "policy file", "gateway.policy.yaml")
    .option("--runtime <kind>", "docker or process (default: the policy's gateway.runtime)")
    .option("--dir <dir>", "runtime directory (default: the policy's runtime.dir)")
    .option("--json", "print one JSON object")
    .action(async (raw: Record<string, unknown>) => {
      const { z } = await import("zod");
      const { parseFlags, resolveRuntimeTarget } = await import("../runtime/start-gateway.js");
      const { getRuntime } = await import("../runtime/runtime.js");
      const { stdout, stderr, printJson } = await import("../lib/output.js");
      const flags = parseFlags(
        z.object({
          policy: z.string().min(1),
          runtime: z.enum(["docker", "process"]).optional(),
          dir: z.string().min(1).optional(),
          json: z.boolean().optional(),
        }),
        raw,
      );
      const target = await resolveRuntimeTarget({
        policyFile: flags.policy,
        ...(flags.runtime ? { runtime: flags.runtime } : {}),
        ...(flags.dir ? { dir: flags.dir } : {}),
        onProgress: (line) => stderr(line),
      });
      const runtime = await getRuntime(target.kind);
      const result = await runtime.stop(target.context);
      if (flags.json) {
        printJson({ runtime: target.kind, ...result });
        return;
      }
      stdout(result.stopped ? `gateway stopped (${target.kind}${result.id ? `, ${target.kind === "process" ? "pid" : "container"} ${result.id}` : ""})` : `gateway was not running (${target.kind})`);
    });
}
