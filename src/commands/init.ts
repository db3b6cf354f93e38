import type { Command } from "commander";
import { z } from "zod";

const LANES = ["private", "routine", "coding", "web", "premium"] as const;
const CLOUDS = ["openai", "anthropic", "openrouter"] as const;

/** `a,b c` -> [a, b, c]; `none` or empty -> [] */
function list(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : [value])
    .flatMap((v) => String(v).split(/[,\s]+/))
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
  return items.length === 1 && items[0] === "none" ? [] : items;
}

const lanesList = (flag: string) =>
  z
    .array(z.enum(LANES, { error: () => `${flag}: lanes are ${LANES.join(", ")}` }))
    .transform((ls) => LANES.filter((l) => ls.includes(l)));

const OptionsSchema = z.strictObject({
  yes: z.boolean(),
  force: z.boolean(),
  json: z.boolean(),
  dir: z.string().min(1),
  policy: z.string().min(1).optional(),
  lanes: lanesList("--lanes").refine((l) => l.length > 0, "--lanes: choose at least one lane").optional(),
  cloudLanes: lanesList("--cloud-lanes").optional(),
  localType: z.enum(["ollama", "openai-compatible"], { error: () => "--local-type is ollama or openai-compatible" }).optional(),
  localUrl: z.string().min(1).optional(),
  localModel: z.string().min(1).optional(),
  cloud: z.array(z.enum(CLOUDS, { error: () => `--cloud: providers are ${CLOUDS.join(", ")} (or none)` })).optional(),
  secretsProvider: z.enum(["env", "env-file", "command"], { error: () => "--secrets-provider is env, env-file or command" }).optional(),
  secretsFile: z.string().min(1).optional(),
  secretsCommand: z.string().min(1).optional(),
  createSecrets: z.boolean(),
  runtime: z.enum(["docker", "process"], { error: () => "--runtime is docker or process" }).optional(),
});

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
    .option("--json", "print one JSON object")
    .action(async (flags: Record<string, unknown>) => {
      const { InputError } = await import("../lib/errors.js");
      const parsed = OptionsSchema.safeParse({
        yes: flags.yes === true,
        force: flags.force === true,
        json: flags.json === true,
        dir: flags.dir,
        policy: flags.policy,
        lanes: list(flags.lanes),
        cloudLanes: list(flags.cloudLanes),
        localType: flags.localType,
        localUrl: flags.localUrl,
        localModel: flags.localModel,
        cloud: list(flags.cloud),
        secretsProvider: flags.secretsProvider,
        secretsFile: flags.secretsFile,
        secretsCommand: flags.secretsCommand,
        createSecrets: flags.createSecrets !== false,
        runtime: flags.runtime,
      });
      if (!parsed.success) {
        throw new InputError(parsed.error.issues.map((i) => i.message).join("; "), {
          code: "INIT_OPTIONS",
          hint: "run gatewayctl init --help",
        });
      }
      const { runInit, renderInitReport } = await import("../wizard/run-init.js");
      renderInitReport(await runInit(parsed.data), parsed.data.json);
    });
}
