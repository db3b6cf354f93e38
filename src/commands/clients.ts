import type { Command } from "commander";
import { CLIENT_NAMES as CLIENTS } from "../clients/names.js";

export function registerClients(program: Command): void {
  program
    .command("clients")
    .description("write a client's config pointing at the gateway (route aliases only): " + CLIENTS.join(", "))
    .argument("<client>", CLIENTS.join(" | "))
    .option("--policy <file>", "policy file", "gateway.policy.yaml")
    .option("--out <file>", "write the config to this file instead of printing it")
    .option("--merge <file>", "openclaw only: merge into this openclaw.json (JSON5), keeping your other settings")
    .option("--base-url <url>", "the gateway URL as the client sees it (default http://<bind>:<port>/v1)")
    .option("--client <name>", "the policy's client (clients:) whose own key and aliases the config uses (default: the client of the same name; scripts for env)")
    .option("--check [openclaw.json]", "openclaw only: report whether Docker and OpenClaw's sandbox image are reachable here (and which agents of the file need them)")
    .option("--json", "print one JSON object")
    .action(async (client: string, flags: Record<string, unknown>) => {
      const { parseClientsFlags, runClients } = await import("../clients/command.js");
      await runClients(parseClientsFlags(client, flags));
    });
}
