import type { Diagnostic } from "../lib/errors.js";
import type { BackendType, Price, Privacy } from "../policy/schema.js";
import type { ProofReport } from "../privacy/types.js";

/**
 * Contracts between the compiler and every later stage (proof, sync, start, test-routes, clients).
 * The compiler is pure: it turns a validated Policy into these values; writing them is the caller's job.
 */

/** One file `build` writes, path relative to the output directory (forward slashes). */
export interface GeneratedFile {
  path: string;
  content: string;
  /** octal file mode, default 0o644 */
  mode?: number;
}

/** Where a deployment sends requests. */
export type Location = "local" | "cloud";

/** One LiteLLM deployment (one model_list entry) as the route map describes it. */
export interface DeploymentInfo {
  /** model_info.id in config.yaml; LiteLLM returns it in `x-litellm-model-id` */
  id: string;
  /** model_name (the model group) this deployment belongs to */
  group: string;
  /** policy key of the model */
  model: string;
  /** policy key of the backend */
  backend: string;
  backendType: BackendType;
  location: Location;
  /** litellm_params.model, for example `ollama_chat/llama3.1:8b` */
  litellmModel: string;
  /** litellm_params.api_base as emitted (after host.docker.internal rewriting for the docker runtime) */
  apiBase: string;
  /** USD per 1M tokens; 0/0 for unpriced local models */
  price: Price;
}

export interface RoutePlan {
  alias: string;
  lane: string;
  /** effective privacy: the route's own when stricter, else the lane's */
  privacy: Privacy;
  description?: string;
  /** policy key of the primary model */
  model: string;
  /** policy keys of the fallback models, in order */
  fallbacks: string[];
  /** the alias's own deployment id (the primary) */
  primaryDeploymentId: string;
  /** model groups listed as this alias's fallbacks in router_settings.fallbacks, in order */
  fallbackGroups: string[];
  /** every deployment id that may legitimately serve this alias: primary first, then fallbacks in order */
  allowedDeploymentIds: string[];
  /** backend keys of cloud backends this alias can reach (empty for local-only) */
  cloudBackends: string[];
  /** the highest price among reachable models */
  maxPrice: Price;
  contextWindow?: number;
  maxTokens?: number;
}

/** The machine-readable route map (`route-map.json`), read by test-routes and the privacy guard. */
export interface RouteMap {
  generatedBy: string;
  routes: RoutePlan[];
  deployments: DeploymentInfo[];
  /** model groups that exist only to be fallback targets */
  internalGroups: string[];
}

/** The generated LiteLLM config, as an object (also written as config.yaml). */
export interface LiteLLMConfig {
  model_list: Array<{
    model_name: string;
    litellm_params: Record<string, unknown>;
    model_info?: Record<string, unknown>;
  }>;
  router_settings?: Record<string, unknown>;
  litellm_settings?: Record<string, unknown>;
  general_settings?: Record<string, unknown>;
  environment_variables?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CompiledGateway {
  /** every file for the output directory, sorted by path; byte-identical for the same input */
  files: GeneratedFile[];
  config: LiteLLMConfig;
  routeMap: RouteMap;
  /** names of every secret the gateway needs at start time (master key included), sorted */
  secretNames: string[];
  warnings: Diagnostic[];
  /** the privacy proof on the generated config.yaml (set by buildGateway, not by compilePolicy) */
  proof?: ProofReport;
}

/** Files of the runtime directory that the gateway reads: config.yaml, the guard and its data. */
export const RUNTIME_FILES = ["config.yaml", "gatewayctl_guard.py", "route-map.json"] as const;
/** Where the runtime directory is mounted inside the container (never over /app). */
export const CONTAINER_RUNTIME_DIR = "/etc/gatewayctl/runtime";
