import type { Price, Privacy } from "../policy/schema.js";
import { CLOUD_VENDOR_TYPES } from "../policy/vendors.js";

/** The five recommended work lanes, in the order the wizard shows them. */
export const LANE_KEYS = ["private", "routine", "coding", "web", "premium"] as const;
export type LaneKey = (typeof LANE_KEYS)[number];

export interface LaneTemplate {
  key: LaneKey;
  /** one sentence: what belongs in the lane, when it may use the cloud (openPrivacy) */
  description: string;
  /** the same sentence for the lane kept local-only (no cloud provider, or not among the cloud lanes) */
  localDescription: string;
  /** privacy when the lane may leave the network and a cloud provider is allowed; otherwise local-only */
  openPrivacy: Privacy;
  /** may it leave the network unless the user says otherwise */
  openByDefault: boolean;
  /** price cap (USD per 1M tokens) when the lane may use the cloud */
  maxPrice?: Price;
  /** what the local model of this lane is used for, in the question */
  localRole: string;
}

export const LANES: Record<LaneKey, LaneTemplate> = {
  private: {
    key: "private",
    description: "Personal, confidential or client material: it never leaves this network.",
    localDescription: "Personal, confidential or client material: it never leaves this network.",
    openPrivacy: "local-only",
    openByDefault: false,
    localRole: "the only model",
  },
  routine: {
    key: "routine",
    description: "Everyday small tasks (summaries, drafts, sorting): local first, a cheap cloud model only as fallback.",
    localDescription: "Everyday small tasks (summaries, drafts, sorting), on the local model only.",
    openPrivacy: "local-first",
    openByDefault: true,
    maxPrice: { input: 1, output: 5 },
    localRole: "the primary model",
  },
  coding: {
    key: "coding",
    description: "Writing and reviewing code in your repositories, locally first.",
    localDescription: "Writing and reviewing code in your repositories, on the local model only.",
    openPrivacy: "local-first",
    openByDefault: false,
    maxPrice: { input: 5, output: 25 },
    localRole: "the primary model",
  },
  web: {
    key: "web",
    description: "Work on public web content (search results, pages to summarise) that holds nothing secret.",
    localDescription: "Work on public web content (search results, pages to summarise), on the local model only.",
    openPrivacy: "cloud-allowed",
    openByDefault: true,
    maxPrice: { input: 1, output: 5 },
    localRole: "the fallback when the cloud fails",
  },
  premium: {
    key: "premium",
    description: "Hard problems worth paying for: the strongest model you allow, under a price cap.",
    localDescription: "Hard problems, on the local model only.",
    openPrivacy: "cloud-allowed",
    openByDefault: true,
    maxPrice: { input: 5, output: 25 },
    localRole: "the fallback when the cloud fails",
  },
};

export const CLOUD_PROVIDERS = CLOUD_VENDOR_TYPES;
export type CloudProvider = (typeof CLOUD_PROVIDERS)[number];

export interface CloudModelTemplate {
  name: string;
  price: Price;
  contextWindow: number;
  maxTokens: number;
}

export interface CloudProviderTemplate {
  key: CloudProvider;
  label: string;
  secret: string;
  cheap: CloudModelTemplate;
  smart: CloudModelTemplate;
}

/** Starting points, priced in USD per 1M tokens as published when this list was written: check current prices. */
export const CLOUD: Record<CloudProvider, CloudProviderTemplate> = {
  openai: {
    key: "openai",
    label: "OpenAI",
    secret: "OPENAI_API_KEY",
    cheap: { name: "gpt-4.1-mini", price: { input: 0.4, output: 1.6 }, contextWindow: 1047576, maxTokens: 32768 },
    smart: { name: "gpt-4.1", price: { input: 2, output: 8 }, contextWindow: 1047576, maxTokens: 32768 },
  },
  anthropic: {
    key: "anthropic",
    label: "Anthropic",
    secret: "ANTHROPIC_API_KEY",
    cheap: { name: "claude-haiku-4-5", price: { input: 1, output: 5 }, contextWindow: 200000, maxTokens: 64000 },
    smart: { name: "claude-sonnet-4-5", price: { input: 3, output: 15 }, contextWindow: 200000, maxTokens: 64000 },
  },
  openrouter: {
    key: "openrouter",
    label: "OpenRouter",
    secret: "OPENROUTER_API_KEY",
    cheap: { name: "openai/gpt-4.1-mini", price: { input: 0.4, output: 1.6 }, contextWindow: 1047576, maxTokens: 32768 },
    smart: { name: "anthropic/claude-sonnet-4.5", price: { input: 3, output: 15 }, contextWindow: 200000, maxTokens: 64000 },
  },
};

export const LOCAL_TYPES = ["ollama", "openai-compatible"] as const;
export type LocalType = (typeof LOCAL_TYPES)[number];

export const DEFAULT_LOCAL_URL: Record<LocalType, string> = {
  ollama: "http://127.0.0.1:11434",
  "openai-compatible": "http://127.0.0.1:8000/v1",
};

export const SECRETS_PROVIDERS = ["env", "env-file", "command"] as const;
export type SecretsProviderChoice = (typeof SECRETS_PROVIDERS)[number];

export const DEFAULT_SECRETS_FILE = "secrets.env";
export const DEFAULT_SECRETS_COMMAND = "pass show gateway/{name}";
export const MASTER_KEY_SECRET = "LITELLM_MASTER_KEY";

/**
 * The clients init can write into the policy, each with its own gateway key (generated into the secrets file) and
 * the lanes it gets: `open` every lane that may leave the house (else every lane), `local` the local-only lanes,
 * `everyday` the routine-router route (else every lane), `coding` the private and coding lanes (else every lane),
 * `all` every lane. Each is named after its `gatewayctl clients` kind, which then picks it up by that name.
 */
export const INIT_CLIENTS = {
  openclaw: { secret: "OPENCLAW_GATEWAY_KEY", scope: "open", description: "OpenClaw's default agent" },
  "openclaw-private": { secret: "OPENCLAW_PRIVATE_KEY", scope: "local", description: "OpenClaw's private agent: local-only aliases only" },
  scripts: { secret: "SCRIPTS_GATEWAY_KEY", scope: "everyday", description: "Shell scripts and SDKs (gatewayctl clients env)" },
  aider: { secret: "AIDER_GATEWAY_KEY", scope: "coding", description: "aider (gatewayctl clients aider)" },
  continue: { secret: "CONTINUE_GATEWAY_KEY", scope: "coding", description: "Continue in the editor (gatewayctl clients continue)" },
  codex: { secret: "CODEX_GATEWAY_KEY", scope: "coding", description: "Codex CLI (gatewayctl clients codex)" },
  "claude-code": { secret: "CLAUDE_CODE_GATEWAY_KEY", scope: "coding", description: "Claude Code (gatewayctl clients claude-code)" },
  opencode: { secret: "OPENCODE_GATEWAY_KEY", scope: "coding", description: "opencode (gatewayctl clients opencode)" },
  "open-webui": { secret: "OPEN_WEBUI_GATEWAY_KEY", scope: "all", description: "Open WebUI (gatewayctl clients open-webui)" },
  librechat: { secret: "LIBRECHAT_GATEWAY_KEY", scope: "all", description: "LibreChat (gatewayctl clients librechat)" },
  llm: { secret: "LLM_GATEWAY_KEY", scope: "all", description: "Simon Willison's llm (gatewayctl clients llm)" },
} as const;
export type InitClient = keyof typeof INIT_CLIENTS;
/** What the user picks (openclaw brings openclaw-private with it). */
export const INIT_CLIENT_CHOICES = ["openclaw", "scripts", "aider", "continue", "codex", "claude-code", "opencode", "open-webui", "librechat", "llm"] as const satisfies readonly InitClient[];
export type InitClientChoice = (typeof INIT_CLIENT_CHOICES)[number];
export const DEFAULT_INIT_CLIENTS: readonly InitClientChoice[] = ["openclaw", "scripts"];
