import { DEFAULT_REQUEST_TIMEOUT_SECONDS, INTERNAL_GROUP_PREFIX, PRIVACY_RANK } from "../policy/schema.js";
import { isCloudVendorType } from "../policy/vendors.js";
import type { Backend, Model, Policy, Price, Privacy } from "../policy/schema.js";
import type { Diagnostic } from "../lib/errors.js";
import { classifyHost, hostOfUrl } from "../lib/hosts.js";
import { frontDoorFor, gatewayEnvName } from "../artifact/front-door.js";
import { DOCKER_HOST_ALIAS, gatewayFacts } from "../artifact/gateway.js";
import type { DeploymentInfo, RouteMap, RoutePlan } from "../artifact/types.js";

export const DEFAULT_API_BASE = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com",
  openrouter: "https://openrouter.ai/api/v1",
} as const;

/** A deployment as the compiler plans it, with what config.yaml needs beyond DeploymentInfo. */
export interface PlannedDeployment extends DeploymentInfo {
  /** litellm_params.api_base to emit; undefined only for anthropic without a url (the SDK's default endpoint) */
  emitApiBase: string | undefined;
  /** `os.environ/NAME`, or a literal placeholder for keyless self-hosted servers; undefined: no api_key emitted */
  apiKey: string | undefined;
  /** whether the price came from the policy (or is the 0 of a local model); false: leave costs to LiteLLM's map */
  priced: boolean;
  /** litellm_params.timeout: the route's timeout for its primary; for a shared fallback group, the longest of its routes' */
  timeoutSeconds: number;
  contextWindow?: number;
  maxTokens?: number;
}

export interface GatewayPlan {
  routes: RoutePlan[];
  deployments: PlannedDeployment[];
  internalGroups: string[];
  /** secret names the config needs (master key included), sorted */
  secretNames: string[];
  /** backend key → secret name, for backends the config uses */
  backendSecrets: Record<string, string>;
  problems: Diagnostic[];
}

export function internalGroupName(modelKey: string): string {
  return `${INTERNAL_GROUP_PREFIX}${modelKey}`;
}

export function deploymentId(group: string, modelKey: string): string {
  return `${group}:${modelKey}`;
}

export function effectivePrivacy(lane: Privacy, route: Privacy | undefined): Privacy {
  if (route === undefined) return lane;
  return PRIVACY_RANK[route] < PRIVACY_RANK[lane] ? route : lane;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/** Replace a loopback host with host.docker.internal, keeping the rest of the URL as written. */
export function dockerReachableUrl(url: string): string {
  const host = hostOfUrl(url);
  if (host === undefined || classifyHost(host) !== "loopback") return url;
  const parsed = new URL(url);
  parsed.hostname = DOCKER_HOST_ALIAS;
  let out = parsed.toString();
  if (!url.endsWith("/") && out.endsWith("/")) out = out.slice(0, -1);
  return out;
}

/** The LiteLLM model string, api_base and api_key for one model on one backend. */
function litellmTarget(
  model: Model,
  backend: Backend,
  docker: boolean,
): { litellmModel: string; apiBase: string; emitApiBase: string | undefined; apiKey: string | undefined } {
  const key = backend.apiKey ? `os.environ/${gatewayEnvName(backend.apiKey.secret)}` : undefined;
  // inside the container, loopback is the container itself: any backend on the host is host.docker.internal
  const localUrl = (url: string): string => (docker ? dockerReachableUrl(url) : url);
  switch (backend.type) {
    case "ollama": {
      // ollama_chat calls {api_base}/api/chat: no /v1 (LiteLLM #9445)
      const base = trimSlash(localUrl(backend.url ?? "")).replace(/\/v1$/, "");
      return { litellmModel: `ollama_chat/${model.name}`, apiBase: base, emitApiBase: base, apiKey: key };
    }
    case "openai-compatible": {
      const base = trimSlash(localUrl(backend.url ?? ""));
      // the OpenAI SDK refuses to run without a key, even against a server that ignores it
      return { litellmModel: `openai/${model.name}`, apiBase: base, emitApiBase: base, apiKey: key ?? "no-key" };
    }
    case "openai": {
      const base = trimSlash(backend.url ? localUrl(backend.url) : DEFAULT_API_BASE.openai);
      return { litellmModel: `openai/${model.name}`, apiBase: base, emitApiBase: base, apiKey: key };
    }
    case "openrouter": {
      const base = trimSlash(backend.url ? localUrl(backend.url) : DEFAULT_API_BASE.openrouter);
      return { litellmModel: `openrouter/${model.name}`, apiBase: base, emitApiBase: base, apiKey: key };
    }
    case "anthropic": {
      const base = backend.url ? trimSlash(localUrl(backend.url)) : undefined;
      return { litellmModel: `anthropic/${model.name}`, apiBase: base ?? DEFAULT_API_BASE.anthropic, emitApiBase: base, apiKey: key };
    }
  }
}

function maxOf(prices: Price[]): Price {
  return {
    input: Math.max(0, ...prices.map((p) => p.input)),
    output: Math.max(0, ...prices.map((p) => p.output)),
  };
}

/**
 * Plan every route and deployment. Assumes a validated policy but never throws on a dangling reference:
 * each one becomes a problem (the caller throws PolicyError listing all of them).
 */
export function planGateway(policy: Policy): GatewayPlan {
  const problems: Diagnostic[] = [];
  const docker = policy.gateway.runtime === "docker";
  const deployments: PlannedDeployment[] = [];
  const backendSecrets: Record<string, string> = {};
  /** fallback model key → the longest timeout among the routes that fall back to it */
  const usedFallbackModels = new Map<string, number>();

  const problem = (path: string, message: string, hint?: string): void => {
    problems.push({ path, message, severity: "error", ...(hint ? { hint } : {}) });
  };

  const plannedModels = new Map<string, { model: Model; backend: Backend } | undefined>();
  const modelFor = (key: string, path: string): { model: Model; backend: Backend } | undefined => {
    if (plannedModels.has(key)) return plannedModels.get(key);
    let result: { model: Model; backend: Backend } | undefined;
    const model = Object.hasOwn(policy.models, key) ? policy.models[key] : undefined;
    if (!model) {
      problem(path, `unknown model "${key}"`, `define it under models, or use one of: ${Object.keys(policy.models).join(", ") || "(none)"}`);
    } else {
      const backend = Object.hasOwn(policy.backends, model.backend) ? policy.backends[model.backend] : undefined;
      if (!backend) {
        problem(`models.${key}.backend`, `unknown backend "${model.backend}"`, "define it under backends");
      } else if ((backend.type === "ollama" || backend.type === "openai-compatible") && !backend.url) {
        problem(`backends.${model.backend}.url`, `backend "${model.backend}" (${backend.type}) needs a url`, "a self-hosted backend always gets an explicit api_base");
      } else if (backend.location === "local" && isCloudVendorType(backend.type)) {
        problem(`backends.${model.backend}.location`, `backend "${model.backend}" is a ${backend.type} cloud API and cannot be local`);
      } else {
        result = { model, backend };
      }
    }
    plannedModels.set(key, result);
    return result;
  };

  const makeDeployment = (group: string, modelKey: string, resolved: { model: Model; backend: Backend }, timeoutSeconds: number): PlannedDeployment => {
    const { model, backend } = resolved;
    const target = litellmTarget(model, backend, docker);
    if (backend.apiKey) backendSecrets[model.backend] = backend.apiKey.secret;
    const local = backend.location === "local";
    const price = model.price ?? { input: 0, output: 0 };
    return {
      id: deploymentId(group, modelKey),
      group,
      model: modelKey,
      backend: model.backend,
      backendType: backend.type,
      location: backend.location,
      litellmModel: target.litellmModel,
      apiBase: target.apiBase,
      price,
      emitApiBase: target.emitApiBase,
      apiKey: target.apiKey,
      priced: model.price !== undefined || local,
      timeoutSeconds,
      ...(model.contextWindow !== undefined ? { contextWindow: model.contextWindow } : {}),
      ...(model.maxTokens !== undefined ? { maxTokens: model.maxTokens } : {}),
    };
  };

  const routes: RoutePlan[] = [];
  for (const [alias, route] of Object.entries(policy.routes)) {
    const lane = Object.hasOwn(policy.lanes, route.lane) ? policy.lanes[route.lane] : undefined;
    if (!lane) {
      problem(`routes.${alias}.lane`, `unknown lane "${route.lane}"`, `use one of: ${Object.keys(policy.lanes).join(", ") || "(none)"}`);
    }
    if (alias.startsWith(INTERNAL_GROUP_PREFIX)) {
      problem(`routes.${alias}`, `route alias "${alias}" uses the prefix ${INTERNAL_GROUP_PREFIX}, reserved for internal fallback groups`);
    }
    const primary = modelFor(route.model, `routes.${alias}.model`);
    const fallbacks = [...new Set(route.fallbacks ?? [])];
    const fallbackModels = fallbacks.map((m, i) => ({ key: m, resolved: modelFor(m, `routes.${alias}.fallbacks[${i}]`) }));
    if (!lane || !primary || fallbackModels.some((f) => !f.resolved)) continue;

    const timeoutSeconds = route.timeoutSeconds ?? lane.timeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS;
    const primaryDeployment = makeDeployment(alias, route.model, primary, timeoutSeconds);
    deployments.push(primaryDeployment);
    for (const f of fallbacks) usedFallbackModels.set(f, Math.max(usedFallbackModels.get(f) ?? 0, timeoutSeconds));
    const fallbackGroups = fallbacks.map(internalGroupName);
    const reachable = [primary, ...fallbackModels.map((f) => f.resolved!)];
    const cloudBackends = [
      ...new Set(reachable.filter((r) => r.backend.location === "cloud").map((r) => r.model.backend)),
    ].sort();
    routes.push({
      alias,
      lane: route.lane,
      privacy: effectivePrivacy(lane.privacy, route.privacy),
      ...(route.description ?? lane.description ? { description: route.description ?? lane.description } : {}),
      model: route.model,
      fallbacks,
      primaryDeploymentId: primaryDeployment.id,
      fallbackGroups,
      allowedDeploymentIds: [primaryDeployment.id, ...fallbacks.map((f) => deploymentId(internalGroupName(f), f))],
      cloudBackends,
      maxPrice: maxOf(reachable.map((r) => r.model.price ?? { input: 0, output: 0 })),
      timeoutSeconds,
      ...(primary.model.contextWindow !== undefined ? { contextWindow: primary.model.contextWindow } : {}),
      ...(primary.model.maxTokens !== undefined ? { maxTokens: primary.model.maxTokens } : {}),
    });
  }

  const internalGroups: string[] = [];
  for (const [modelKey, timeoutSeconds] of [...usedFallbackModels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const resolved = modelFor(modelKey, `models.${modelKey}`);
    if (!resolved) continue;
    const group = internalGroupName(modelKey);
    internalGroups.push(group);
    deployments.push(makeDeployment(group, modelKey, resolved, timeoutSeconds));
  }

  const masterKey = policy.gateway.masterKey.secret;
  const secretNames = [...new Set([masterKey, ...Object.values(backendSecrets)])].sort();
  return { routes, deployments, internalGroups, secretNames, backendSecrets, problems };
}

/** The route map as written to route-map.json: plain DeploymentInfo, no compiler-only fields. */
export function toRouteMap(policy: Policy, plan: GatewayPlan, generatedBy: string): RouteMap {
  return {
    generatedBy,
    gateway: gatewayFacts(policy, plan.secretNames),
    frontDoor: frontDoorFor(policy),
    routes: plan.routes,
    deployments: plan.deployments.map((d) => ({
      id: d.id,
      group: d.group,
      model: d.model,
      backend: d.backend,
      backendType: d.backendType,
      location: d.location,
      litellmModel: d.litellmModel,
      apiBase: d.apiBase,
      price: d.price,
    })),
    internalGroups: plan.internalGroups,
    lanes: Object.keys(policy.lanes)
      .sort()
      .map((name) => {
        const lane = policy.lanes[name]!;
        return { name, privacy: lane.privacy, ...(lane.budget ? { budget: { ...lane.budget } } : {}) };
      }),
    ledger: { maxBytes: policy.ledger.maxBytes, keep: policy.ledger.keep },
    alerts: policy.alerts.map((a) => ({ ...a })),
  };
}
