import type { Command } from "commander";

import { CLOUD_PROVIDERS as CLOUDS, DEFAULT_INIT_CLIENTS, INIT_CLIENT_CHOICES, LANE_KEYS as LANES } from "../wizard/catalog.js";

export function registerInit(program: Command): void {
  program
    .command("init")
    .description("create gateway.policy.yaml with a wizard (or --yes and flags), plus .env.example and .gitignore entries")
    .option("-y, --yes", "ask nothing: use the flags and defaults")
    .option("--force", "overwrite an existing policy (never an existing secrets file)")
    .option("--dir <dir>", "directory to write into", ".")
    .option("--policy <file>", "policy file to write (default <dir>/gateway.policy.yaml)")
    .option("--lanes <lanes>", `work lanes, comma-separated: ${LANES.join(",")} (default all five)`)
    .option("--cloud-lanes <lanes>", "lanes that may use the cloud providers (default routine,web,premium)")
    .option("--local-type <type>", "ollama | openai-compatible (default ollama)")
    .option("--local-url <url>", "local model server (default http://127.0.0.1:11434 for Ollama)")
    .option("--local-model <name>", "local model for every lane (default: the first installed one)")
    .option("--cloud <providers>", `cloud providers to allow: ${CLOUDS.join(",")} or none (default none)`)
    .option("--secrets-provider <provider>", "env | env-file | command (default env-file)")
    .option("--secrets-file <file>", "env-file: the secrets file, relative to the policy's directory (default secrets.env)")
    .option("--secrets-command <template>", "command: e.g. 'pass show gateway/{name}'")
    .option("--no-create-secrets", "do not create the secrets file")
    .option("--runtime <runtime>", "docker | process (default docker)")
    .option("--port <port>", "the port the gateway listens on (default 4000)")
    .option("--clients <clients>", `clients that get a policy entry and a key of their own, comma-separated: ${INIT_CLIENT_CHOICES.join(",")} (default ${DEFAULT_INIT_CLIENTS.join(",")})`)
    .option("--json", "print one JSON object")
    .action(async (flags: Record<string, unknown>) => {
      const { parseInitFlags } = await import("../wizard/init-options.js");
      const options = parseInitFlags(flags);
      const { runInit, renderInitReport } = await import("../wizard/run-init.js");
      renderInitReport(await runInit(options), options.json);
    });
}
