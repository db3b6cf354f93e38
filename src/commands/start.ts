// TEMPORARY stub: the owning helper replaces this file. Keep the exported name.
import type { Command } from "commander";

export function registerStart(program: Command): void {
  program.command("start").description("(not built yet)").action(() => {
    throw new Error("gatewayctl start is not built yet");
  });
}
