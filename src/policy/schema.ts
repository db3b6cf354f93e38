import { z } from "zod";
import { DEFAULT_LITELLM_VERSION } from "../lib/versions.js";
import { RUNTIME_KINDS } from "../artifact/types.js";
import { CLOUD_VENDOR_TYPES } from "./vendors.js";

/**
 * The gateway policy, version 1. Every object is strict so a typo is an error, not a silently ignored key.
 * Names in this file are the public policy format: keep them stable.
 */

export const SECRET_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** Route aliases are what clients send as `model`: lowercase, no slash (LiteLLM strips provider prefixes), no comma. */
export const ALIAS_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** Keys of backends, models and lanes. */
export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** Prefix reserved for the internal model groups that fallbacks use. */
export const INTERNAL_GROUP_PREFIX = "gw-fallback-";

export const SecretRefSchema = z
  .strictObject({
    secret: z.string().regex(SECRET_NAME, "a secret name is UPPER_SNAKE_CASE, for example OPENAI_API_KEY"),
  })
  .describe("A reference to a secret, resolved at start time by the secrets provider. Never a value.");
export type SecretRef = z.infer<typeof SecretRefSchema>;

export const PriceSchema = z
  .strictObject({
    input: z.number().nonnegative().describe("USD per 1M input tokens"),
    output: z.number().nonnegative().describe("USD per 1M output tokens"),
  })
  .describe("Price in USD per million tokens");
export type Price = z.infer<typeof PriceSchema>;

export const PrivacySchema = z
  .enum(["local-only", "local-first", "cloud-allowed"])
  .describe(
    "local-only: primary and every fallback on local backends. local-first: primary local, cloud only as fallbacks listed on the route. cloud-allowed: anything.",
  );
export type Privacy = z.infer<typeof PrivacySchema>;

export const BACKEND_TYPES = ["ollama", "openai-compatible", ...CLOUD_VENDOR_TYPES] as const;
export const BackendTypeSchema = z.enum(BACKEND_TYPES);
export type BackendType = z.infer<typeof BackendTypeSchema>;

export const BackendSchema = z
  .strictObject({
    type: BackendTypeSchema,
    url: z
      .string()
      .url()
      .optional()
      .describe("Base URL. Required for ollama and openai-compatible (include /v1 for openai-compatible)."),
    apiKey: SecretRefSchema.optional(),
    location: z.enum(["local", "cloud"]).describe("Where requests to this backend go. Checked against the URL."),
    trustAsLocal: z
      .boolean()
      .optional()
      .describe("Accept a local backend whose host is not loopback, private, .local/.lan/.home.arpa or single-label."),
    description: z.string().optional(),
  })
  .describe("A model server: a local one (Ollama, vLLM, llama.cpp, LM Studio) or a cloud provider");
export type Backend = z.infer<typeof BackendSchema>;

export const ModelSchema = z
  .strictObject({
    backend: z.string().describe("Key of a backend"),
    name: z.string().min(1).describe("The model's name on that backend, for example llama3.1:8b or gpt-4o-mini"),
    price: PriceSchema.optional().describe("USD per 1M tokens; local models cost 0 unless priced"),
    contextWindow: z.number().int().positive().optional().describe("Context window in tokens"),
    maxTokens: z.number().int().positive().optional().describe("Maximum output tokens per request"),
    description: z.string().optional(),
  })
  .describe("One model on one backend");
export type Model = z.infer<typeof ModelSchema>;

/** A request's time on one deployment when the lane and route say nothing: LiteLLM's own default is 6,000 s. */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 300;
export const MAX_REQUEST_TIMEOUT_SECONDS = 3600;
const RequestTimeoutSchema = z
  .number()
  .positive()
  .max(MAX_REQUEST_TIMEOUT_SECONDS)
  .describe(
    `Seconds a deployment may take to answer (at most ${MAX_REQUEST_TIMEOUT_SECONDS}): then a local-first route falls back and a local-only route fails closed`,
  );

export const BudgetSchema = z
  .strictObject({
    daily: z.number().positive().optional().describe("USD per UTC day"),
    monthly: z.number().positive().optional().describe("USD per UTC calendar month"),
  })
  .refine((b) => b.daily !== undefined || b.monthly !== undefined, { message: "a budget needs daily, monthly or both" })
  .describe("USD the lane may spend on priced (cloud) deployments; once spent they are refused until the reset, local ones keep serving");
export type Budget = z.infer<typeof BudgetSchema>;

export const LaneSchema = z
  .strictObject({
    privacy: PrivacySchema,
    description: z.string().min(1).describe("One sentence: what work belongs in this lane"),
    maxPrice: PriceSchema.optional().describe("Every model reachable from this lane's routes must cost at most this"),
    timeoutSeconds: RequestTimeoutSchema.optional().describe(
      `Request timeout of this lane's routes in seconds (default ${DEFAULT_REQUEST_TIMEOUT_SECONDS}, at most ${MAX_REQUEST_TIMEOUT_SECONDS}); a route may override it`,
    ),
    budget: BudgetSchema.optional(),
  })
  .describe("A kind of work with its privacy and cost rules");
export type Lane = z.infer<typeof LaneSchema>;

export const RouteSchema = z
  .strictObject({
    lane: z.string().describe("Key of a lane"),
    model: z.string().describe("Key of the primary model"),
    fallbacks: z.array(z.string()).default([]).describe("Keys of models tried in order when the primary fails"),
    privacy: PrivacySchema.optional().describe("Stricter than the lane's privacy, never looser"),
    timeoutSeconds: RequestTimeoutSchema.optional().describe("Request timeout in seconds for this route, overriding its lane's"),
    description: z.string().optional(),
  })
  .describe("A route alias clients ask for as `model`");
export type Route = z.infer<typeof RouteSchema>;

export const ClientSchema = z
  .strictObject({
    key: SecretRefSchema.describe("The client's own key, as { secret: NAME }: the gateway admits it with only the aliases below"),
    routes: z.array(z.string()).optional().describe("Route aliases this client may use"),
    lanes: z.array(z.string()).optional().describe("Lanes whose every route this client may use"),
    description: z.string().optional(),
  })
  .describe("A client of the gateway (an app, an agent, scripts): its own key and the aliases it may ask for");
export type Client = z.infer<typeof ClientSchema>;

export const GatewaySchema = z
  .strictObject({
    port: z.number().int().min(1).max(65535).default(4000).describe("TCP port the gateway listens on"),
    bind: z
      .string()
      .default("127.0.0.1")
      .describe("Address the gateway listens on (published on, for Docker). Anything but loopback must be explicit."),
    litellmVersion: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, "a plain version such as 1.108.7")
      .default(DEFAULT_LITELLM_VERSION)
      .describe("LiteLLM release to run, pinned; compromised releases are refused"),
    image: z
      .string()
      .optional()
      .describe("Container image; default ghcr.io/berriai/litellm:<litellmVersion>"),
    masterKey: SecretRefSchema.default({ secret: "LITELLM_MASTER_KEY" }).describe(
      "The secret holding the gateway's master key, as { secret: NAME }",
    ),
    runtime: z
      .enum(RUNTIME_KINDS)
      .default("docker")
      .describe("docker: loopback backend URLs are reached as host.docker.internal from the container"),
  })
  .describe("How the LiteLLM proxy itself runs");
export type Gateway = z.infer<typeof GatewaySchema>;

export const SecretsSchema = z
  .strictObject({
    provider: z
      .enum(["env", "env-file", "command"])
      .default("env")
      .describe("env: the environment; env-file: a dotenv file (file); command: a command per secret (command)"),
    file: z.string().optional().describe("env-file: a dotenv file readable only by its owner (mode 0600)"),
    command: z
      .string()
      .optional()
      .describe("command: a template run without a shell, {name} replaced by the secret name, e.g. `pass show gateway/{name}`"),
    timeoutSeconds: z.number().positive().max(600).default(10).describe("How long the command provider may take per secret (at most 600 s)"),
  })
  .describe("Where secret values come from at start time");
export type Secrets = z.infer<typeof SecretsSchema>;

export const RuntimeSchema = z
  .strictObject({
    source: z.string().optional().describe("Source of truth (a Git checkout or NAS path) synced into dir"),
    dir: z.string().min(1, "an empty runtime.dir would be the policy's own directory").default("~/.local/state/gatewayctl/runtime").describe("Local runtime directory mounted into the container"),
    keep: z.number().int().min(1).max(100).default(5).describe("Previous generations kept for rollback"),
    sourceTimeoutSeconds: z
      .number()
      .positive()
      .max(3600)
      .default(15)
      .describe("How long reading the source may take before the last known-good runtime copy is used (at most 3600 s)"),
  })
  .describe("The local runtime copy the gateway runs from");
export type Runtime = z.infer<typeof RuntimeSchema>;

/** The request ledger the gateway appends to (one JSON line per request, in the runtime's state directory). */
export const LedgerSchema = z
  .strictObject({
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 ** 3)
      .default(64 * 1024 ** 2)
      .describe("Size at which the ledger file is rotated (bytes, default 64 MiB)"),
    keep: z.number().int().min(1).max(100).default(3).describe("Rotated ledger files kept beside the current one"),
  })
  .describe("The request ledger: at most maxBytes x (keep + 1) on disk");
export type Ledger = z.infer<typeof LedgerSchema>;

/** Alert rules, checked by `gatewayctl report --check` over the ledger. */
export const AlertSchema = z
  .discriminatedUnion("rule", [
    z.strictObject({
      rule: z.literal("cloud-fallback"),
      lane: z.string().describe("Key of a lane: fires on any request of it served by a cloud fallback"),
      name: z.string().optional(),
    }),
    z.strictObject({
      rule: z.literal("refusals"),
      perHour: z.number().int().nonnegative().describe("Fires when more requests than this are refused within one clock hour (UTC)"),
      name: z.string().optional(),
    }),
    z.strictObject({
      rule: z.literal("budget"),
      lane: z.string().describe("Key of a lane with a budget"),
      percent: z.number().positive().max(1000).describe("Fires when today's or this month's spend is above this share of the budget"),
      name: z.string().optional(),
    }),
  ])
  .describe("An alert rule: cloud-fallback (lane), refusals (perHour), budget (lane, percent)");
export type Alert = z.infer<typeof AlertSchema>;

/** A Kubernetes quantity such as 500m, 2, 512Mi or 1Gi. */
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/;
const ResourceAmountsSchema = z
  .strictObject({
    cpu: z.string().regex(QUANTITY, "a Kubernetes CPU quantity such as 500m or 1").optional(),
    memory: z.string().regex(QUANTITY, "a Kubernetes memory quantity such as 512Mi or 1Gi").optional(),
  })
  .describe("CPU and memory, as Kubernetes quantities");

export const RedisSchema = z
  .strictObject({
    bundled: z
      .boolean()
      .optional()
      .describe("true: gatewayctl runs a Redis of its own next to the replicas (process runtime, compose, Kubernetes), never published"),
    host: SecretRefSchema.optional().describe("An existing Redis: its host, as { secret: NAME }"),
    port: z
      .union([z.number().int().min(1).max(65535), SecretRefSchema])
      .optional()
      .describe("An existing Redis: its port (default 6379), a number or { secret: NAME }"),
    password: SecretRefSchema.default({ secret: "GATEWAYCTL_REDIS_PASSWORD" }).describe(
      "The Redis password, as { secret: NAME }: Redis is only ever reached with a password",
    ),
    image: z.string().min(1).optional().describe("A bundled Redis in compose and Kubernetes: its image (default redis:7.0)"),
  })
  .describe("The Redis the replicas share router state through (cooldowns, rate-limit counters); never a response cache");
export type Redis = z.infer<typeof RedisSchema>;

export const LoadBalancerSchema = z
  .strictObject({
    type: z.literal("haproxy").default("haproxy").describe("haproxy: the balancer that retries a failed in-flight request on another replica"),
    image: z.string().min(1).optional().describe("The balancer's image in compose (default haproxy:2.6)"),
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(600)
      .describe("How long the balancer waits for a replica's answer (a long completion included)"),
  })
  .describe("The load balancer in front of the replicas, published on gateway.bind:gateway.port");
export type LoadBalancer = z.infer<typeof LoadBalancerSchema>;

export const NetworkTargetSchema = z
  .strictObject({
    cidr: z.array(z.string().min(1)).optional().describe("IP ranges the backend answers on, for example 10.0.5.0/24"),
    namespace: z.string().min(1).optional().describe("An in-cluster backend: the namespace of its pods"),
    podLabels: z.record(z.string(), z.string()).optional().describe("An in-cluster backend: labels of its pods"),
  })
  .describe("Where the gateway pods may connect for one backend");

export const KubernetesSchema = z
  .strictObject({
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a Kubernetes namespace name: lowercase letters, digits and '-'").max(63).default("gatewayctl"),
    resources: z
      .strictObject({ requests: ResourceAmountsSchema.optional(), limits: ResourceAmountsSchema.optional() })
      .default({ requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } })
      .describe("Resources of each gateway pod"),
    hpa: z
      .strictObject({
        minReplicas: z.number().int().min(1).max(100).optional().describe("Default: scale.replicas"),
        maxReplicas: z.number().int().min(1).max(100),
        targetCPUUtilization: z.number().int().min(1).max(100).default(70).describe("Percent of the CPU request"),
      })
      .optional()
      .describe("A HorizontalPodAutoscaler for the gateway Deployment"),
    egress: z
      .record(z.string().regex(KEY_NAME), NetworkTargetSchema)
      .default({})
      .describe("Per backend key: where its requests go, for the NetworkPolicy (a backend whose URL host is an IP address needs none)"),
    redisEgress: NetworkTargetSchema.optional().describe("An existing Redis: where it answers, for the NetworkPolicy"),
  })
  .describe("Kubernetes manifests written to generated/k8s/");
export type Kubernetes = z.infer<typeof KubernetesSchema>;

export const ScaleSchema = z
  .strictObject({
    replicas: z.number().int().min(1).max(32).default(2).describe("LiteLLM replicas behind the load balancer"),
    redis: RedisSchema.optional().describe("Required with more than one replica"),
    loadBalancer: LoadBalancerSchema.default(LoadBalancerSchema.parse({})),
    kubernetes: KubernetesSchema.optional().describe("Write Kubernetes manifests (generated/k8s/) too"),
  })
  .describe("More than one gateway process: replicas sharing router state through Redis behind a load balancer");
export type Scale = z.infer<typeof ScaleSchema>;

export const PolicySchema = z
  .strictObject({
    version: z.literal(1).describe("Policy format version: 1"),
    gateway: GatewaySchema.default(GatewaySchema.parse({})),
    secrets: SecretsSchema.default(SecretsSchema.parse({})),
    runtime: RuntimeSchema.default(RuntimeSchema.parse({})),
    backends: z.record(z.string().regex(KEY_NAME), BackendSchema).describe("Model servers by name"),
    models: z.record(z.string().regex(KEY_NAME), ModelSchema).describe("Models by name"),
    lanes: z.record(z.string().regex(KEY_NAME), LaneSchema).describe("Kinds of work by name, each with its privacy"),
    routes: z
      .record(z.string().regex(ALIAS_NAME, "a route alias is lowercase letters, digits, '.', '_' or '-'"), RouteSchema)
      .describe("Route aliases by name: what clients send as `model`"),
    clients: z
      .record(z.string().regex(KEY_NAME), ClientSchema)
      .default({})
      .describe("Clients by name, each with its own key and aliases; the master key is gatewayctl's alone"),
    ledger: LedgerSchema.default(LedgerSchema.parse({})),
    alerts: z.array(AlertSchema).default([]).describe("Rules `gatewayctl report --check` fires on"),

    scale: ScaleSchema.optional(),
  })
  .describe("gatewayctl policy: backends, models, lanes and route aliases for one LiteLLM gateway");
export type Policy = z.infer<typeof PolicySchema>;
/** The policy as written, before defaults. */
export type PolicyInput = z.input<typeof PolicySchema>;

export const PRIVACY_RANK: Record<Privacy, number> = { "local-only": 0, "local-first": 1, "cloud-allowed": 2 };
