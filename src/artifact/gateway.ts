/**
 * Facts about the gateway a build describes, derived once from the artifact's GatewayFacts: the URL clients use,
 * the image, and the one container specification that docker-compose.yml and the dockerode runtime both render.
 * Pure: no I/O.
 */
import type { Policy } from "../policy/schema.js";
import { gatewayEnvName } from "./front-door.js";
import { AUTH_MODULE, CONFIG_FILE, GUARD_MODULE, LEDGER_DIR_ENV, LEDGER_DIR_NAME, LEDGER_MODULE, type GatewayFacts, type RedisFacts, type ScaleFacts } from "./types.js";

/** Port LiteLLM listens on inside the container; the policy port is the published one. */
export const CONTAINER_PORT = 4000;
/** Where the runtime's generations directory is mounted inside the container (never over /app). */
export const CONTAINER_GENERATIONS_DIR = "/etc/gatewayctl/generations";
/** Name of the link inside the generations directory that always points at the live generation. */
export const CURRENT_LINK = "current";
/** The config path LiteLLM is given inside the container: through the link, so a plain restart picks up a sync. */
export const CONTAINER_CONFIG_PATH = `${CONTAINER_GENERATIONS_DIR}/${CURRENT_LINK}/${CONFIG_FILE}`;
export const COMPOSE_SERVICE = "litellm";
/** Where `build` writes, relative to the policy's directory, and so the default sync source. */
export const DEFAULT_OUT_DIR = "generated";
export const OFFICIAL_LITELLM_IMAGE = "ghcr.io/berriai/litellm";
/** Host a containerised proxy uses to reach a service on the Docker host (ExtraHosts host-gateway). */
export const DOCKER_HOST_ALIAS = "host.docker.internal";

/** Where the ledger directory (in the runtime's state directory) is mounted, writable, inside the container. */
export const CONTAINER_LEDGER_DIR = "/var/lib/gatewayctl/ledger";

/** The state directory beside a runtime directory `D` (`D.state`): what is running, the ledger. */
export function stateDirOf(runtimeDir: string): string {
  return `${runtimeDir.replace(/[\\/]+$/, "")}.state`;
}

/** The ledger directory of the gateway of runtime directory `D` (`D.state/ledger`), as a path string. */
export function ledgerDirOf(runtimeDir: string): string {
  return `${stateDirOf(runtimeDir)}/${LEDGER_DIR_NAME}`;
}

/** Environment every gateway gets, whatever the runtime: offline price map, no stray .env loading. */
export const GATEWAY_ENV: Readonly<Record<string, string>> = {
  LITELLM_LOCAL_MODEL_COST_MAP: "True",
  LITELLM_MODE: "PRODUCTION",
};

/** The generations directory beside a runtime directory `D` (`D.generations`), as a path string. */
export function generationsDirOf(runtimeDir: string): string {
  return `${runtimeDir.replace(/[\\/]+$/, "")}.generations`;
}

/** An image reference with an explicit tag: without one the Engine would pull every tag of the repository. */
export function imageWithTag(image: string): string {
  const last = image.slice(image.lastIndexOf("/") + 1);
  return last.includes(":") || last.includes("@") ? image : `${image}:latest`;
}

export function officialImage(litellmVersion: string): string {
  return `${OFFICIAL_LITELLM_IMAGE}:${litellmVersion}`;
}

/** The same release built on this host from Debian's archive and PyPI by scripts/build-litellm-image.sh. */
export const LOCAL_BUILD_LITELLM_IMAGE = "gatewayctl-local/litellm";
export function localBuildImage(litellmVersion: string): string {
  return `${LOCAL_BUILD_LITELLM_IMAGE}:${litellmVersion}`;
}

/** The address a client on this machine uses for a gateway bound to `bind` (wildcards become loopback). */
export function localHostFor(bind: string): string {
  if (bind === "" || bind === "0.0.0.0") return "127.0.0.1";
  if (bind === "::" || bind === "[::]") return "::1";
  return bind.replace(/^\[(.*)\]$/, "$1");
}

/** `http://host:port` for a gateway bound to `bind:port`, IPv6 in brackets. */
export function gatewayBaseUrl(bind: string, port: number): string {
  const host = localHostFor(bind);
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** The OpenAI-compatible base URL (with /v1) clients are given. */
export function clientBaseUrl(facts: Pick<GatewayFacts, "bind" | "port">): string {
  return `${gatewayBaseUrl(facts.bind, facts.port)}/v1`;
}

/** Labels on every gateway container, whoever creates it (compose or gatewayctl). */
export const LABELS = {
  managed: "io.gatewayctl.managed",
  publish: "io.gatewayctl.publish",
  litellmVersion: "io.gatewayctl.litellm-version",
  generatedBy: "io.gatewayctl.generated-by",
  /** set by gatewayctl's own runtime only */
  configHash: "io.gatewayctl.config-hash",
  envHash: "io.gatewayctl.env-hash",
  generation: "io.gatewayctl.generation",
  image: "io.gatewayctl.image",
  runtimeDir: "io.gatewayctl.runtime-dir",
  creator: "io.gatewayctl.creator",
} as const;

/** `bind:port` as published, the label value that finds a gateway's container. */
export function publishLabel(facts: Pick<GatewayFacts, "bind" | "port">): string {
  return `${facts.bind}:${facts.port}`;
}

const HEALTHCHECK_PY = `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${CONTAINER_PORT}/health/liveliness', timeout=4)`;

/** Everything about the gateway container, independent of who renders it. */
export interface ContainerSpec {
  image: string;
  /** arguments after the image's entrypoint (which execs `litellm`) */
  command: string[];
  /** variables passed to the container: values are given at start (secrets) or fixed (GATEWAY_ENV) */
  fixedEnv: Record<string, string>;
  /** each secret: the variable it is passed under in the container, and the policy's name for it */
  secretEnv: Array<{ env: string; secret: string }>;
  publish: { hostIp: string; hostPort: number; containerPort: number };
  mount: { source: string; target: string; readOnly: true };
  /** the ledger directory (state, survives restarts and syncs), the only writable mount; its path is in env LEDGER_DIR_ENV */
  stateMount: { source: string; target: string; readOnly: false };
  healthcheck: { test: string[]; intervalSeconds: number; timeoutSeconds: number; retries: number; startPeriodSeconds: number };
  extraHosts: string[];
  restart: "unless-stopped";
  labels: Record<string, string>;
}

/**
 * The gateway container. `runtimeDir` is the runtime directory as the renderer addresses it (the policy's text for
 * compose, an absolute path for dockerode); its generations directory is mounted read-only and LiteLLM reads the
 * config through the `current` link in it, so a restart serves whatever generation sync last made live.
 */
export function containerSpec(facts: GatewayFacts, runtimeDir: string, generatedBy: string, imageOverride?: string): ContainerSpec {
  return {
    image: imageWithTag(imageOverride ?? facts.image),
    command: ["--config", CONTAINER_CONFIG_PATH, "--port", String(CONTAINER_PORT)],
    fixedEnv: { ...GATEWAY_ENV, [LEDGER_DIR_ENV]: CONTAINER_LEDGER_DIR },
    secretEnv: facts.secretNames.map((secret) => ({ env: gatewayEnvName(secret), secret })),
    publish: { hostIp: facts.bind, hostPort: facts.port, containerPort: CONTAINER_PORT },
    mount: { source: generationsDirOf(runtimeDir), target: CONTAINER_GENERATIONS_DIR, readOnly: true },
    stateMount: { source: ledgerDirOf(runtimeDir), target: CONTAINER_LEDGER_DIR, readOnly: false },
    // the LiteLLM image has python3 and neither wget nor curl
    healthcheck: { test: ["CMD", "python3", "-c", HEALTHCHECK_PY], intervalSeconds: 10, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 60 },
    extraHosts: [`${DOCKER_HOST_ALIAS}:host-gateway`],
    restart: "unless-stopped",
    labels: {
      [LABELS.managed]: "true",
      [LABELS.publish]: publishLabel(facts),
      [LABELS.litellmVersion]: facts.litellmVersion,
      [LABELS.generatedBy]: generatedBy,
    },
  };
}

/** Name of the container gatewayctl's own Docker runtime creates. */
export function containerName(facts: Pick<GatewayFacts, "port">): string {
  return `gatewayctl-${facts.port}`;
}

/**
 * The gateway a policy describes, as the artifact records it (compile writes it into route-map.json). Commands that
 * act on a gateway read the facts from the runtime artifact; this is also their answer when there is none yet.
 */
export function gatewayFacts(policy: Policy, secretNames: string[]): GatewayFacts {
  const g = policy.gateway;
  const scale = policy.scale ? scaleFacts(policy) : undefined;
  const redis = scale?.redis;
  const redisSecrets = redis ? [redis.passwordSecret, ...(redis.hostSecret ? [redis.hostSecret] : []), ...(redis.portSecret ? [redis.portSecret] : [])] : [];
  return {
    runtime: g.runtime,
    bind: g.bind,
    port: g.port,
    image: imageWithTag(g.image ?? officialImage(g.litellmVersion)),
    litellmVersion: g.litellmVersion,
    masterKeySecret: g.masterKey.secret,
    // the master key, the backends' keys and every client's key
    secretNames: [...new Set([g.masterKey.secret, ...secretNames, ...Object.values(policy.clients ?? {}).map((c) => c.key.secret), ...redisSecrets])].sort(),
    modules: [GUARD_MODULE, AUTH_MODULE, LEDGER_MODULE],
    ...(scale ? { scale } : {}),
  };
}

/** Where the balancer checks a replica: ready means LiteLLM has loaded its config (and the guard and front door). */
export const REPLICA_HEALTH_PATH = "/health/readiness";
/** HAProxy's attempts after the first (ENVIRONMENT.md: 3 lost 0 of 500 requests with one replica killed). */
export const BALANCER_RETRIES = 3;
/** Port a bundled Redis listens on inside compose and Kubernetes (never published). */
export const REDIS_PORT = 6379;

/** Images of the balancer and the bundled Redis (Debian-based official tags; tests tag locally built ones so). */
export const HAPROXY_IMAGE = "haproxy:2.6";
export const REDIS_IMAGE = "redis:7.0";
/** The compose services beside the gateway's when the policy scales out. */
export const BALANCER_SERVICE = "haproxy";
export const REDIS_SERVICE = "gatewayctl-redis";
/** Where the balancer's configuration is mounted in its container (the official image's path). */
export const HAPROXY_CONTAINER_CONFIG = "/usr/local/etc/haproxy/haproxy.cfg";
/** Docker's embedded DNS, which resolves a compose service name to every replica. */
export const DOCKER_DNS = "127.0.0.11:53";

/**
 * The shell line a bundled Redis container starts with: the password comes from the environment through a here
 * document on stdin (never on the command line), no persistence, protected mode on.
 */
export const REDIS_CONTAINER_START = [
  "sh",
  "-c",
  'exec redis-server - <<EOF\nrequirepass "$$REDIS_PASSWORD"\nsave ""\nappendonly no\nprotected-mode yes\nport 6379\nEOF\n',
];

/** The scale-out facts of a policy with a `scale:` section. */
export function scaleFacts(policy: Policy): ScaleFacts | undefined {
  const scale = policy.scale;
  if (!scale) return undefined;
  const port = policy.gateway.port;
  const replicaPorts = Array.from({ length: scale.replicas }, (_, i) => port + 1 + i);
  let redis: RedisFacts | undefined;
  if (scale.redis) {
    const r = scale.redis;
    const passwordEnv = gatewayEnvName(r.password.secret);
    if (r.bundled === true) {
      const onProcess = policy.gateway.runtime === "process";
      redis = {
        bundled: true,
        passwordSecret: r.password.secret,
        passwordEnv,
        host: onProcess ? "127.0.0.1" : REDIS_SERVICE,
        port: onProcess ? port + scale.replicas + 1 : REDIS_PORT,
        image: imageWithTag(r.image ?? REDIS_IMAGE),
      };
    } else {
      const portRef = r.port;
      redis = {
        bundled: false,
        passwordSecret: r.password.secret,
        passwordEnv,
        ...(r.host ? { hostSecret: r.host.secret, hostEnv: gatewayEnvName(r.host.secret) } : {}),
        ...(typeof portRef === "object" ? { portSecret: portRef.secret, portEnv: gatewayEnvName(portRef.secret) } : { port: portRef ?? REDIS_PORT }),
      };
    }
  }
  return {
    replicas: scale.replicas,
    replicaPorts,
    ...(redis ? { redis } : {}),
    loadBalancer: { type: scale.loadBalancer.type, image: imageWithTag(scale.loadBalancer.image ?? HAPROXY_IMAGE), healthPath: REPLICA_HEALTH_PATH, retries: BALANCER_RETRIES, timeoutSeconds: scale.loadBalancer.timeoutSeconds },
  };
}
