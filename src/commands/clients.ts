// TEMPORARY stub: the owning helper replaces this file. Keep the exported name.
import type { Command } from "commander";

export function registerClients(program: Command): void {
  program.command("clients").description("(not built yet)").action(() => {
    throw new Error("gatewayctl clients is not built yet");
  });
}
