// TEMPORARY stub: the owning helper replaces this file. Keep the exported name.
import type { Command } from "commander";

export function registerBuild(program: Command): void {
  program.command("build").description("(not built yet)").action(() => {
    throw new Error("gatewayctl build is not built yet");
  });
}
