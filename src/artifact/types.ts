import type { Alert, BackendType, Budget, Price, Privacy } from "../policy/schema.js";

/**
 * The build artifact's vocabulary: what `gatewayctl build` writes into its output directory and every later stage
 * (audit, sync, start, status, test-routes, the drill) reads back through `readArtifact`. One place for these
 * facts; no other module declares them.
 */

/** How gatewayctl runs LiteLLM. */
export const RUNTIME_KINDS = ["docker", "process"] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

/** Where a deployment sends requests. */
export type Location = "local" | "cloud";

/** The files of a build that the gateway itself reads (the rest are for people and clients). */
export const CONFIG_FILE = "config.yaml";
export const ROUTE_MAP_FILE = "route-map.json";
/** Content hashes of every other file a build wrote: a reader checks it read one build, not parts of two. */
export const BUILD_MANIFEST_FILE = "build-manifest.json";
/** Module name of the privacy guard in the runtime directory (file `${GUARD_MODULE}.py`). */
export const GUARD_MODULE = "gatewayctl_guard";
export const GUARD_FILE = `${GUARD_MODULE}.py`;
/** Value for litellm_settings.callbacks that loads the guard. */
export const GUARD_CALLBACK = `${GUARD_MODULE}.proxy_handler_instance`;
/** Module name of the front door (LiteLLM's custom auth) in the runtime directory. */
export const AUTH_MODULE = "gatewayctl_auth";
export const AUTH_FILE = `${AUTH_MODULE}.py`;
/** Value for general_settings.custom_auth that loads the front door. */
export const AUTH_FUNCTION = `${AUTH_MODULE}.user_api_key_auth`;
/** Module name of the request ledger (a LiteLLM logging callback that also enforces lane budgets). */
export const LEDGER_MODULE = "gatewayctl_ledger";
export const LEDGER_FILE = `${LEDGER_MODULE}.py`;
/** Value for litellm_settings.callbacks that loads the ledger. */
export const LEDGER_CALLBACK = `${LEDGER_MODULE}.proxy_handler_instance`;
/** Environment variable naming the writable directory the ledger appends to (set by both runtimes). */
export const LEDGER_DIR_ENV = "GATEWAYCTL_LEDGER_DIR";
/** The ledger's directory inside the runtime's state directory, and its current file (rotated ones get .1, .2, ...). */
export const LEDGER_DIR_NAME = "ledger";
export const LEDGER_FILE_NAME = "ledger.jsonl";
/** File next to the guard whose content, when equal to the environment variable below, turns on drill mode. */
export const GUARD_DRILL_TOKEN_FILE = "gatewayctl-drill-token";
/** Environment variable that must carry the drill token (set only on a test-routes --drill gateway). */
export const GUARD_DRILL_TOKEN_ENV = "GATEWAYCTL_DRILL_TOKEN";
export const RUNTIME_FILES = [CONFIG_FILE, GUARD_FILE, ROUTE_MAP_FILE] as const;

/** general_settings key that lets clients send mock_testing_* flags (LiteLLM 1.108 refuses them without it). */
export const MOCK_TESTING_SWITCH = "dangerously_allow_mock_testing_request_params";

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
  /** seconds each deployment of this route may take before LiteLLM gives up on it (and falls back, if it may) */
  timeoutSeconds: number;
  contextWindow?: number;
  maxTokens?: number;
}

/**
 * The gateway a build was made for. Recorded in the route map so that start, status, test-routes and the drill
 * learn it from the artifact instead of recompiling the policy.
 */
export interface GatewayFacts {
  /** the runtime the config was built for: docker addresses host backends as host.docker.internal */
  runtime: RuntimeKind;
  bind: string;
  port: number;
  /** the container image, always with a tag (docker) */
  image: string;
  /** the pinned LiteLLM release */
  litellmVersion: string;
  /** name of the master key secret */
  masterKeySecret: string;
  /** every secret the gateway needs at start time (master key included), sorted */
  secretNames: string[];
  /** Python modules beside config.yaml that the config must load (the guard, and later ones) */
  modules: string[];
  /** present only when the policy has a `scale:` section: replicas behind a load balancer, sharing Redis */
  scale?: ScaleFacts;
}

/** How the replicas reach the Redis they share router state through. */
export interface RedisFacts {
  /** gatewayctl runs this Redis itself (process runtime, compose service, Kubernetes Deployment) */
  bundled: boolean;
  /** the policy's secret name of the password (also in secretNames) */
  passwordSecret: string;
  /** the variable config.yaml reads the password from (router_settings, through os.environ/) */
  passwordEnv: string;
  /**
   * router_settings' host and port as written: a bundled Redis's address on the build's runtime (127.0.0.1 and the
   * port after the replicas' on the process runtime; the service on port 6379 in compose and Kubernetes), or an
   * existing Redis's fixed port. Written as is: no secret, and the build already knows it for its runtime, so no
   * runtime has to set a variable for it.
   */
  host?: string;
  port?: number;
  /** an existing Redis: the secrets (and the variables config.yaml reads them from) of its host and port */
  hostSecret?: string;
  hostEnv?: string;
  portSecret?: string;
  portEnv?: string;
  /** a bundled Redis in compose and Kubernetes: its image */
  image?: string;
}

/** The scale-out shape of a gateway, recorded in route-map.json so every runtime renders the same replicas. */
export interface ScaleFacts {
  replicas: number;
  /** process runtime: the loopback ports of the replicas, consecutive after gateway.port (the balancer's) */
  replicaPorts: number[];
  redis?: RedisFacts;
  loadBalancer: {
    type: "haproxy";
    /** the balancer's image in compose */
    image: string;
    /** what the balancer health-checks on each replica */
    healthPath: string;
    /** attempts after the first, each on another replica when one is left (option redispatch) */
    retries: number;
    timeoutSeconds: number;
  };
}

/** One client of the gateway: its own key (by reference) and the route aliases it may use. */
export interface ClientAccess {
  name: string;
  /** the policy's secret name of its key */
  keySecret: string;
  /** the environment variable that carries the key inside the gateway (see gatewayEnvName) */
  keyEnv: string;
  /** the route aliases this key may ask for, sorted */
  aliases: string[];
}

/**
 * The front door (gatewayctl_auth.py, LiteLLM's custom auth): which keys are admitted and where. Every request that
 * is not to a public health endpoint must carry a known key and go to an endpoint listed for it; everything else is
 * refused before any LiteLLM handler runs.
 */
export interface FrontDoor {
  /** the environment variable that carries the master key inside the gateway (gatewayctl's own key) */
  masterKeyEnv: string;
  clients: ClientAccess[];
  /** request paths a client key may call: inference endpoints on which the guard is proven to run, and the model list */
  clientEndpoints: string[];
  /** request paths the master key may call: what gatewayctl itself calls (test-routes, the drill, start) */
  masterEndpoints: string[];
}

/** A lane as the ledger, the budget check and the report need it. */
export interface LaneInfo {
  name: string;
  privacy: Privacy;
  /** USD on priced deployments per UTC day / month; absent: no budget */
  budget?: Budget;
}

/** How the gateway keeps its request ledger (see gatewayctl_ledger.py). */
export interface LedgerFacts {
  /** the current file is rotated once it reaches this size */
  maxBytes: number;
  /** rotated files kept (ledger.jsonl.1 ... .keep) */
  keep: number;
}

/** The machine-readable route map (`route-map.json`), read by every later stage and by the privacy guard. */
export interface RouteMap {
  generatedBy: string;
  gateway: GatewayFacts;
  frontDoor: FrontDoor;
  routes: RoutePlan[];
  deployments: DeploymentInfo[];
  /** model groups that exist only to be fallback targets */
  internalGroups: string[];
  /** every lane, sorted by name, with its budget */
  lanes: LaneInfo[];
  ledger: LedgerFacts;
  /** the policy's alert rules, checked by `report --check` */
  alerts: Alert[];
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
