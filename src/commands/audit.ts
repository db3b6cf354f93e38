// TEMPORARY stub: the owning helper replaces this file. Keep the exported name.
import type { Command } from "commander";

export function registerAudit(program: Command): void {
  program.command("audit").description("(not built yet)").action(() => {
    throw new Error("gatewayctl audit is not built yet");
  });
}
