import type { Privacy } from "../policy/schema.js";
import type { Location } from "../artifact/types.js";

/**
 * The names of the mechanisms that move a request from the model group it addressed to somewhere else
 * (reference §3). Config-expressible ones produce leaks; request-borne ones produce warnings.
 */
export const MECHANISMS = {
  member: "model group",
  mixedGroup: "mixed model group",
  deploymentId: "model_info.id",
  litellmModelMatch: "litellm_params.model match",
  wildcard: "wildcard",
  modelGroupAlias: "router_settings.model_group_alias",
  modelAliasMap: "litellm_settings.model_alias_map",
  completionModel: "general_settings.completion_model",
  strategyRouter: "auto router",
  globalApiBase: "litellm_settings.api_base",
  missingApiBase: "missing api_base",
  envApiBase: "api_base from environment",
  clientSideCredentials: "general_settings.allow_client_side_credentials",
  clientSideAuthParams: "configurable_clientside_auth_params",
  storeModelInDb: "STORE_MODEL_IN_DB",
  passThroughEndpoints: "general_settings.pass_through_endpoints",
  responseCache: "litellm_settings.cache",
  backgroundHealthChecks: "general_settings.background_health_checks",
  frontDoor: "general_settings.custom_auth",
  requestFallbacks: "request fallbacks",
  requestApiBase: "request api_base",
  requestUserConfig: "request user_config",
  requestRouterOverride: "request router_settings_override",
  requestCommaModels: "request comma-separated model",
  requestDirectAddressing: "request direct deployment addressing",
} as const;
/** Also `<section>.fallbacks`, `<section>.default_fallbacks`, `<section>.context_window_fallbacks`, `<section>.content_policy_fallbacks`. */
export type Mechanism = string;

/** What must hold for one alias (model group clients request). */
export interface RouteExpectation {
  alias: string;
  privacy: Privacy;
  /** model_info.id of every deployment that may serve the alias (primary first); for local-first, nothing else may */
  allowedDeploymentIds?: string[];
  /** where the expectation came from: "policy", "route-map.json", "--private" */
  source?: string;
}

export interface PathStep {
  mechanism: Mechanism;
  /** display text of where the step lands */
  to: string;
}

/** A deployment as the proof classified it. */
export interface ClassifiedDeployment {
  /** model_info.id, or `model_list[<index>]` when the entry has none */
  id: string;
  group: string;
  litellmModel: string;
  apiBase?: string;
  location: Location;
  /** why it is local or cloud */
  reason: string;
}

export interface Leak {
  alias: string;
  privacy: Privacy;
  /** the mechanism that makes this path leave the allowed set */
  mechanism: Mechanism;
  /** every mechanism on the path, in order */
  mechanisms: Mechanism[];
  deployment: ClassifiedDeployment;
  steps: PathStep[];
  /** `secure-core → [router_settings.default_fallbacks] → gw-fallback-mini (openai/gpt-4o-mini @ https://api.openai.com/v1, cloud)` */
  path: string;
  /** one sentence: what is wrong */
  message: string;
}

export interface RouteVerdict {
  alias: string;
  privacy: Privacy;
  source?: string;
  ok: boolean;
  /** every deployment a request for the alias can end up on */
  reachable: Array<{ id: string; group: string; location: Location }>;
  leaks: number;
  note?: string;
}

export interface ProofWarning {
  mechanism: Mechanism;
  message: string;
  /** what closes it */
  closedBy: string;
  /** true when the gatewayctl guard is configured (and present) and closes it */
  closed: boolean;
  alias?: string;
}

export interface ProofReport {
  ok: boolean;
  verdicts: RouteVerdict[];
  leaks: Leak[];
  warnings: ProofWarning[];
  /** whether the guard callback counted */
  guard: boolean;
}

export interface ProveOptions {
  /** extra hosts (names or addresses) to treat as local, from `--local-host` */
  localHosts?: string[];
  /** false: the guard callback is configured but its module is missing, so it does not count */
  guardPresent?: boolean;
  /** model_info.id of deployments to treat as cloud whatever their api_base (the policy declares their backend cloud) */
  cloudDeploymentIds?: string[];
}
