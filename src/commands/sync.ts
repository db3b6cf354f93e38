// TEMPORARY stub: the owning helper replaces this file. Keep the exported names.
import type { Command } from "commander";

export function registerSync(program: Command): void {
  program.command("sync").description("(not built yet)").action(() => {
    throw new Error("gatewayctl sync is not built yet");
  });
}

export function registerRollback(program: Command): void {
  program.command("rollback").description("(not built yet)").action(() => {
    throw new Error("gatewayctl rollback is not built yet");
  });
}
