import { OPENCLAW_MAIN_AGENT_ID, OPENCLAW_PRIVATE_AGENT_ID, OPENCLAW_PRIVATE_PROVIDER_ID, OPENCLAW_PROVIDER_ID, type OpenClawSettings } from "./openclaw.js";

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
  const privateProvider = generated.models.providers[OPENCLAW_PRIVATE_PROVIDER_ID];
  if (privateProvider) {
    changes.push(`${providers[OPENCLAW_PRIVATE_PROVIDER_ID] === undefined ? "added" : "replaced"} models.providers.${OPENCLAW_PRIVATE_PROVIDER_ID} (the private agent's own key, ${privateProvider.apiKey.id})`);
    providers[OPENCLAW_PRIVATE_PROVIDER_ID] = privateProvider;
  }

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
    const allow = isObject(defaults.modelPolicy) ? defaults.modelPolicy.allow : undefined;
    if (Array.isArray(allow) && allow.length > 0 && !allow.some((a) => a === now || a === `${OPENCLAW_PROVIDER_ID}/*`)) {
      warnings.push(
        `agents.defaults.modelPolicy.allow does not list ${now}; add "${OPENCLAW_PROVIDER_ID}/*" to it so /model can pick the gateway's aliases`,
      );
    }
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
        `(${entry.model.primary} in every slot, no fallbacks, no command, file or network tools)`,
    );
    target[OPENCLAW_PRIVATE_AGENT_ID] = entry;
    if (agents.ownership !== "explicit") markDefaultAgent(agents, target, changes, warnings);
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

/**
 * A second agent makes the roster multi-agent, which OpenClaw accepts only with `agents.ownership: "explicit"` or one
 * legacy `default: true` marker. Without either, mark the agent that was the default so far (the sole entry, or an
 * added `main`): OpenClaw turns the marker into explicit ownership itself, keeping channels on that agent.
 */
function markDefaultAgent(agents: Obj, entries: Obj, changes: string[], warnings: string[]): void {
  const legacy = Array.isArray(agents.list) ? agents.list : [];
  const marked =
    Object.values(entries).some((e) => isObject(e) && e.default === true) || legacy.some((a) => isObject(a) && a.default === true);
  if (marked) return;
  const others = Object.keys(entries).filter((id) => id !== OPENCLAW_PRIVATE_AGENT_ID);
  if (others.length === 0 && legacy.length === 0) {
    entries[OPENCLAW_MAIN_AGENT_ID] = { default: true };
    changes.push(
      `added agents.entries.${OPENCLAW_MAIN_AGENT_ID} with default: true, so your chats stay on the default agent, not the private one`,
    );
  } else if (others.length === 1 && legacy.length === 0) {
    const id = others[0] as string;
    const e = entries[id];
    if (isObject(e)) e.default = true;
    changes.push(`marked agents.entries.${id} default: true (it was your only agent), so your chats stay on it`);
  } else {
    warnings.push(
      "the agent roster has several agents but neither agents.ownership nor a default marker; run `openclaw doctor --fix`",
    );
    return;
  }
  changes.push("OpenClaw converts the default marker into explicit ownership when it loads; `openclaw doctor --fix` makes that permanent");
}
