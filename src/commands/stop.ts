// TEMPORARY stub: the owning helper replaces this file. Keep the exported name.
import type { Command } from "commander";

export function registerStop(program: Command): void {
  program.command("stop").description("(not built yet)").action(() => {
    throw new Error("gatewayctl stop is not built yet");
  });
}
