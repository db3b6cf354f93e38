/**
 * The client proof (pure): every model slot of every client config names an alias the key of that config may use,
 * and a slot that must stay private (a private preset or agent, or a slot that follows whatever main model the user
 * picks) names only local-only aliases. `build` runs it on the client files it writes; `audit --clients DIR` on a
 * directory of client files. A client has several slots (aider: main, weak, editor; OpenClaw: primary, fallbacks,
 * utility, decision, image, pdf, ...; Continue: one per role), and a private setup is private only if every slot is.
 */
import JSON5 from "json5";
import { parse as parseYaml } from "yaml";
import type { RouteMap } from "../artifact/types.js";
import { parseToml } from "./toml.js";
import { CLIENT_KEY_ENV, localOnlyRoutes } from "./routes.js";

/** A JSON5 file: plain JSON (what gatewayctl writes) through the fast native parser, anything else through JSON5. */
function parseJson5(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return JSON5.parse(text) as unknown;
  }
}

/** One model slot of one client file. */
export interface ClientSlot {
  file: string;
  /** where in the file, e.g. `weak-model` or `agents.entries.private.model.primary` */
  slot: string;
  /** the value as written (`openai/coding`, `litellm/secure-core`) */
  value: string;
  /** the route alias it names (undefined: it names no gateway alias, e.g. another provider) */
  alias?: string;
  /** the key variable the client sends with this slot's requests */
  keySecret: string;
  /** why the slot must be local-only, when it must */
  mustBeLocal?: string;
}

export interface ClientProblem {
  file: string;
  slot: string;
  message: string;
  hint: string;
}

export interface ClientProof {
  ok: boolean;
  /** the client files recognised and checked */
  files: string[];
  slots: ClientSlot[];
  problems: ClientProblem[];
}

export interface ClientFile {
  /** path as shown in messages; its base name decides the format */
  path: string;
  content: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function baseName(path: string): string {
  return path.split("/").pop() ?? path;
}

/** A file name marks a private preset: `aider.private.conf.yml`, `continue.private.yaml`, `private.env.sh`. */
export function isPrivatePreset(path: string): boolean {
  return /(^|[.\-_])private([.\-_]|$)/.test(baseName(path));
}

const PRIVATE_PRESET = "the file is a private preset";
const UNPARSEABLE = "\u0000unparseable";

/** The key variable named in a `${NAME}`, `$NAME`, `${{ secrets.NAME }}` or `{env:NAME}` reference. */
function keyRef(value: unknown): string | undefined {
  if (isObj(value) && value.source === "env") return str(value.id);
  const s = str(value);
  if (!s) return undefined;
  const m = /^\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$|^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$|^\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(s.trim());
  return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
}

/** `NAME` from a header line saying `export OPENAI_API_KEY="$NAME"` (formats that keep the key out of the file). */
function headerKey(content: string, variable: string): string | undefined {
  const m = new RegExp(`${variable}="\\$\\{?([A-Za-z_][A-Za-z0-9_]*)`).exec(content);
  return m?.[1];
}

type Extractor = (file: ClientFile, map: RouteMap) => ClientSlot[];

const stripPrefix = (value: string, prefix: string): string | undefined => (value.startsWith(prefix) ? value.slice(prefix.length) : undefined);

/**
 * aider (`.aider.conf.yml`): model, weak-model, editor-model, each `openai/<alias>`. `aider --model X` replaces only
 * the main model, so a weak or editor model pinned in the file serves whatever main model the user picks, a
 * local-only one included: it must be local-only whenever the key may use a local-only alias (or be left unset:
 * aider then uses the main model).
 */
const aider: Extractor = (file, map) => {
  const doc = parseYaml(file.content) as unknown;
  if (!isObj(doc)) return [];
  const keySecret = headerKey(file.content, "OPENAI_API_KEY") ?? CLIENT_KEY_ENV;
  const preset = isPrivatePreset(file.path);
  const follows = hasLocalOnly(map, keySecret)
    ? "aider --model replaces only the main model: this slot then serves a local-only main model's work (diffs, code) too"
    : undefined;
  const slots: ClientSlot[] = [];
  for (const slot of ["model", "weak-model", "editor-model"]) {
    const value = str(doc[slot]);
    if (value === undefined) continue;
    const mustBeLocal = preset ? PRIVATE_PRESET : slot === "model" ? undefined : follows;
    slots.push({ file: file.path, slot, value, alias: stripPrefix(value, "openai/"), keySecret, ...(mustBeLocal ? { mustBeLocal } : {}) });
  }
  return slots;
};

/**
 * aider's model settings (`.aider.model.settings.yml`): a list of {name, weak_model_name, editor_model_name}. A
 * weak or editor model other than the entry's own serves that main model's work.
 */
const aiderSettings: Extractor = (file, map) => {
  const doc = parseYaml(file.content) as unknown;
  if (!Array.isArray(doc)) return [];
  const follows = hasLocalOnly(map, CLIENT_KEY_ENV) ? "it serves the work of the main model it belongs to, which may be local-only" : undefined;
  return doc.flatMap((m, i): ClientSlot[] => {
    if (!isObj(m) || typeof m.name !== "string") return [];
    const out: ClientSlot[] = [];
    for (const slot of ["weak_model_name", "editor_model_name"]) {
      const v = str(m[slot]);
      if (v === undefined || v === m.name) continue;
      out.push({ file: file.path, slot: `[${i}].${slot} (of ${m.name})`, value: v, alias: stripPrefix(v, "openai/"), keySecret: CLIENT_KEY_ENV, ...(follows ? { mustBeLocal: follows } : {}) });
    }
    return out;
  });
};

/** Continue (`config.yaml`): each model's `model` is an alias, its `apiKey` names the key; `roles` are the slots. */
const continueYaml: Extractor = (file, map) => {
  const doc = parseYaml(file.content) as unknown;
  if (!isObj(doc) || !Array.isArray(doc.models)) return [];
  const preset = isPrivatePreset(file.path);
  const slots: ClientSlot[] = [];
  doc.models.forEach((m, i) => {
    if (!isObj(m) || typeof m.model !== "string") return;
    const keySecret = keyRef(m.apiKey) ?? CLIENT_KEY_ENV;
    const roles = Array.isArray(m.roles) ? m.roles.map(String) : ["chat", "edit", "apply"];
    for (const role of roles) {
      // autocomplete and apply/edit serve whatever file is open, not a model the user picks for the work
      const follows = role === "autocomplete" && hasLocalOnly(map, keySecret) ? "autocomplete sends the code around the cursor of every file, private ones included" : undefined;
      const mustBeLocal = preset ? PRIVATE_PRESET : follows;
      slots.push({ file: file.path, slot: `models[${i}] (${role})`, value: m.model, alias: m.model, keySecret, ...(mustBeLocal ? { mustBeLocal } : {}) });
    }
  });
  return slots;
};

/** Gateway providers in an OpenClaw file: gatewayctl's own provider ids. */
const OPENCLAW_GATEWAY_PROVIDERS = ["litellm", "litellm-private"];
const OPENCLAW_PRIVATE_AGENT = "private";
/** Model settings under agents.defaults that serve every agent, the private one included. */
const OPENCLAW_SHARED_SLOTS = ["imageModel", "pdfModel", "voiceModel", "utilityModel", "decisionModel"];

/**
 * OpenClaw (`openclaw.json`, JSON5): refs `provider/alias` in agents.defaults and agents.entries.<id> (model primary
 * and fallbacks, utilityModel, decisionModel, modelPolicy.allow; image/pdf/voice/media models under defaults), each
 * sent with its provider's apiKey; the provider's declared models. The private agent's slots, and the shared
 * defaults that serve it, must be local-only.
 */
const openclaw: Extractor = (file, map) => {
  const doc = parseJson5(file.content);
  if (!isObj(doc)) return [];
  const providers = isObj(doc.models) && isObj(doc.models.providers) ? doc.models.providers : {};
  const keyOf = (provider: string): string | undefined => {
    const p = providers[provider];
    return isObj(p) ? (keyRef(p.apiKey) ?? CLIENT_KEY_ENV) : undefined;
  };
  const slots: ClientSlot[] = [];
  const add = (slot: string, value: unknown, mustBeLocal?: string): void => {
    const v = str(value);
    if (v === undefined || v === "") return; // unset or "" (disabled)
    const cut = v.indexOf("/");
    const provider = cut > 0 ? v.slice(0, cut).toLowerCase() : "";
    const gateway = OPENCLAW_GATEWAY_PROVIDERS.includes(provider) && keyOf(provider) !== undefined;
    slots.push({
      file: file.path,
      slot,
      value: v,
      ...(gateway ? { alias: v.slice(cut + 1) } : {}),
      keySecret: (gateway ? keyOf(provider) : undefined) ?? CLIENT_KEY_ENV,
      ...(mustBeLocal ? { mustBeLocal } : {}),
    });
  };
  const addModel = (prefix: string, model: unknown, mustBeLocal?: string): void => {
    if (typeof model === "string") return add(prefix, model, mustBeLocal);
    if (!isObj(model)) return;
    add(`${prefix}.primary`, model.primary, mustBeLocal);
    if (Array.isArray(model.fallbacks)) model.fallbacks.forEach((f, i) => add(`${prefix}.fallbacks[${i}]`, f, mustBeLocal));
  };
  for (const id of OPENCLAW_GATEWAY_PROVIDERS) {
    const p = providers[id];
    if (!isObj(p) || !Array.isArray(p.models)) continue;
    p.models.forEach((m, i) => {
      if (isObj(m) && typeof m.id === "string") {
        slots.push({ file: file.path, slot: `models.providers.${id}.models[${i}].id`, value: m.id, alias: m.id, keySecret: keyOf(id) ?? CLIENT_KEY_ENV });
      }
    });
  }
  const agents = isObj(doc.agents) ? doc.agents : {};
  const entries = isObj(agents.entries) ? agents.entries : {};
  const hasPrivate = isObj(entries[OPENCLAW_PRIVATE_AGENT]);
  const shared = hasPrivate ? `agents.defaults serve every agent, the private agent "${OPENCLAW_PRIVATE_AGENT}" included` : undefined;
  const defaults = isObj(agents.defaults) ? agents.defaults : {};
  addModel("agents.defaults.model", defaults.model);
  for (const key of OPENCLAW_SHARED_SLOTS) addModel(`agents.defaults.${key}`, defaults[key], shared);
  if (isObj(defaults.subagents)) addModel("agents.defaults.subagents.model", defaults.subagents.model, shared);
  if (isObj(defaults.mediaModels)) for (const [k, v] of Object.entries(defaults.mediaModels)) addModel(`agents.defaults.mediaModels.${k}`, v, shared);
  for (const [id, entry] of Object.entries(entries)) {
    if (!isObj(entry)) continue;
    const mustBeLocal = id === OPENCLAW_PRIVATE_AGENT ? `agent "${id}" is the private agent` : undefined;
    const prefix = `agents.entries.${id}`;
    addModel(`${prefix}.model`, entry.model, mustBeLocal);
    add(`${prefix}.utilityModel`, entry.utilityModel, mustBeLocal);
    add(`${prefix}.decisionModel`, entry.decisionModel, mustBeLocal);
    const allow = isObj(entry.modelPolicy) && Array.isArray(entry.modelPolicy.allow) ? entry.modelPolicy.allow : [];
    allow.forEach((a, i) => add(`${prefix}.modelPolicy.allow[${i}]`, a, mustBeLocal));
    if (isObj(entry.subagents)) addModel(`${prefix}.subagents.model`, entry.subagents.model, mustBeLocal);
    if (isObj(entry.heartbeat)) addModel(`${prefix}.heartbeat.model`, entry.heartbeat.model, mustBeLocal);
    if (isObj(entry.tts)) addModel(`${prefix}.tts.summaryModel`, entry.tts.summaryModel, mustBeLocal);
    if (mustBeLocal) {
      // memory search embeds the agent's memory files; with no provider set OpenClaw uses OpenAI's embeddings
      const search = isObj(entry.memory) && isObj(entry.memory.search) ? entry.memory.search : undefined;
      if (search?.enabled !== false && search?.provider !== "local" && search?.provider !== "ollama") {
        slots.push({ file: file.path, slot: `${prefix}.memory.search`, value: `memory search with ${str(search?.provider) ?? "the default (OpenAI) embeddings"}`, keySecret: CLIENT_KEY_ENV, mustBeLocal });
      }
    }
  }
  return slots;
};

/** Shell environment (`env.sh`): GATEWAY_MODEL, sent with the key OPENAI_API_KEY is set from. */
const envSh: Extractor = (file) => {
  const keySecret = /OPENAI_API_KEY="\$\{([A-Za-z_][A-Za-z0-9_]*)/.exec(file.content)?.[1] ?? CLIENT_KEY_ENV;
  const model = /^export GATEWAY_MODEL="([^"]*)"/m.exec(file.content)?.[1];
  if (model === undefined) return [];
  const mustBeLocal = isPrivatePreset(file.path) ? PRIVATE_PRESET : undefined;
  return [{ file: file.path, slot: "GATEWAY_MODEL", value: model, alias: model, keySecret, ...(mustBeLocal ? { mustBeLocal } : {}) }];
};

/** Open WebUI (`open-webui.env`): the default model and the task model, which reads every chat. */
const openWebUi: Extractor = (file, map) => {
  const keySecret = /value of ([A-Za-z_][A-Za-z0-9_]*)\)/.exec(file.content)?.[1] ?? CLIENT_KEY_ENV;
  const get = (name: string) => new RegExp(`^${name}=(.*)$`, "m").exec(file.content)?.[1]?.trim();
  const slots: ClientSlot[] = [];
  const def = get("DEFAULT_MODELS");
  if (def) for (const m of def.split(",")) slots.push({ file: file.path, slot: "DEFAULT_MODELS", value: m, alias: m, keySecret });
  const task = get("TASK_MODEL_EXTERNAL");
  if (task) {
    const follows = hasLocalOnly(map, keySecret) ? "the task model reads every chat (titles, tags, search queries), private ones included" : undefined;
    slots.push({ file: file.path, slot: "TASK_MODEL_EXTERNAL", value: task, alias: task, keySecret, ...(follows ? { mustBeLocal: follows } : {}) });
  }
  return slots;
};

/** llm (`extra-openai-models.yaml`): a list of {model_id, model_name, api_base, api_key_name}. */
const llmYaml: Extractor = (file) => {
  const doc = parseYaml(file.content) as unknown;
  if (!Array.isArray(doc)) return [];
  const preset = isPrivatePreset(file.path);
  return doc.flatMap((m, i): ClientSlot[] => {
    if (!isObj(m) || typeof m.model_name !== "string") return [];
    const keySecret = str(m.api_key_name) ?? CLIENT_KEY_ENV;
    return [{ file: file.path, slot: `[${i}].model_name`, value: m.model_name, alias: m.model_name, keySecret, ...(preset ? { mustBeLocal: PRIVATE_PRESET } : {}) }];
  });
};

/**
 * Codex CLI (`config.toml`): `model` with `model_provider`, `review_model`, and each `[profiles.<name>]`'s; a
 * provider's `env_key` names the key. A profile named `private` must be local-only in every slot.
 */
const codexToml: Extractor = (file, map) => {
  const doc = parseToml(file.content);
  const providers = isObj(doc.model_providers) ? doc.model_providers : {};
  const keyOf = (provider: unknown) => {
    const p = typeof provider === "string" ? providers[provider] : undefined;
    return isObj(p) ? str(p.env_key) : undefined;
  };
  const slots: ClientSlot[] = [];
  const scan = (prefix: string, table: Obj, providerDefault: unknown, mustBeLocal?: string) => {
    const provider = table.model_provider ?? providerDefault;
    const key = keyOf(provider);
    for (const slot of ["model", "review_model"]) {
      const v = str(table[slot]);
      if (v === undefined) continue;
      const follows =
        slot === "review_model" && hasLocalOnly(map, key ?? CLIENT_KEY_ENV) ? "codex -m replaces only model: /review then reviews a local-only session's repository" : undefined;
      const must = mustBeLocal ?? follows;
      slots.push({ file: file.path, slot: `${prefix}${slot}`, value: v, ...(key ? { alias: v } : {}), keySecret: key ?? CLIENT_KEY_ENV, ...(must ? { mustBeLocal: must } : {}) });
    }
  };
  scan("", doc, undefined, isPrivatePreset(file.path) ? PRIVATE_PRESET : undefined);
  const profiles = isObj(doc.profiles) ? doc.profiles : {};
  for (const [name, p] of Object.entries(profiles)) {
    if (isObj(p)) scan(`profiles.${name}.`, p, doc.model_provider, name === "private" || isPrivatePreset(file.path) ? `profile "${name}" is private` : undefined);
  }
  return slots;
};

/** Claude Code (`settings.json`): env ANTHROPIC_MODEL and the model defaults it uses for background and sub-agent work. */
export const CLAUDE_CODE_MODEL_ENV = [
  "ANTHROPIC_MODEL",
  "ANTHROPIC_DEFAULT_OPUS_MODEL",
  "ANTHROPIC_DEFAULT_SONNET_MODEL",
  "ANTHROPIC_DEFAULT_HAIKU_MODEL",
  "ANTHROPIC_SMALL_FAST_MODEL",
  "CLAUDE_CODE_SUBAGENT_MODEL",
] as const;
const claudeCode: Extractor = (file, map) => {
  const doc = JSON.parse(file.content) as unknown;
  if (!isObj(doc)) return [];
  const env = isObj(doc.env) ? doc.env : {};
  const helper = str(doc.apiKeyHelper) ?? "";
  const keySecret = /printenv ([A-Za-z_][A-Za-z0-9_]*)/.exec(helper)?.[1] ?? CLIENT_KEY_ENV;
  const preset = isPrivatePreset(file.path);
  const follows = hasLocalOnly(map, keySecret) ? "`claude --model` replaces only the main model: background and sub-agent models then serve a local-only session too" : undefined;
  const slots: ClientSlot[] = [];
  for (const name of CLAUDE_CODE_MODEL_ENV) {
    const v = str(env[name]);
    if (v === undefined) continue;
    const mustBeLocal = preset ? PRIVATE_PRESET : name === "ANTHROPIC_MODEL" ? undefined : follows;
    slots.push({ file: file.path, slot: `env.${name}`, value: v, alias: v, keySecret, ...(mustBeLocal ? { mustBeLocal } : {}) });
  }
  const model = str(doc.model);
  if (model !== undefined) slots.push({ file: file.path, slot: "model", value: model, alias: model, keySecret, ...(preset ? { mustBeLocal: PRIVATE_PRESET } : {}) });
  return slots;
};

/**
 * opencode (`opencode.json`): `model` and `small_model` (`provider/alias`), and every agent's model; a provider's
 * `options.apiKey` (`{env:NAME}`) names the key. `small_model` (titles, summaries) reads the session of whatever
 * model the user picks.
 */
const opencodeJson: Extractor = (file, map) => {
  const doc = JSON.parse(file.content) as unknown;
  if (!isObj(doc)) return [];
  const providers = isObj(doc.provider) ? doc.provider : {};
  const keyOf = (id: string) => {
    const p = providers[id];
    return isObj(p) && isObj(p.options) ? keyRef(p.options.apiKey) : undefined;
  };
  const preset = isPrivatePreset(file.path);
  const slots: ClientSlot[] = [];
  const add = (slot: string, value: unknown, mustBeLocal?: string) => {
    const v = str(value);
    if (!v) return;
    const cut = v.indexOf("/");
    const provider = cut > 0 ? v.slice(0, cut) : "";
    const key = isObj(providers[provider]) ? keyOf(provider) : undefined;
    slots.push({ file: file.path, slot, value: v, ...(key ? { alias: v.slice(cut + 1) } : {}), keySecret: key ?? CLIENT_KEY_ENV, ...(mustBeLocal ? { mustBeLocal } : {}) });
  };
  add("model", doc.model, preset ? PRIVATE_PRESET : undefined);
  const anyKey = Object.keys(providers).map(keyOf).find((k) => k !== undefined) ?? CLIENT_KEY_ENV;
  const follows = hasLocalOnly(map, anyKey) ? "opencode --model replaces only the main model: the small model then reads a local-only session too" : undefined;
  add("small_model", doc.small_model, preset ? PRIVATE_PRESET : follows);
  const agents = isObj(doc.agent) ? doc.agent : {};
  for (const [name, a] of Object.entries(agents)) if (isObj(a)) add(`agent.${name}.model`, a.model, preset || name === "private" ? PRIVATE_PRESET : undefined);
  return slots;
};

/**
 * LibreChat (`librechat.yaml`): each custom endpoint's listed models (`models.default`), its titleModel and
 * summaryModel (they read every conversation), the key from `apiKey` (`${NAME}`).
 */
const libreChat: Extractor = (file, map) => {
  const doc = parseYaml(file.content) as unknown;
  const custom = isObj(doc) && isObj(doc.endpoints) && Array.isArray(doc.endpoints.custom) ? doc.endpoints.custom : [];
  const slots: ClientSlot[] = [];
  custom.forEach((e, i) => {
    if (!isObj(e)) return;
    const keySecret = keyRef(e.apiKey) ?? CLIENT_KEY_ENV;
    const prefix = `endpoints.custom[${i}]`;
    const models = isObj(e.models) && Array.isArray(e.models.default) ? e.models.default : [];
    models.forEach((m, j) => {
      if (typeof m === "string") slots.push({ file: file.path, slot: `${prefix}.models.default[${j}]`, value: m, alias: m, keySecret });
    });
    const follows = hasLocalOnly(map, keySecret) ? "it reads every conversation, private ones included" : undefined;
    for (const slot of ["titleModel", "summaryModel"]) {
      const v = str(e[slot]);
      if (v !== undefined && v !== "current_model") slots.push({ file: file.path, slot: `${prefix}.${slot}`, value: v, alias: v, keySecret, ...(follows ? { mustBeLocal: follows } : {}) });
    }
  });
  return slots;
};

/** Recognised client files by base name. */
const FORMATS: Array<{ test: (name: string) => boolean; extract: Extractor }> = [
  { test: (n) => /^\.?aider(\.[a-z0-9_-]+)*\.conf\.ya?ml$/.test(n), extract: aider },
  { test: (n) => /^\.?aider\.model\.settings\.ya?ml$/.test(n), extract: aiderSettings },
  { test: (n) => /^(continue(\.[a-z0-9_-]+)*\.ya?ml)$/.test(n), extract: continueYaml },
  { test: (n) => /^openclaw(\.[a-z0-9_-]+)*\.json5?$/.test(n), extract: openclaw },
  { test: (n) => /^([a-z0-9_-]+\.)*env\.sh$/.test(n), extract: envSh },
  { test: (n) => /^open-webui(\.[a-z0-9_-]+)*\.env$/.test(n), extract: openWebUi },
  { test: (n) => /^(llm|extra-openai-models)(\.[a-z0-9_-]+)*\.ya?ml$/.test(n), extract: llmYaml },
  { test: (n) => /^codex(\.[a-z0-9_-]+)*\.toml$/.test(n), extract: codexToml },
  { test: (n) => /^claude-code(\.[a-z0-9_-]+)*\.settings\.json$/.test(n), extract: claudeCode },
  { test: (n) => /^opencode(\.[a-z0-9_-]+)*\.json$/.test(n), extract: opencodeJson },
  { test: (n) => /^librechat(\.[a-z0-9_-]+)*\.ya?ml$/.test(n), extract: libreChat },
];

/** Whether a base name is a client file the proof knows. */
export function isClientFile(path: string): boolean {
  const name = baseName(path);
  return FORMATS.some((f) => f.test(name));
}

/** The aliases a key may use: its policy client's, or every route alias for a key no client has (LITELLM_API_KEY). */
function aliasesOfKey(map: RouteMap, keySecret: string): Set<string> | undefined {
  const client = map.frontDoor.clients.find((c) => c.keySecret === keySecret);
  if (client) return new Set(client.aliases);
  if (keySecret === CLIENT_KEY_ENV) return new Set(map.routes.map((r) => r.alias));
  return undefined;
}

function hasLocalOnly(map: RouteMap, keySecret: string): boolean {
  const allowed = aliasesOfKey(map, keySecret);
  return localOnlyRoutes(map).some((r) => allowed?.has(r.alias) ?? false);
}

/** Every model slot of the recognised files. Unrecognised files are skipped (the caller lists them). */
export function clientSlots(map: RouteMap, files: ClientFile[]): ClientSlot[] {
  return files.flatMap((f) => {
    const format = FORMATS.find((fmt) => fmt.test(baseName(f.path)));
    if (!format) return [];
    try {
      return format.extract(f, map);
    } catch {
      return [{ file: f.path, slot: "(file)", value: "", keySecret: CLIENT_KEY_ENV, alias: UNPARSEABLE }];
    }
  });
}

/** Pure: proves every slot of every recognised client file against the route map. */
export function proveClientFiles(map: RouteMap, files: ClientFile[]): ClientProof {
  const recognised = files.filter((f) => isClientFile(f.path));
  const slots = clientSlots(map, recognised);
  const local = new Set(localOnlyRoutes(map).map((r) => r.alias));
  const routes = new Map(map.routes.map((r) => [r.alias, r]));
  const problems: ClientProblem[] = [];
  for (const s of slots) {
    const at = { file: s.file, slot: s.slot };
    if (s.alias === UNPARSEABLE) {
      problems.push({ ...at, message: "the file cannot be parsed", hint: "regenerate it with gatewayctl build or gatewayctl clients" });
      continue;
    }
    if (s.alias === undefined) {
      if (s.mustBeLocal) {
        problems.push({ ...at, message: `${s.value} does not go through the gateway, and ${s.mustBeLocal}`, hint: "name a local-only gateway alias here" });
      }
      continue;
    }
    const allowed = aliasesOfKey(map, s.keySecret);
    if (!allowed) {
      problems.push({ ...at, message: `${s.value} is sent with ${s.keySecret}, which is no client's key in the policy: the gateway refuses it`, hint: "use a key of the policy's clients: section" });
      continue;
    }
    if (!routes.has(s.alias)) {
      problems.push({ ...at, message: `${s.value}: ${s.alias} is not a route alias of the gateway`, hint: `aliases: ${[...routes.keys()].join(", ")}` });
      continue;
    }
    if (!allowed.has(s.alias)) {
      problems.push({ ...at, message: `${s.value}: the key ${s.keySecret} may not use ${s.alias} (the gateway refuses it)`, hint: `that key's aliases: ${[...allowed].sort().join(", ") || "(none)"}` });
      continue;
    }
    if (s.mustBeLocal && !local.has(s.alias)) {
      const route = routes.get(s.alias)!;
      problems.push({
        ...at,
        message: `${s.value} is ${route.privacy}${route.cloudBackends.length ? ` (may reach ${route.cloudBackends.join(", ")})` : ""}, but ${s.mustBeLocal}`,
        hint: `name a local-only alias (${[...local].filter((a) => allowed.has(a)).join(", ") || "none this key may use"}) or leave the slot unset where the client then uses its main model`,
      });
    }
  }
  return { ok: problems.length === 0, files: recognised.map((f) => f.path), slots, problems };
}

/** `file: slot: message` for people. */
export function formatClientProblem(p: ClientProblem): string {
  return `${p.file}: ${p.slot}: ${p.message}`;
}
