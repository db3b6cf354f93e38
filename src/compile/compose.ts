import { isAbsolute, posix } from "node:path";
import { COMPOSE_SERVICE, containerSpec, type ContainerSpec } from "../artifact/gateway.js";
import type { GatewayFacts } from "../artifact/types.js";
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
export function composeData(spec: ContainerSpec): Record<string, unknown> {
  const environment: Record<string, string> = { ...spec.fixedEnv };
  for (const { env, secret } of spec.secretEnv) environment[env] = `\${${secret}:?set ${secret} (gatewayctl secrets)}`;
  const service: Record<string, unknown> = {
    image: spec.image,
    command: spec.command,
    ports: [publishedPort(spec)],
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
  return { services: { [COMPOSE_SERVICE]: service } };
}

export function renderCompose(policy: Policy, facts: GatewayFacts, meta: GeneratedMeta, outDir: string): string {
  const runtimeDir = fromOutDir(policy.runtime.dir, outDir);
  const spec = containerSpec(facts, runtimeDir, meta.generator);
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
      ...(facts.runtime === "process"
        ? ["This policy runs LiteLLM as a process (gateway.runtime: process): loopback backend URLs in config.yaml are kept, and inside a container they would point at the container itself."]
        : []),
    ].join("\n# "),
  );
  return `${header}${toYaml(composeData(spec))}`;
}
