// TEMPORARY stub: the owning helper replaces this file. Keep the exported name.
import type { Command } from "commander";

export function registerInit(program: Command): void {
  program.command("init").description("(not built yet)").action(() => {
    throw new Error("gatewayctl init is not built yet");
  });
}
