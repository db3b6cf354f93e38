import type { Command } from "commander";
import { runtimeTargetFromFlags, withRuntimeTargetOptions } from "./runtime-target.js";

export function registerLogs(program: Command): void {
  withRuntimeTargetOptions(program.command("logs").description("print the gateway's log; -f follows it until Ctrl-C"))
    .option("-f, --follow", "keep printing new lines until interrupted")
    .option("--tail <n>", "only the last N lines")
    .option("--json", "print one JSON object with the lines (with -f: one JSON object a line, as they come)")
    .action(async (raw: Record<string, unknown>) => {
      const { registerSecretsForRedaction } = await import("../runtime/start-gateway.js");
      const { getRuntime } = await import("../runtime/runtime.js");
      const { stdout, printJson, redact } = await import("../lib/output.js");
      const { flags, target } = await runtimeTargetFromFlags<{ follow?: boolean; tail?: number; json?: boolean }>(raw, (z) => ({
        follow: z.boolean().optional(),
        tail: z.coerce.number().int().nonnegative().optional(),
        json: z.boolean().optional(),
      }));
      const collected: string[] = [];
      const splitLines = (chunk: string): string[] => chunk.split("\n").filter((l, i, all) => !(i === all.length - 1 && l === ""));
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
          // chunks are whole lines; stdout() and printJson() redact them
          write: (chunk) => {
            if (!flags.json) stdout(chunk);
            else if (flags.follow) for (const line of splitLines(chunk)) stdout(JSON.stringify({ runtime: target.kind, line: redact(line) }));
            else collected.push(...splitLines(chunk));
          },
          signal: controller.signal,
        });
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
      if (flags.json && !flags.follow) printJson({ runtime: target.kind, lines: collected });
    });
}
