// TEMPORARY stub: the owning helper replaces this file. Keep the exported name.
import type { Command } from "commander";

export function registerStatus(program: Command): void {
  program.command("status").description("(not built yet)").action(() => {
    throw new Error("gatewayctl status is not built yet");
  });
}
