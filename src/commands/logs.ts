// TEMPORARY stub: the owning helper replaces this file. Keep the exported name.
import type { Command } from "commander";

export function registerLogs(program: Command): void {
  program.command("logs").description("(not built yet)").action(() => {
    throw new Error("gatewayctl logs is not built yet");
  });
}
