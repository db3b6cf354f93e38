import type { RouteMap } from "../artifact/types.js";
import { keyEnvOf, defaultRoute, localOnlyRoutes, primaryPrice, privateRoute, readableName } from "./routes.js";

/**
 * OpenClaw (2026.9.x) settings for the gateway: one provider `litellm` whose models are the route aliases, the
 * default agent on an everyday alias, and a private agent pinned to local-only aliases. Only keys OpenClaw's strict
 * schema accepts; `openclaw config validate` checks the result in the tests.
 */

export const OPENCLAW_PROVIDER_ID = "litellm";
/** The private agent's own provider: the same gateway, with the private agent's own key (its policy client). */
export const OPENCLAW_PRIVATE_PROVIDER_ID = "litellm-private";
/** The policy client (clients:) whose key and aliases the private agent uses, when the policy has it. */
export const OPENCLAW_PRIVATE_CLIENT = "openclaw-private";
/** The agent gatewayctl owns in `agents.entries`. */
export const OPENCLAW_PRIVATE_AGENT_ID = "private";
/**
 * Tools a private agent must not have (OpenClaw 2026.9 tool groups): command execution (`group:runtime`) and file
 * access (`group:fs`) on the host, tools that send content off the machine (`group:web`, `group:messaging`, the
 * browser and other UI tools, nodes), media tools that use the shared defaults' image, PDF and voice models (which
 * may be cloud models), memory search (its embeddings default to OpenAI's), spawning or messaging other agents
 * (`group:sessions`), and automation (cron, gateway, plugins). On top of the `minimal` tool profile.
 *
 * Why no sandbox: OpenClaw's sandbox (`sandbox.mode: "all"`) moves tool execution (exec, read, write, ...) into a
 * Docker container; it needs a reachable Docker daemon and the `openclaw-sandbox:bookworm-slim` image, and without
 * them every turn fails with SandboxProvisioningError. The private agent has none of the tools a sandbox contains,
 * so it runs everywhere, and what keeps it private is its own gateway key (local-only aliases only) and these denials.
 */
export const PRIVATE_AGENT_DENIED_TOOLS = [
  "group:runtime",
  "group:fs",
  "group:web",
  "group:messaging",
  "group:ui",
  "group:nodes",
  "group:media",
  "group:memory",
  "group:sessions",
  "group:automation",
] as const;

export interface OpenClawModel {
  id: string;
  name: string;
  input: ["text"];
  cost: { input: number; output: number; cacheRead: number; cacheWrite: number };
  contextWindow?: number;
  maxTokens?: number;
}

export interface OpenClawProvider {
  baseUrl: string;
  apiKey: { source: "env"; provider: "default"; id: string };
  api: "openai-completions";
  models: OpenClawModel[];
}

export interface OpenClawAgentEntry {
  name: string;
  description: string;
  model: { primary: string; fallbacks: string[] };
  utilityModel: string;
  decisionModel: string;
  modelPolicy: { allow: string[] };
  subagents: { model: string; allowAgents: string[] };
  /** memory search embeds the agent's memory files; its provider defaults to OpenAI's embeddings */
  memory: { search: { enabled: false } };
  /** text-to-speech sends replies to a speech provider */
  tts: { enabled: false };
  /** nothing to sandbox: no tool of the private agent executes commands or touches files */
  sandbox: { mode: "off" };
  tools: { profile: "minimal"; deny: string[] };
}

/** The default agent's id in OpenClaw. */
export const OPENCLAW_MAIN_AGENT_ID = "main";

/**
 * With two agents OpenClaw 2026.9 needs the roster's ownership stated: the standalone file uses the current form
 * (`ownership: "explicit"`, the system and heartbeat owner `main`); a merge into an existing file uses OpenClaw's
 * legacy `default: true` marker instead, which OpenClaw converts itself, channel bindings included.
 */
export interface OpenClawSettings {
  models: { mode: "merge"; providers: { [OPENCLAW_PROVIDER_ID]: OpenClawProvider; [OPENCLAW_PRIVATE_PROVIDER_ID]?: OpenClawProvider } };
  agents: {
    ownership?: "explicit";
    defaults?: {
      model: { primary: string; fallbacks: string[] };
      systemAgent?: { agentId: string };
      heartbeat?: { agentId: string };
    };
    entries?: { [OPENCLAW_MAIN_AGENT_ID]?: { name: string }; [OPENCLAW_PRIVATE_AGENT_ID]?: OpenClawAgentEntry };
  };
}

export function openClawRef(alias: string, provider: string = OPENCLAW_PROVIDER_ID): string {
  return `${provider}/${alias}`;
}

function providerModels(map: RouteMap): OpenClawModel[] {
  return map.routes.map((route) => {
    const price = primaryPrice(map, route);
    const model: OpenClawModel = {
      id: route.alias,
      name: readableName(route),
      input: ["text"],
      cost: { input: price.input, output: price.output, cacheRead: 0, cacheWrite: 0 },
    };
    if (route.contextWindow !== undefined) model.contextWindow = route.contextWindow;
    if (route.maxTokens !== undefined) model.maxTokens = route.maxTokens;
    return model;
  });
}

/**
 * Pure: the settings object. `map` is the default agent's view (the `openclaw` client), `privateMap` the private
 * agent's (the `openclaw-private` client): with its own client, the private agent gets a provider of its own that
 * carries that client's key, so even a misrouted turn reaches the gateway with a key that has only local-only aliases.
 */
export function openClawSettings(map: RouteMap, baseUrl: string, privateMap?: RouteMap): OpenClawSettings {
  const models = providerModels(map);
  const ownPrivate = privateMap !== undefined && privateMap.frontDoor.clients.length === 1 && privateMap.frontDoor.clients[0]!.name === OPENCLAW_PRIVATE_CLIENT;
  const privView = ownPrivate ? privateMap! : map;
  const privProvider = ownPrivate ? OPENCLAW_PRIVATE_PROVIDER_ID : OPENCLAW_PROVIDER_ID;
  const settings: OpenClawSettings = {
    models: {
      mode: "merge",
      providers: {
        [OPENCLAW_PROVIDER_ID]: {
          baseUrl,
          apiKey: { source: "env", provider: "default", id: keyEnvOf(map) },
          api: "openai-completions",
          models,
        },
      },
    },
    agents: {},
  };
  if (ownPrivate && localOnlyRoutes(privView).length > 0) {
    settings.models.providers[OPENCLAW_PRIVATE_PROVIDER_ID] = {
      baseUrl,
      apiKey: { source: "env", provider: "default", id: keyEnvOf(privView) },
      api: "openai-completions",
      models: providerModels({ ...privView, routes: localOnlyRoutes(privView) }),
    };
  }
  const def = defaultRoute(map);
  if (def) settings.agents.defaults = { model: { primary: openClawRef(def.alias), fallbacks: [] } };
  const priv = privateRoute(privView);
  if (priv) {
    const ref = openClawRef(priv.alias, privProvider);
    settings.agents.ownership = "explicit";
    if (settings.agents.defaults) {
      settings.agents.defaults.systemAgent = { agentId: OPENCLAW_MAIN_AGENT_ID };
      settings.agents.defaults.heartbeat = { agentId: OPENCLAW_MAIN_AGENT_ID };
    }
    settings.agents.entries = {
      [OPENCLAW_MAIN_AGENT_ID]: { name: "Main" },
      [OPENCLAW_PRIVATE_AGENT_ID]: {
        name: "Private (local only)",
        description: `Managed by gatewayctl: only local-only gateway aliases, no fallbacks, no tools that run commands, touch files or reach the network.`,
        model: { primary: ref, fallbacks: [] },
        utilityModel: ref,
        decisionModel: ref,
        modelPolicy: { allow: localOnlyRoutes(privView).map((r) => openClawRef(r.alias, privProvider)) },
        subagents: { model: ref, allowAgents: [] },
        memory: { search: { enabled: false } },
        tts: { enabled: false },
        sandbox: { mode: "off" },
        tools: { profile: "minimal", deny: [...PRIVATE_AGENT_DENIED_TOOLS] },
      },
    };
  }
  // `ownership` first, as OpenClaw writes it
  if (settings.agents.ownership) {
    const { ownership, ...rest } = settings.agents;
    settings.agents = { ownership, ...rest };
  }
  return settings;
}

/** The comment block at the top of the generated file (OpenClaw reads JSON5, so comments are allowed). */
export function openClawHeader(map: RouteMap, baseUrl: string, privateMap?: RouteMap): string {
  const def = defaultRoute(map);
  const privView = privateMap && privateMap.frontDoor.clients.length === 1 ? privateMap : map;
  const priv = privateRoute(privView);
  const privProvider = privView === map ? OPENCLAW_PROVIDER_ID : OPENCLAW_PRIVATE_PROVIDER_ID;
  const lines = [
    "Generated by gatewayctl: OpenClaw settings for the LiteLLM gateway. Re-generate after changing the policy.",
    "Merge it into your config (keeps your other settings): gatewayctl clients openclaw --merge ~/.openclaw/openclaw.json",
    `Gateway: ${baseUrl}. Key: the environment variable ${keyEnvOf(map)} (a gateway key, never a vendor key).`,
    privView !== map ? `The private agent's provider ${OPENCLAW_PRIVATE_PROVIDER_ID} uses its own key, ${keyEnvOf(privView)}, which the gateway admits for local-only aliases only.` : "",
    `Every model is a route alias of the gateway; OpenClaw never sees a vendor model id.`,
    def ? `Default agent: ${openClawRef(def.alias)}, no fallbacks here (the gateway does fallbacks per route).` : "",
    priv
      ? `Agent "${OPENCLAW_PRIVATE_AGENT_ID}": ${openClawRef(priv.alias, privProvider)} only (local-only aliases) in every model slot (primary, utility, decision, ` +
        `sub-agents), no fallbacks; memory search and TTS off; no tool that runs commands, touches files or reaches the network, so it needs no ` +
        `sandbox (no Docker). Agent "${OPENCLAW_MAIN_AGENT_ID}" owns channels, heartbeat and system tasks; bind chats to "${OPENCLAW_PRIVATE_AGENT_ID}" with bindings[].`
      : "No local-only alias in the policy, so no private agent.",
    "agents.defaults.imageModel, pdfModel, voiceModel and mediaModels are left unset on purpose: they serve every",
    "agent, the private one included; point them only at a local alias.",
  ].filter((l) => l !== "");
  return lines.map((l) => `// ${l}`).join("\n");
}

/** Pure: the whole file, JSON5 (a comment header, then plain JSON). */
export function renderOpenClawFile(map: RouteMap, baseUrl: string, privateMap?: RouteMap): string {
  return `${openClawHeader(map, baseUrl, privateMap)}\n${JSON.stringify(openClawSettings(map, baseUrl, privateMap), null, 2)}\n`;
}
