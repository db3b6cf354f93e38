// TEMPORARY stub: the owning helper replaces this file. Keep the exported name.
import type { Command } from "commander";

export function registerTestRoutes(program: Command): void {
  program.command("test-routes").description("(not built yet)").action(() => {
    throw new Error("gatewayctl test-routes is not built yet");
  });
}
