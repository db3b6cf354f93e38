import { isAbsolute, posix } from "node:path";
import {
  BALANCER_SERVICE,
  COMPOSE_SERVICE,
  CONTAINER_PORT,
  containerSpec,
  DOCKER_DNS,
  HAPROXY_CONTAINER_CONFIG,
  LABELS,
  REDIS_CONTAINER_START,
  REDIS_IMAGE,
  REDIS_PORT,
  REDIS_SERVICE,
  type ContainerSpec,
} from "../artifact/gateway.js";
import { HAPROXY_CONFIG_FILE, haproxyConfig } from "../artifact/haproxy.js";
import type { GatewayFacts, ScaleFacts } from "../artifact/types.js";
import type { Policy } from "../policy/schema.js";
import type { GeneratedMeta } from "./header.js";
import { hashHeader } from "./header.js";
import { toYaml } from "../artifact/yaml.js";

/**
 * A path of the policy (relative to the policy's directory) as docker-compose must see it from the output
 * directory, where it resolves relative paths. `~` and absolute paths stay as written.
 */
export function fromOutDir(path: string, outDir: string): string {
  if (path.startsWith("~") || isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path)) return path;
  const rel = posix.relative(posix.normalize(outDir.split("\\").join("/")), posix.normalize(path.split("\\").join("/")));
  return rel.startsWith(".") ? rel : `./${rel}`;
}

function publishedPort(spec: ContainerSpec): string {
  const ip = spec.publish.hostIp;
  const host = ip.includes(":") && !ip.startsWith("[") ? `[${ip}]` : ip;
  return `${host}:${spec.publish.hostPort}:${spec.publish.containerPort}`;
}

/**
 * The compose rendering of the one container specification. Secrets are interpolated (`${NAME}`) from the
 * environment of docker-compose, or from the policy's secrets file given with `--env-file`, into gatewayctl's own
 * variable names: an env_file would put them in the container under the policy's names, which may be the
 * well-known ones (OPENAI_API_KEY) that provider SDKs fall back to.
 */
function interpolated(secret: string): string {
  return `\${${secret}:?set ${secret} (gatewayctl secrets)}`;
}

export function composeData(spec: ContainerSpec, scale?: ScaleFacts): Record<string, unknown> {
  const environment: Record<string, string> = { ...spec.fixedEnv };
  for (const { env, secret } of spec.secretEnv) environment[env] = interpolated(secret);
  const service: Record<string, unknown> = {
    image: spec.image,
    command: spec.command,
    // with replicas, only the balancer is published; the replicas are reached on the compose network
    ...(scale ? { expose: [String(spec.publish.containerPort)], deploy: { replicas: scale.replicas } } : { ports: [publishedPort(spec)] }),
    volumes: [`${spec.mount.source}:${spec.mount.target}:ro`, `${spec.stateMount.source}:${spec.stateMount.target}`],
    environment,
    extra_hosts: spec.extraHosts,
    healthcheck: {
      test: spec.healthcheck.test,
      interval: `${spec.healthcheck.intervalSeconds}s`,
      timeout: `${spec.healthcheck.timeoutSeconds}s`,
      retries: spec.healthcheck.retries,
      start_period: `${spec.healthcheck.startPeriodSeconds}s`,
    },
    restart: spec.restart,
    labels: spec.labels,
  };
  if (!scale) return { services: { [COMPOSE_SERVICE]: service } };
  const services: Record<string, unknown> = { [COMPOSE_SERVICE]: service };
  services[BALANCER_SERVICE] = {
    image: scale.loadBalancer.image,
    command: ["haproxy", "-W", "-db", "-f", HAPROXY_CONTAINER_CONFIG],
    ports: [publishedPort(spec)],
    volumes: [`./${HAPROXY_CONFIG_FILE}:${HAPROXY_CONTAINER_CONFIG}:ro`],
    depends_on: [COMPOSE_SERVICE],
    restart: spec.restart,
    labels: { [LABELS.managed]: "true", [LABELS.generatedBy]: spec.labels[LABELS.generatedBy] ?? "" },
  };
  if (scale.redis?.bundled) {
    service.depends_on = { [REDIS_SERVICE]: { condition: "service_healthy" } };
    // the replicas reach Redis on a network of their own that has no way out and no published port
    service.networks = ["default", REDIS_NETWORK];
    services[REDIS_SERVICE] = {
      image: scale.redis.image ?? REDIS_IMAGE,
      command: REDIS_CONTAINER_START,
      environment: { REDIS_PASSWORD: interpolated(scale.redis.passwordSecret), REDISCLI_AUTH: interpolated(scale.redis.passwordSecret) },
      expose: [String(REDIS_PORT)],
      networks: [REDIS_NETWORK],
      healthcheck: { test: ["CMD-SHELL", "redis-cli ping | grep -q PONG"], interval: "5s", timeout: "3s", retries: 10 },
      restart: spec.restart,
      labels: { [LABELS.managed]: "true", [LABELS.generatedBy]: spec.labels[LABELS.generatedBy] ?? "" },
    };
    return { services, networks: { [REDIS_NETWORK]: { internal: true } } };
  }
  return { services };
}

/** The compose network only the replicas and a bundled Redis are on (internal: no route out, nothing published). */
export const REDIS_NETWORK = "router-state";

/** haproxy.cfg for compose: the balancer finds every replica of the gateway service through Docker's DNS. */
export function renderComposeHaproxy(facts: GatewayFacts, meta: GeneratedMeta): string {
  const scale = facts.scale!;
  return haproxyConfig(
    scale,
    { bind: "0.0.0.0", port: CONTAINER_PORT },
    { kind: "dns", service: COMPOSE_SERVICE, port: CONTAINER_PORT, slots: scale.replicas, nameserver: DOCKER_DNS },
    hashHeader(meta, `HAProxy in front of the ${scale.replicas} gateway replicas of docker-compose.yml.`),
  );
}

export function renderCompose(policy: Policy, facts: GatewayFacts, meta: GeneratedMeta, outDir: string): string {
  const runtimeDir = fromOutDir(policy.runtime.dir, outDir);
  const spec = containerSpec(facts, runtimeDir, meta.generator);
  const scale = facts.scale;
  const envFile = policy.secrets.provider === "env-file" && policy.secrets.file ? fromOutDir(policy.secrets.file, outDir) : undefined;
  const up = envFile ? `docker-compose --env-file ${envFile} -f docker-compose.yml up -d` : "docker-compose -f docker-compose.yml up -d";
  const secretsNote = envFile
    ? `Secrets (${facts.secretNames.join(", ")}) come from the policy's secrets file through --env-file, never from the runtime directory.`
    : `Secrets (${facts.secretNames.join(", ")}) come from the environment of docker-compose; \`gatewayctl start\` resolves them for you.`;
  const header = hashHeader(
    meta,
    [
      `LiteLLM proxy for docker-compose: first \`gatewayctl sync\`, then \`${up}\` from this directory`,
      "(`docker compose` with Compose v2). After a later sync, `docker-compose restart` serves the new generation.",
      `The runtime's generations directory ${spec.mount.source} is mounted read-only at ${spec.mount.target}; LiteLLM reads ${spec.command[1]}.`,
      `The request ledger is written to ${spec.stateMount.source} (mounted writable at ${spec.stateMount.target}); it survives restarts and syncs.`,
      secretsNote,
      ...(scale
        ? [
            `${scale.replicas} replicas of ${COMPOSE_SERVICE} behind ${BALANCER_SERVICE} (${HAPROXY_CONFIG_FILE}), published on ${publishedPort(spec).replace(/:\d+$/, "")}; they share router state through Redis${scale.redis?.bundled ? ` (${REDIS_SERVICE}, on a network of its own)` : ""}.`,
            "A request in flight on a replica that dies is retried on another one: it can reach a model, and be billed, twice.",
          ]
        : []),
      ...(facts.runtime === "process"
        ? ["This policy runs LiteLLM as a process (gateway.runtime: process): loopback backend URLs in config.yaml are kept, and inside a container they would point at the container itself."]
        : []),
    ].join("\n# "),
  );
  return `${header}${toYaml(composeData(spec, scale))}`;
}
