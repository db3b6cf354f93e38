import { z } from "zod";
import { InputError } from "../lib/errors.js";
import { CLOUD_PROVIDERS as CLOUDS, INIT_CLIENT_CHOICES, LANE_KEYS as LANES } from "./catalog.js";
import type { InitOptions } from "./run-init.js";

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
  port: z.coerce.number({ error: () => "--port is a number" }).int("--port is a whole number").min(1, "--port is 1 to 65535").max(65535, "--port is 1 to 65535").optional(),
  clients: z
    .array(z.enum(INIT_CLIENT_CHOICES, { error: () => `--clients: clients are ${INIT_CLIENT_CHOICES.join(", ")} (or none)` }))
    .transform((cs) => INIT_CLIENT_CHOICES.filter((c) => cs.includes(c)))
    .optional(),
});


/** Flags of `gatewayctl init`, validated (zod loads only when init runs). */
export function parseInitFlags(flags: Record<string, unknown>): InitOptions & { json: boolean } {
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
    port: flags.port,
    clients: list(flags.clients),
  });
  if (!parsed.success) {
    throw new InputError(parsed.error.issues.map((i) => i.message).join("; "), {
      code: "INIT_OPTIONS",
      hint: "run gatewayctl init --help",
    });
  }
  return parsed.data;
}
