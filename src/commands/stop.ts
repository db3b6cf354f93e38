import type { Command } from "commander";
import { runtimeTargetFromFlags, withRuntimeTargetOptions } from "./runtime-target.js";

export function registerStop(program: Command): void {
  withRuntimeTargetOptions(
    program
      .command("stop")
      .description("stop the gateway (SIGTERM, then SIGKILL after 10 s for the process runtime); keeps its log"),
  )
    .option("--json", "print one JSON object")
    .action(async (raw: Record<string, unknown>) => {
      const { getRuntime } = await import("../runtime/runtime.js");
      const { stdout, stderr, printJson } = await import("../lib/output.js");
      const { flags, target } = await runtimeTargetFromFlags<{ json?: boolean }>(raw, (z) => ({ json: z.boolean().optional() }), (line) => stderr(line));
      const runtime = await getRuntime(target.kind);
      const result = await runtime.stop(target.context);
      if (flags.json) {
        printJson({ runtime: target.kind, ...result });
        return;
      }
      stdout(result.stopped ? `gateway stopped (${target.kind}${result.id ? `, ${target.kind === "process" ? "pid" : "container"} ${result.id}` : ""})` : `gateway was not running (${target.kind})`);
    });
}
