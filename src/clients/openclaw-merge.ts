import { OPENCLAW_PRIVATE_AGENT_ID, OPENCLAW_PROVIDER_ID, type OpenClawSettings } from "./openclaw.js";

/**
 * Pure: merges gatewayctl's OpenClaw settings into a user's existing config object. gatewayctl owns exactly
 * `models.providers.litellm`, `agents.defaults.model` and `agents.entries.private`; everything else is kept as is.
 */
export interface OpenClawMergeResult {
  config: Record<string, unknown>;
  /** what was replaced or added, for the person running the command */
  changes: string[];
  /** things in the user's config that undercut the gateway's privacy or will not work */
  warnings: string[];
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function child(parent: Obj, key: string): Obj {
  const v = parent[key];
  if (isObject(v)) return v;
  const fresh: Obj = {};
  parent[key] = fresh;
  return fresh;
}

function describeModel(v: unknown): string {
  if (typeof v === "string") return v;
  if (isObject(v) && typeof v.primary === "string") return v.primary;
  return JSON.stringify(v);
}

/** The media model settings under agents.defaults that every agent (the private one included) uses. */
export const SHARED_MEDIA_MODEL_KEYS = ["imageModel", "pdfModel", "voiceModel", "mediaModels"] as const;

export function mergeOpenClawConfig(existing: Obj, generated: OpenClawSettings): OpenClawMergeResult {
  const config = structuredClone(existing);
  const changes: string[] = [];
  const warnings: string[] = [];

  const models = child(config, "models");
  if (models.mode === undefined) models.mode = generated.models.mode;
  const providers = child(models, "providers");
  changes.push(
    `${providers[OPENCLAW_PROVIDER_ID] === undefined ? "added" : "replaced"} models.providers.${OPENCLAW_PROVIDER_ID} ` +
      `(${generated.models.providers.litellm.models.length} route aliases, ${generated.models.providers.litellm.baseUrl})`,
  );
  providers[OPENCLAW_PROVIDER_ID] = generated.models.providers.litellm;

  const agents = child(config, "agents");
  if (generated.agents.defaults) {
    const defaults = child(agents, "defaults");
    const before = defaults.model;
    defaults.model = generated.agents.defaults.model;
    const now = generated.agents.defaults.model.primary;
    changes.push(
      before === undefined
        ? `set agents.defaults.model to ${now}`
        : `replaced agents.defaults.model (was ${describeModel(before)}) with ${now}, no fallbacks`,
    );
    for (const key of SHARED_MEDIA_MODEL_KEYS) {
      if (defaults[key] !== undefined) {
        warnings.push(
          `agents.defaults.${key} is set (${describeModel(defaults[key])}); it serves every agent, the private one too. ` +
            `Point it at a local alias (${OPENCLAW_PROVIDER_ID}/<local-only alias>) or remove it.`,
        );
      }
    }
  }

  const entry = generated.agents.entries?.[OPENCLAW_PRIVATE_AGENT_ID];
  const entries = agents.entries;
  if (entry) {
    const target = child(agents, "entries");
    changes.push(
      `${target[OPENCLAW_PRIVATE_AGENT_ID] === undefined ? "added" : "replaced"} agents.entries.${OPENCLAW_PRIVATE_AGENT_ID} ` +
        `(${entry.model.primary}, no fallbacks, sandboxed, exec denied)`,
    );
    target[OPENCLAW_PRIVATE_AGENT_ID] = entry;
  } else if (isObject(entries) && entries[OPENCLAW_PRIVATE_AGENT_ID] !== undefined) {
    warnings.push(
      `the policy has no local-only alias, so agents.entries.${OPENCLAW_PRIVATE_AGENT_ID} was left as it was; ` +
        `check that its model still exists`,
    );
  }
  if (Array.isArray(agents.list)) {
    const clash = agents.list.some((a) => isObject(a) && a.id === OPENCLAW_PRIVATE_AGENT_ID);
    warnings.push(
      clash
        ? `agents.list (the legacy array) also defines an agent "${OPENCLAW_PRIVATE_AGENT_ID}"; OpenClaw migrates agents.list ` +
            `into agents.entries, so remove that one from agents.list (run \`openclaw doctor --fix\` to migrate the rest)`
        : `agents.list is the legacy form of agents.entries; run \`openclaw doctor --fix\` to migrate it`,
    );
  }
  return { config, changes, warnings };
}
