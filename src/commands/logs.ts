import type { Command } from "commander";

export function registerLogs(program: Command): void {
  program
    .command("logs")
    .description("print the gateway's log; -f follows it until Ctrl-C")
    .option("--policy <file>", "policy file", "gateway.policy.yaml")
    .option("--runtime <kind>", "docker or process (default: the policy's gateway.runtime)")
    .option("--dir <dir>", "runtime directory (default: the policy's runtime.dir)")
    .option("-f, --follow", "keep printing new lines until interrupted")
    .option("--tail <n>", "only the last N lines")
    .action(async (raw: Record<string, unknown>) => {
      const { z } = await import("zod");
      const { parseFlags, resolveRuntimeTarget, registerSecretsForRedaction } = await import("../runtime/start-gateway.js");
      const { getRuntime } = await import("../runtime/runtime.js");
      const { stdout } = await import("../lib/output.js");
      const flags = parseFlags(
        z.object({
          policy: z.string().min(1),
          runtime: z.enum(["docker", "process"]).optional(),
          dir: z.string().min(1).optional(),
          follow: z.boolean().optional(),
          tail: z.coerce.number().int().nonnegative().optional(),
        }),
        raw,
      );
      const target = await resolveRuntimeTarget({
        policyFile: flags.policy,
        ...(flags.runtime ? { runtime: flags.runtime } : {}),
        ...(flags.dir ? { dir: flags.dir } : {}),
      });
      await registerSecretsForRedaction(target);
      const runtime = await getRuntime(target.kind);
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        await runtime.logs({
          ...target.context,
          follow: flags.follow ?? false,
          ...(flags.tail !== undefined ? { tail: flags.tail } : {}),
          // chunks are whole lines; stdout() redacts them
          write: (chunk) => stdout(chunk),
          signal: controller.signal,
        });
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}
