import { AUTH_FUNCTION, GUARD_CALLBACK } from "../artifact/types.js";
import { classifyDeployment, isStrategyRouterModel, type ClassifyContext } from "./classify.js";
import {
  MECHANISMS,
  type ClassifiedDeployment,
  type Leak,
  type Mechanism,
  type PathStep,
  type ProofReport,
  type ProofWarning,
  type ProveOptions,
  type RouteExpectation,
  type RouteVerdict,
} from "./types.js";

/**
 * The privacy proof: from each expected alias, every deployment a request can end up on, over every mechanism a
 * LiteLLM config can express (reference §3), transitively. Pure; never throws on an odd config shape.
 */

type Dict = Record<string, unknown>;

interface Deployment extends ClassifiedDeployment {
  index: number;
  params: Dict;
  /** set when the location comes from a missing, environment or global api_base */
  classMechanism?: Mechanism;
  /** strategy routers forward to these names; "unknown" when their config is in a file */
  routerTargets?: Array<{ name: string; via: string }>;
  routerConfigFile?: string;
}

interface FallbackEntry {
  key: string;
  targets: string[];
  mechanism: Mechanism;
}

interface Graph {
  deployments: Deployment[];
  byId: Map<string, Deployment>;
  byGroup: Map<string, Deployment[]>;
  byLitellmModel: Map<string, Deployment[]>;
  patterns: Array<{ pattern: string; regex: RegExp; deployments: Deployment[] }>;
  star: Deployment[];
  groupAlias: Map<string, string>;
  aliasMap: Map<string, string>;
  completionModel?: string;
  defaultFallbacks?: { targets: string[]; mechanism: Mechanism };
  fallbackLists: FallbackIndex[];
  mixedGroups: Set<string>;
}

const asDict = (v: unknown): Dict => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Dict) : {});
const asString = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);
const isTruthy = (v: unknown): boolean => v === true || (typeof v === "string" && /^(true|1|yes)$/i.test(v.trim()));

function targetName(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  const d = asDict(v);
  return asString(d.model) ?? asString(d.model_name);
}

/** Fallback lists as the router reads them: `[{group: [targets]}]`; targets may be names or `{model: name}`. */
function parseFallbacks(value: unknown, mechanism: Mechanism): FallbackEntry[] {
  if (!Array.isArray(value)) return [];
  const out: FallbackEntry[] = [];
  for (const item of value) {
    // conservative: every key of a multi-key item counts (the router reads only the first)
    for (const [key, raw] of Object.entries(asDict(item))) {
      const list = Array.isArray(raw) ? raw : [raw];
      const targets = list.map(targetName).filter((t): t is string => t !== undefined);
      out.push({ key, targets, mechanism });
    }
  }
  return out;
}

function nonEmpty(v: unknown): boolean {
  return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null;
}

function wildcardRegex(pattern: string): RegExp {
  const escaped = pattern
    .split("*")
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join("(.*)");
  return new RegExp(`^${escaped}$`);
}

/** Names a strategy router (auto/complexity/adaptive) can send a request to. */
function strategyTargets(params: Dict): { targets: Array<{ name: string; via: string }>; configFile?: string } {
  const targets: Array<{ name: string; via: string }> = [];
  let configFile: string | undefined;
  const NAME_KEYS = new Set(["name", "model", "models", "model_name", "default_model", "fallback_model"]);
  const walk = (value: unknown, key: string, inTiers: boolean, via: string): void => {
    if (typeof value === "string") {
      if (inTiers || NAME_KEYS.has(key)) targets.push({ name: value, via });
      return;
    }
    if (Array.isArray(value)) {
      for (const v of value) walk(v, key, inTiers, via);
      return;
    }
    for (const [k, v] of Object.entries(asDict(value))) walk(v, k, inTiers || k === "tiers", via);
  };
  for (const [key, value] of Object.entries(params)) {
    if (/_(default|embedding)_model$/.test(key) && typeof value === "string") targets.push({ name: value, via: key });
    else if (/router_config_path$/.test(key) && typeof value === "string") configFile = value;
    else if (/router_config$/.test(key)) {
      let parsed: unknown = value;
      if (typeof value === "string") {
        try {
          parsed = JSON.parse(value);
        } catch {
          parsed = undefined;
          configFile = configFile ?? `${key} (not JSON)`;
        }
      }
      walk(parsed, key, false, key);
    }
  }
  return configFile === undefined ? { targets } : { targets, configFile };
}

function buildGraph(config: unknown, ctx: ClassifyContext, declaredCloud: Set<string>): Graph {
  const root = asDict(config);
  const rs = asDict(root.router_settings);
  const ls = asDict(root.litellm_settings);
  const gs = asDict(root.general_settings);
  const list = Array.isArray(root.model_list) ? root.model_list : [];
  const deployments: Deployment[] = [];
  list.forEach((raw, index) => {
    const entry = asDict(raw);
    const params = asDict(entry.litellm_params);
    const info = asDict(entry.model_info);
    const group = typeof entry.model_name === "string" ? entry.model_name : String(entry.model_name ?? "");
    const model = asString(params.model) ?? "";
    const idValue = info.id;
    const id = typeof idValue === "string" || typeof idValue === "number" ? String(idValue) : `model_list[${index}]`;
    const base = params.api_base ?? params.base_url;
    const d: Deployment = {
      index,
      id,
      group,
      litellmModel: model,
      ...(typeof base === "string" ? { apiBase: base } : {}),
      location: "cloud",
      reason: "",
      params,
    };
    if (isStrategyRouterModel(model)) {
      const { targets, configFile } = strategyTargets(params);
      d.routerTargets = targets;
      if (configFile !== undefined) d.routerConfigFile = configFile;
      d.location = "local";
      d.reason = "a router: it forwards to the models it selects";
    } else {
      const c = classifyDeployment(params, ctx);
      d.location = c.location;
      d.reason = c.reason;
      if (c.mechanism) d.classMechanism = c.mechanism;
      if (c.location === "local" && declaredCloud.has(id)) {
        d.location = "cloud";
        d.reason = `the policy declares its backend location: cloud (${c.reason})`;
      }
    }
    deployments.push(d);
  });

  const byId = new Map<string, Deployment>();
  const byGroup = new Map<string, Deployment[]>();
  const byLitellmModel = new Map<string, Deployment[]>();
  const push = <K, V>(m: Map<K, V[]>, k: K, v: V): void => {
    const arr = m.get(k);
    if (arr) arr.push(v);
    else m.set(k, [v]);
  };
  const patternMap = new Map<string, Deployment[]>();
  const star: Deployment[] = [];
  for (const d of deployments) {
    if (!d.id.startsWith("model_list[")) byId.set(d.id, d);
    if (d.litellmModel) push(byLitellmModel, d.litellmModel, d);
    if (d.group === "*") star.push(d);
    else if (d.group.includes("*")) push(patternMap, d.group, d);
    else push(byGroup, d.group, d);
  }
  const patterns = [...patternMap.entries()].map(([pattern, ds]) => ({ pattern, regex: wildcardRegex(pattern), deployments: ds }));
  const mixedGroups = new Set<string>();
  for (const [group, ds] of byGroup) {
    const endpoints = ds.filter((d) => !d.routerTargets);
    if (endpoints.some((d) => d.location === "local") && endpoints.some((d) => d.location === "cloud")) mixedGroups.add(group);
  }

  const groupAlias = new Map<string, string>();
  for (const [k, v] of Object.entries(asDict(rs.model_group_alias))) {
    const t = targetName(v);
    if (t !== undefined) groupAlias.set(k, t);
  }
  const aliasMap = new Map<string, string>();
  for (const [k, v] of Object.entries(asDict(ls.model_alias_map))) {
    if (typeof v === "string") aliasMap.set(k, v);
  }

  // regular fallbacks: router_settings wins if non-empty, else litellm_settings
  const regular = nonEmpty(rs.fallbacks)
    ? parseFallbacks(rs.fallbacks, "router_settings.fallbacks")
    : parseFallbacks(ls.fallbacks, "litellm_settings.fallbacks");
  let defaultFallbacks: Graph["defaultFallbacks"];
  for (const [section, settings] of [["router_settings", rs], ["litellm_settings", ls]] as const) {
    if (defaultFallbacks) break;
    const raw = settings.default_fallbacks;
    if (raw === undefined || raw === null) continue;
    const targets = (Array.isArray(raw) ? raw : [raw]).map(targetName).filter((t): t is string => t !== undefined);
    if (targets.length > 0) defaultFallbacks = { targets, mechanism: `${section}.default_fallbacks` };
  }
  if (defaultFallbacks) regular.push({ key: "*", targets: defaultFallbacks.targets, mechanism: defaultFallbacks.mechanism });
  const special = (name: string): FallbackEntry[] =>
    nonEmpty(rs[name]) ? parseFallbacks(rs[name], `router_settings.${name}`) : parseFallbacks(ls[name], `litellm_settings.${name}`);

  const completionModel = asString(gs.completion_model);
  return {
    deployments,
    byId,
    byGroup,
    byLitellmModel,
    patterns,
    star,
    groupAlias,
    aliasMap,
    ...(completionModel ? { completionModel } : {}),
    ...(defaultFallbacks ? { defaultFallbacks } : {}),
    fallbackLists: [regular, special("context_window_fallbacks"), special("content_policy_fallbacks")].map(indexFallbacks),
    mixedGroups,
  };
}

function describe(d: Deployment): string {
  if (d.routerTargets) return `${d.litellmModel}, router`;
  const base = d.apiBase ?? "no api_base";
  return `${d.litellmModel || "?"} @ ${base}, ${d.location}${d.classMechanism ? `: ${d.reason}` : ""}`;
}

/** Fallback entries by the group they are keyed on. */
type FallbackIndex = Map<string, FallbackEntry[]>;

function indexFallbacks(list: FallbackEntry[]): FallbackIndex {
  const index: FallbackIndex = new Map();
  for (const e of list) {
    const arr = index.get(e.key);
    if (arr) arr.push(e);
    else index.set(e.key, [e]);
  }
  return index;
}

/** Which fallback entries the router uses for a failed group: exact, then provider-stripped, then `*`. */
function fallbackEntries(index: FallbackIndex, group: string): FallbackEntry[] {
  const exact = index.get(group);
  if (exact) return exact;
  const slash = group.indexOf("/");
  if (slash > 0) {
    const stripped = index.get(group.slice(slash + 1));
    if (stripped) return stripped;
  }
  return index.get("*") ?? [];
}

interface Resolution {
  deployments: Array<{ d: Deployment; step: PathStep }>;
  names: Array<{ name: string; step: PathStep }>;
}

/** What the router does with a model name (Router._common_checks_available_deployment, §3). */
function resolveName(g: Graph, name: string): Resolution {
  const byId = g.byId.get(name);
  if (byId) {
    return { deployments: [{ d: byId, step: { mechanism: MECHANISMS.deploymentId, to: `${byId.id} (${describe(byId)})` } }], names: [] };
  }
  const aliased = g.groupAlias.get(name);
  if (aliased !== undefined && aliased !== name) {
    return { deployments: [], names: [{ name: aliased, step: { mechanism: MECHANISMS.modelGroupAlias, to: aliased } }] };
  }
  const members = g.byGroup.get(name);
  if (members && members.length > 0) {
    const mixed = g.mixedGroups.has(name);
    return {
      deployments: members.map((d) => ({
        d,
        step: mixed
          ? { mechanism: MECHANISMS.mixedGroup, to: `${d.id} (${describe(d)})` }
          : { mechanism: MECHANISMS.member, to: `(${describe(d)})` },
      })),
      names: [],
    };
  }
  const matching = g.patterns.filter((p) => p.regex.test(name));
  if (matching.length > 0) {
    return {
      deployments: matching.flatMap((p) =>
        p.deployments.map((d) => ({ d, step: { mechanism: `${MECHANISMS.wildcard} "${p.pattern}"`, to: `${d.id} (${describe(d)})` } })),
      ),
      names: [],
    };
  }
  if (g.star.length > 0) {
    return {
      deployments: g.star.map((d) => ({ d, step: { mechanism: `${MECHANISMS.wildcard} "*"`, to: `${d.id} (${describe(d)})` } })),
      names: [],
    };
  }
  const byModel = g.byLitellmModel.get(name);
  if (byModel && byModel.length > 0) {
    return {
      deployments: byModel.map((d) => ({ d, step: { mechanism: MECHANISMS.litellmModelMatch, to: `${d.group} (${describe(d)})` } })),
      names: [],
    };
  }
  if (g.defaultFallbacks) {
    const first = g.defaultFallbacks.targets[0]!;
    return { deployments: [], names: [{ name: first, step: { mechanism: g.defaultFallbacks.mechanism, to: first } }] };
  }
  return { deployments: [], names: [] };
}

interface Reached {
  d: Deployment;
  steps: PathStep[];
}

/** Breadth-first over names and deployments: the first path found to each deployment is a shortest one. */
function reach(g: Graph, alias: string): { reached: Map<Deployment, Reached>; resolvedAlias: boolean } {
  const reached = new Map<Deployment, Reached>();
  const seenNames = new Set<string>();
  const seenFallbackKeys = new Set<string>();
  const queue: Array<{ name: string; steps: PathStep[] }> = [];

  let start = alias;
  const startSteps: PathStep[] = [];
  if (g.completionModel !== undefined) {
    start = g.completionModel;
    startSteps.push({ mechanism: MECHANISMS.completionModel, to: start });
  }
  const mapped = g.aliasMap.get(start);
  if (mapped !== undefined) {
    start = mapped;
    startSteps.push({ mechanism: MECHANISMS.modelAliasMap, to: start });
  }
  queue.push({ name: start, steps: startSteps });
  let resolvedAlias = false;

  const enqueueFallbacks = (key: string, steps: PathStep[]): void => {
    if (seenFallbackKeys.has(key)) return;
    seenFallbackKeys.add(key);
    for (const list of g.fallbackLists) {
      for (const entry of fallbackEntries(list, key)) {
        for (const t of entry.targets) queue.push({ name: t, steps: [...steps, { mechanism: entry.mechanism, to: t }] });
      }
    }
  };

  for (let i = 0; i < queue.length; i++) {
    const { name, steps } = queue[i]!;
    if (seenNames.has(name)) continue;
    seenNames.add(name);
    const res = resolveName(g, name);
    if (i === 0 && (res.deployments.length > 0 || res.names.length > 0)) resolvedAlias = true;
    for (const n of res.names) queue.push({ name: n.name, steps: [...steps, n.step] });
    for (const { d, step } of res.deployments) {
      const path = [...steps, step];
      if (!reached.has(d)) {
        reached.set(d, { d, steps: path });
        if (d.routerTargets) {
          for (const t of d.routerTargets) queue.push({ name: t.name, steps: [...path, { mechanism: `${MECHANISMS.strategyRouter} (${t.via})`, to: t.name }] });
        }
      }
      // fallbacks are looked up under the name the router was given, and (conservatively) under the deployment's group
      if (d.group !== name) enqueueFallbacks(d.group, path);
    }
    enqueueFallbacks(name, steps);
  }
  return { reached, resolvedAlias };
}

function renderPath(alias: string, steps: PathStep[]): string {
  let s = alias;
  for (const step of steps) s += step.mechanism === MECHANISMS.member ? ` ${step.to}` : ` → [${step.mechanism}] → ${step.to}`;
  return s;
}

function publicDeployment(d: Deployment): ClassifiedDeployment {
  return {
    id: d.id,
    group: d.group,
    litellmModel: d.litellmModel,
    ...(d.apiBase !== undefined ? { apiBase: d.apiBase } : {}),
    location: d.location,
    reason: d.reason,
  };
}

function leakMechanism(d: Deployment, steps: PathStep[]): Mechanism {
  if (d.classMechanism) return d.classMechanism;
  for (let i = steps.length - 1; i >= 0; i--) {
    const m = steps[i]!.mechanism;
    if (m !== MECHANISMS.member) return m;
  }
  return MECHANISMS.member;
}

export function configHasGuard(config: unknown): boolean {
  const root = asDict(config);
  const ls = asDict(root.litellm_settings);
  const callbacks = Array.isArray(ls.callbacks) ? ls.callbacks : typeof ls.callbacks === "string" ? [ls.callbacks] : [];
  return callbacks.includes(GUARD_CALLBACK);
}

function requestWarnings(guard: boolean): ProofWarning[] {
  const guardText = "the gatewayctl guard (litellm_settings.callbacks) rejects it";
  const w = (mechanism: Mechanism, message: string, without: string): ProofWarning => ({
    mechanism,
    message,
    closed: guard,
    closedBy: guard ? guardText : without,
  });
  return [
    w(
      MECHANISMS.requestFallbacks,
      "a client can send fallbacks / context_window_fallbacks / content_policy_fallbacks in the request body; they override the configured fallbacks",
      "load the gatewayctl guard; without it, give clients virtual keys restricted with `models` (fallback targets are checked against key access) or `disable_fallbacks` in key metadata",
    ),
    w(
      MECHANISMS.requestApiBase,
      "a client can send api_base / base_url (with its own api_key) to send the request to an endpoint it chooses",
      "load the gatewayctl guard, and keep allow_client_side_credentials and configurable_clientside_auth_params out of the config",
    ),
    w(MECHANISMS.requestUserConfig, "a client can send user_config, a throwaway router with deployments of its own", "load the gatewayctl guard"),
    w(
      MECHANISMS.requestRouterOverride,
      "a client can send router_settings_override (fallbacks among them); key and team router_settings in a database do the same",
      "load the gatewayctl guard, and run without a database (no key/team router_settings)",
    ),
    w(MECHANISMS.requestCommaModels, 'a client can send model "a,b" to fan the request out to several groups', "load the gatewayctl guard"),
    w(
      MECHANISMS.requestDirectAddressing,
      "a client can address a deployment id, an internal group or a provider model string directly instead of an alias",
      "load the gatewayctl guard; without it, give clients virtual keys restricted with `models` to the aliases",
    ),
  ];
}

/** Check every expectation against the config. */
export function proveRoutes(config: unknown, expectations: RouteExpectation[], options: ProveOptions = {}): ProofReport {
  const root = asDict(config);
  const ctx: ClassifyContext = {
    globalApiBase: asDict(root.litellm_settings).api_base,
    localHosts: new Set((options.localHosts ?? []).map((h) => h.trim().toLowerCase().replace(/^\[|\]$/g, ""))),
  };
  const g = buildGraph(config, ctx, new Set(options.cloudDeploymentIds ?? []));
  const gs = asDict(root.general_settings);
  const env = asDict(root.environment_variables);
  const guard = configHasGuard(root) && options.guardPresent !== false;

  // config switches that let a request (or the API) go anywhere, whatever the model groups say
  const openDoors: Array<{ mechanism: Mechanism; to: string; message: string }> = [];
  if (isTruthy(gs.allow_client_side_credentials)) {
    openDoors.push({
      mechanism: MECHANISMS.clientSideCredentials,
      to: "any api_base a client sends (cloud)",
      message: "clients may send their own api_base, so a request can go to any endpoint",
    });
  }
  const passThrough = gs.pass_through_endpoints;
  if ((Array.isArray(passThrough) && passThrough.length > 0) || (passThrough && typeof passThrough === "object" && !Array.isArray(passThrough) && Object.keys(passThrough).length > 0)) {
    openDoors.push({
      mechanism: MECHANISMS.passThroughEndpoints,
      to: "the target URLs of general_settings.pass_through_endpoints (cloud)",
      message: "pass-through endpoints forward a client's raw request to another URL, past every model group",
    });
  }
  const ls = asDict(root.litellm_settings);
  const supported = asDict(ls.cache_params).supported_call_types;
  if (isTruthy(ls.cache) && !(Array.isArray(supported) && supported.length === 0)) {
    openDoors.push({
      mechanism: MECHANISMS.responseCache,
      to: "the response cache (shared by every key)",
      message: "a response cache stores responses keyed by their prompts, and answers any key that sends the same prompt",
    });
  }
  if (isTruthy(gs.background_health_checks) && g.deployments.some((d) => d.location === "cloud")) {
    openDoors.push({
      mechanism: MECHANISMS.backgroundHealthChecks,
      to: "every cloud deployment, on a timer",
      message: "background health checks send real, billed requests to every deployment, cloud ones included",
    });
  }
  if (isTruthy(env.STORE_MODEL_IN_DB) || isTruthy(gs.store_model_in_db)) {
    openDoors.push({
      mechanism: MECHANISMS.storeModelInDb,
      to: "models and fallbacks added at run time through /model/new, /fallback, /config/update (cloud)",
      message: "STORE_MODEL_IN_DB makes the database part of the routing table, so config.yaml is not the whole truth",
    });
  }

  const leaks: Leak[] = [];
  const verdicts: RouteVerdict[] = [];
  const warnings: ProofWarning[] = [];
  for (const exp of expectations) {
    const { reached, resolvedAlias } = reach(g, exp.alias);
    const endpoints = [...reached.values()].filter((r) => !r.d.routerTargets);
    const allowed = exp.allowedDeploymentIds ? new Set(exp.allowedDeploymentIds) : undefined;
    const aliasLeaks: Leak[] = [];
    const addLeak = (d: ClassifiedDeployment, steps: PathStep[], mechanism: Mechanism, message: string): void => {
      aliasLeaks.push({
        alias: exp.alias,
        privacy: exp.privacy,
        mechanism,
        mechanisms: [...new Set(steps.map((s) => s.mechanism))],
        deployment: d,
        steps,
        path: renderPath(exp.alias, steps),
        message,
      });
    };
    if (exp.privacy !== "cloud-allowed") {
      for (const { d, steps } of endpoints) {
        const mechanism = leakMechanism(d, steps);
        if (exp.privacy === "local-only" && d.location === "cloud") {
          addLeak(publicDeployment(d), steps, mechanism, `${exp.alias} is local-only but can reach cloud deployment ${d.id} (${d.reason})`);
        } else if (exp.privacy === "local-first") {
          // the alias's own model: reached without any fallback
          const direct = steps.every((s) => !s.mechanism.includes("fallbacks"));
          if (allowed && !allowed.has(d.id)) {
            addLeak(publicDeployment(d), steps, mechanism, `${exp.alias} is local-first but can reach ${d.id}, which its route does not list (${d.location})`);
          } else if (direct && d.location === "cloud") {
            addLeak(publicDeployment(d), steps, mechanism, `${exp.alias} is local-first but its own model ${d.id} is cloud (${d.reason})`);
          }
        }
      }
      for (const [d, r] of reached) {
        if (d.routerTargets && d.routerConfigFile !== undefined) {
          const steps = [...r.steps, { mechanism: MECHANISMS.strategyRouter, to: `targets listed in ${d.routerConfigFile}, which the audit cannot read (treated as cloud)` }];
          addLeak({ ...publicDeployment(d), location: "cloud", reason: "router targets unknown" }, steps, MECHANISMS.strategyRouter, `${exp.alias} reaches router ${d.id} whose targets are not in the config`);
        }
        const auth = d.params.configurable_clientside_auth_params;
        if (Array.isArray(auth) && auth.some((a) => a === "api_base" || a === "base_url" || "api_base" in asDict(a) || "base_url" in asDict(a))) {
          const steps = [...r.steps, { mechanism: MECHANISMS.clientSideAuthParams, to: "any api_base a client sends (cloud)" }];
          addLeak({ ...publicDeployment(d), location: "cloud", reason: "clients may override api_base" }, steps, MECHANISMS.clientSideAuthParams, `${exp.alias} reaches ${d.id}, whose api_base a client may replace`);
        }
      }
      if (resolvedAlias || reached.size > 0) {
        for (const door of openDoors) {
          const steps = [{ mechanism: door.mechanism, to: door.to }];
          addLeak({ id: "(any)", group: "(any)", litellmModel: "(any)", location: "cloud", reason: door.message }, steps, door.mechanism, `${exp.alias}: ${door.message}`);
        }
      }
    }
    let note: string | undefined;
    if (!resolvedAlias && reached.size === 0) {
      note = `no model group named ${exp.alias}: LiteLLM rejects requests for it (400)`;
      warnings.push({ mechanism: MECHANISMS.member, alias: exp.alias, message: note, closedBy: "add the model group, or fix the alias name", closed: false });
    }
    leaks.push(...aliasLeaks);
    verdicts.push({
      alias: exp.alias,
      privacy: exp.privacy,
      ...(exp.source ? { source: exp.source } : {}),
      ok: aliasLeaks.length === 0,
      reachable: endpoints.map((r) => ({ id: r.d.id, group: r.d.group, location: r.d.location })),
      leaks: aliasLeaks.length,
      ...(note ? { note } : {}),
    });
  }

  if ((gs.enforce_fallback_model_access === false || gs.enforce_fallback_model_access === "false") && gs.custom_auth !== AUTH_FUNCTION) {
    warnings.push({
      mechanism: "general_settings.enforce_fallback_model_access",
      message: "configured fallbacks are not checked against the caller's key model access",
      closedBy: "remove enforce_fallback_model_access: false",
      closed: false,
    });
  }
  if (gs.custom_auth !== AUTH_FUNCTION) {
    warnings.push({
      mechanism: MECHANISMS.frontDoor,
      message:
        "without gatewayctl's front door every key LiteLLM accepts reaches every endpoint (/queue, provider pass-through, files, batches, management) and any alias, not only what the policy names",
      closedBy: `general_settings.custom_auth: ${AUTH_FUNCTION} (gatewayctl build emits it with each client's own key and aliases)`,
      closed: false,
    });
  }
  warnings.push(...requestWarnings(guard));
  return { ok: leaks.length === 0, verdicts, leaks, warnings, guard };
}
