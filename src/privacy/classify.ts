import { classifyHost, hostOfUrl } from "../lib/hosts.js";
import type { Location } from "../artifact/types.js";
import { MECHANISMS, type Mechanism } from "./types.js";

/** Provider prefixes that can talk to a self-hosted server: local only with an explicit api_base on a local host. */
export const SELF_HOSTABLE_PREFIXES: readonly string[] = [
  "openai",
  "text-completion-openai",
  "custom_openai",
  "openai_like",
  "hosted_vllm",
  "lm_studio",
  "llamafile",
  "ollama",
  "ollama_chat",
  "xinference",
  "oobabooga",
  "triton",
];

/** Prefixes of models that are routers, not endpoints (`auto_router/`, `auto_router/complexity_router`, ...). */
export function isStrategyRouterModel(model: string): boolean {
  return /^(auto_router|complexity_router|adaptive_router|quality_router)\//.test(model);
}

export interface Classification {
  location: Location;
  reason: string;
  /** set when the location comes from a missing, environment or global api_base */
  mechanism?: Mechanism;
}

export interface ClassifyContext {
  /** litellm_settings.api_base, if any */
  globalApiBase?: unknown;
  localHosts: Set<string>;
}

function classifyUrl(url: string, ctx: ClassifyContext, what: string): Classification {
  const host = hostOfUrl(url);
  if (host === undefined) return { location: "cloud", reason: `${what} "${url}" is not a URL` };
  if (ctx.localHosts.has(host.toLowerCase())) return { location: "local", reason: `${what} host ${host} is trusted with --local-host` };
  const cls = classifyHost(host);
  if (cls === "public") return { location: "cloud", reason: `${what} host ${host} is public` };
  return { location: "local", reason: `${what} host ${host} is ${cls}` };
}

function missingBaseReason(prefix: string | undefined): string {
  if (prefix === "ollama" || prefix === "ollama_chat") {
    return "no api_base: LiteLLM uses OLLAMA_API_BASE from the environment (any host) or localhost:11434, and may start `ollama serve` itself";
  }
  if (prefix === "hosted_vllm") return "no api_base: LiteLLM uses HOSTED_VLLM_API_BASE from the environment, which can point anywhere";
  if (prefix === "lm_studio") return "no api_base: LiteLLM uses LM_STUDIO_API_BASE from the environment, which can point anywhere";
  if (prefix === undefined) {
    return "no provider prefix and no api_base: LiteLLM infers the provider from the name and calls its public endpoint";
  }
  return "no api_base: LiteLLM falls back to litellm.api_base, OPENAI_BASE_URL / OPENAI_API_BASE, then https://api.openai.com/v1";
}

/** Local or cloud, from the provider prefix and api_base of one deployment's litellm_params. */
export function classifyDeployment(params: Record<string, unknown>, ctx: ClassifyContext): Classification {
  const model = params.model;
  if (typeof model !== "string" || model.length === 0) {
    return { location: "cloud", reason: "litellm_params.model is missing, so the provider is unknown" };
  }
  const slash = model.indexOf("/");
  const prefix = slash > 0 ? model.slice(0, slash).toLowerCase() : undefined;
  if (prefix !== undefined && !SELF_HOSTABLE_PREFIXES.includes(prefix)) {
    return { location: "cloud", reason: `${prefix}/ is a hosted provider API` };
  }
  const base = params.api_base ?? params.base_url;
  if (typeof base === "string" && base.length > 0) {
    if (base.startsWith("os.environ/")) {
      return {
        location: "cloud",
        mechanism: MECHANISMS.envApiBase,
        reason: `api_base is resolved at start time from ${base.slice("os.environ/".length)}; a missing variable silently becomes the public endpoint`,
      };
    }
    return classifyUrl(base, ctx, "api_base");
  }
  if (base !== undefined && base !== null && typeof base !== "string") {
    return { location: "cloud", reason: "api_base is not a string" };
  }
  const global = ctx.globalApiBase;
  if (typeof global === "string" && global.length > 0) {
    const viaGlobal = global.startsWith("os.environ/")
      ? { location: "cloud" as const, reason: `resolved at start time from ${global.slice("os.environ/".length)}` }
      : classifyUrl(global, ctx, "global api_base");
    if (viaGlobal.location === "cloud") {
      return { location: "cloud", mechanism: MECHANISMS.globalApiBase, reason: `no api_base: uses litellm_settings.api_base (${viaGlobal.reason})` };
    }
    return viaGlobal;
  }
  return { location: "cloud", mechanism: MECHANISMS.missingApiBase, reason: missingBaseReason(prefix) };
}
