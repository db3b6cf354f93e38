import type { Command } from "commander";
import { runtimeTargetFromFlags, withRuntimeTargetOptions } from "./runtime-target.js";

export function registerLogs(program: Command): void {
  withRuntimeTargetOptions(program.command("logs").description("print the gateway's log; -f follows it until Ctrl-C"))
    .option("-f, --follow", "keep printing new lines until interrupted")
    .option("--tail <n>", "only the last N lines")
    .action(async (raw: Record<string, unknown>) => {
      const { registerSecretsForRedaction } = await import("../runtime/start-gateway.js");
      const { getRuntime } = await import("../runtime/runtime.js");
      const { stdout } = await import("../lib/output.js");
      const { flags, target } = await runtimeTargetFromFlags<{ follow?: boolean; tail?: number }>(raw, (z) => ({
        follow: z.boolean().optional(),
        tail: z.coerce.number().int().nonnegative().optional(),
      }));
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
