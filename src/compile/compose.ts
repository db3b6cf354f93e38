import type { Policy } from "../policy/schema.js";
import { LITELLM_IMAGE } from "../lib/versions.js";
import { CONTAINER_RUNTIME_DIR } from "./types.js";
import type { GeneratedMeta } from "./header.js";
import { hashHeader } from "./header.js";
import { toYaml } from "./yaml-text.js";

/** Port the proxy listens on inside the container; the policy port is the published one. */
export const CONTAINER_PORT = 4000;
export const COMPOSE_SERVICE = "litellm";

export function gatewayImage(policy: Policy): string {
  return policy.gateway.image ?? `${LITELLM_IMAGE}:${policy.gateway.litellmVersion}`;
}

function publishedPort(bind: string, port: number): string {
  const host = bind.includes(":") && !bind.startsWith("[") ? `[${bind}]` : bind;
  return `${host}:${port}:${CONTAINER_PORT}`;
}

const HEALTHCHECK_SCRIPT = `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${CONTAINER_PORT}/health/liveliness', timeout=5)`;

/** The compose service definition as data (also what the Docker runtime mirrors). */
export function composeData(policy: Policy, secretNames: string[], meta: GeneratedMeta): Record<string, unknown> {
  const service: Record<string, unknown> = {
    image: gatewayImage(policy),
    command: ["--config", `${CONTAINER_RUNTIME_DIR}/config.yaml`, "--port", String(CONTAINER_PORT)],
    ports: [publishedPort(policy.gateway.bind, policy.gateway.port)],
    // the runtime DIRECTORY, read-only, beside /app (mounting over /app breaks the image's entrypoint)
    volumes: [`${policy.runtime.dir}:${CONTAINER_RUNTIME_DIR}:ro`],
  };
  const environment: Record<string, string | null> = {
    LITELLM_LOCAL_MODEL_COST_MAP: "True",
    // PRODUCTION: the proxy does not load a stray .env from its working directory
    LITELLM_MODE: "PRODUCTION",
  };
  if (policy.secrets.provider === "env-file" && policy.secrets.file) {
    service.env_file = [policy.secrets.file];
  } else {
    // no secrets file: pass each secret through from the environment of whoever runs compose
    for (const name of secretNames) environment[name] = null;
  }
  service.environment = environment;
  service.extra_hosts = ["host.docker.internal:host-gateway"];
  service.healthcheck = {
    test: ["CMD-SHELL", `python3 -c "${HEALTHCHECK_SCRIPT}" || exit 1`],
    interval: "30s",
    timeout: "10s",
    retries: 3,
    start_period: "40s",
  };
  service.restart = "unless-stopped";
  service.labels = {
    "io.gatewayctl.generated-by": meta.generator,
    "io.gatewayctl.policy-file": meta.policyFile,
    "io.gatewayctl.policy-sha256": meta.policyHash,
    "io.gatewayctl.litellm-version": policy.gateway.litellmVersion,
  };
  return { services: { [COMPOSE_SERVICE]: service } };
}

export function renderCompose(policy: Policy, secretNames: string[], meta: GeneratedMeta): string {
  const secretsNote =
    policy.secrets.provider === "env-file" && policy.secrets.file
      ? `Secrets come from env_file ${policy.secrets.file} (the policy's secrets file, never the runtime directory).`
      : `Secrets (${secretNames.join(", ")}) pass through from the environment; \`gatewayctl start\` resolves them for you.`;
  const header = hashHeader(
    meta,
    [
      "LiteLLM proxy for `docker compose up -d`.",
      `The runtime directory ${policy.runtime.dir} (relative paths resolve against this file's directory, ~ against your home) is mounted read-only at ${CONTAINER_RUNTIME_DIR}.`,
      secretsNote,
      ...(policy.gateway.runtime === "process"
        ? ["This policy runs LiteLLM as a process (gateway.runtime: process): loopback backend URLs in config.yaml are kept, and inside a container they would point at the container itself."]
        : []),
    ].join("\n# "),
  );
  return `${header}${toYaml(composeData(policy, secretNames, meta))}`;
}
