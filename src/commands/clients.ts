import type { Command } from "commander";
import { z } from "zod";

const CLIENTS = ["openclaw", "continue", "open-webui", "aider", "env"] as const;

const OptionsSchema = z.strictObject({
  client: z.enum(CLIENTS, { error: () => `the client is one of: ${CLIENTS.join(", ")}` }),
  policy: z.string().min(1),
  out: z.string().min(1).optional(),
  merge: z.string().min(1).optional(),
  baseUrl: z.string().min(1).optional(),
  json: z.boolean(),
});

export function registerClients(program: Command): void {
  program
    .command("clients")
    .description("write a client's config pointing at the gateway (route aliases only): " + CLIENTS.join(", "))
    .argument("<client>", CLIENTS.join(" | "))
    .option("--policy <file>", "policy file", "gateway.policy.yaml")
    .option("--out <file>", "write the config to this file instead of printing it")
    .option("--merge <file>", "openclaw only: merge into this openclaw.json (JSON5), keeping your other settings")
    .option("--base-url <url>", "the gateway URL as the client sees it (default http://<bind>:<port>/v1)")
    .option("--json", "print one JSON object")
    .action(async (client: string, flags: Record<string, unknown>) => {
      const { InputError } = await import("../lib/errors.js");
      const parsed = OptionsSchema.safeParse({ ...flags, client, json: flags.json === true });
      if (!parsed.success) {
        throw new InputError(parsed.error.issues.map((i) => i.message).join("; "), {
          code: "CLIENTS_OPTIONS",
          hint: "run gatewayctl clients --help",
        });
      }
      const { runClients } = await import("../clients/command.js");
      await runClients(parsed.data);
    });
}
