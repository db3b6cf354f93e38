import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { buildGateway } from "../../src/compile/index.js";
import { parsePolicy } from "../../src/policy/load-policy.js";
import { haproxyConfig } from "../../src/artifact/haproxy.js";
import { drillConfigText } from "../../src/probe/drill.js";
import { parseRouteMap } from "../../src/artifact/route-map.js";
import { K8S_CONFIG_DIR, K8S_CONFIG_PATH, K8S_SECRET_NAME } from "../../src/compile/kubernetes.js";
import type { LiteLLMConfig } from "../../src/artifact/types.js";
import { BASE, errorsOf } from "./policy-support.js";
import { ROOT } from "../support/cli.js";

const SCALE_POLICY = join(ROOT, "test", "fixtures", "scale", "scale.policy.yaml");
const scaleSource = readFileSync(SCALE_POLICY, "utf8");

function build(source: string) {
  const { policy, warnings } = parsePolicy(source, "gateway.policy.yaml");
  return buildGateway({ policy, warnings, file: "gateway.policy.yaml", dir: ".", source } as Parameters<typeof buildGateway>[0]);
}

function text(c: ReturnType<typeof build>, path: string): string {
  const f = c.files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path} among ${c.files.map((x) => x.path).join(", ")}`);
  return f.content;
}

type Manifest = Record<string, any>;
const manifest = (c: ReturnType<typeof build>, name: string): Manifest => parse(text(c, `k8s/${name}.yaml`)) as Manifest;

describe("scale: rules", () => {
  const withScale = (scale: string): string => `${BASE}clients:\n  app: { key: { secret: APP_KEY }, lanes: [private] }\nscale:\n${scale}`;

  it("refuses replicas without a shared Redis, naming the place and how to add one", () => {
    const errs = errorsOf(withScale("  replicas: 2\n"));
    expect(errs.map((e) => e.message).join("\n")).toMatch(/scale\.redis: 2 replicas need a shared Redis/);
    expect(errs[0]!.hint).toMatch(/bundled: true/);
    expect(errs[0]!.line).toBeGreaterThan(1);
  });

  it("refuses a Redis that is both bundled and external, or neither", () => {
    expect(errorsOf(withScale("  redis: { bundled: true, host: { secret: REDIS_HOST } }\n")).map((e) => e.message).join()).toMatch(/bundled Redis has no host/);
    expect(errorsOf(withScale("  redis: { password: { secret: REDIS_PASSWORD } }\n")).map((e) => e.message).join()).toMatch(/neither bundled nor given a host/);
  });

  it("refuses a Redis password that is a gateway key, and unknown keys in scale", () => {
    expect(errorsOf(withScale("  redis: { bundled: true, password: { secret: APP_KEY } }\n")).map((e) => e.message).join()).toMatch(/also a gateway key/);
    expect(errorsOf(withScale("  replica: 2\n")).map((e) => e.message).join()).toMatch(/replica/);
  });

  it("Kubernetes: a loopback backend, a named backend without egress, an external Redis without redisEgress, an HPA below its minimum", () => {
    const loopback = errorsOf(withScale("  redis: { bundled: true }\n  kubernetes: { egress: { openai: { cidr: [1.2.3.0/24] } } }\n")).map((e) => e.message).join("\n");
    expect(loopback).toMatch(/backends\.ollama\.url: a loopback backend \(127\.0\.0\.1\) inside a Kubernetes pod/);
    const k8sBase = BASE.replace("http://127.0.0.1:11434", "http://10.0.0.7:11434");
    const named = errorsOf(`${k8sBase}scale:\n  redis: { bundled: true }\n  kubernetes: {}\n`).map((e) => e.message).join("\n");
    expect(named).toMatch(/reach backend "openai" only by address/);
    const redis = errorsOf(`${k8sBase}scale:\n  redis: { host: { secret: REDIS_HOST } }\n  kubernetes: { egress: { openai: { cidr: [1.2.3.0/24] } } }\n`).map((e) => e.message).join("\n");
    expect(redis).toMatch(/redisEgress/);
    const hpa = errorsOf(`${k8sBase}scale:\n  replicas: 3\n  redis: { bundled: true }\n  kubernetes: { hpa: { maxReplicas: 2 }, egress: { openai: { cidr: [1.2.3.0/24] } } }\n`).map((e) => e.message).join("\n");
    expect(hpa).toMatch(/maxReplicas 2 is below minReplicas 3/);
  });
});

describe("scale: the build", () => {
  const compiled = build(scaleSource);
  const config = parse(text(compiled, "config.yaml")) as LiteLLMConfig;

  it("without scale: no scale facts, no balancer or manifests (the golden example stays byte-identical)", () => {
    const plain = build(BASE);
    expect(plain.routeMap.gateway.scale).toBeUndefined();
    expect(plain.files.some((f) => f.path === "haproxy.cfg" || f.path.startsWith("k8s/"))).toBe(false);
    expect(JSON.stringify(plain.config.router_settings)).not.toMatch(/redis/);
  });

  it("shares router state through Redis, the password by an os.environ/ name of gatewayctl's own, with no response cache", () => {
    expect(config.router_settings).toMatchObject({
      // the bundled Redis's address on this runtime (the compose and Kubernetes service), as is: no secret
      redis_host: "gatewayctl-redis",
      redis_port: 6379,
      redis_password: "os.environ/GATEWAYCTL_SECRET_REDIS_PASSWORD",
      // a lone deployment cools down on its first 429, on every replica at once
      allowed_fails_policy: { RateLimitErrorAllowedFails: 0 },
    });
    expect(config.litellm_settings?.cache).toBeUndefined();
    expect(JSON.stringify(config)).not.toMatch(/"REDIS_(HOST|PORT|PASSWORD)"|os\.environ\/REDIS_/);
    // the password is a secret the gateway is given; the bundled address is not a secret
    expect(compiled.routeMap.gateway.secretNames).toContain("REDIS_PASSWORD");
    expect(compiled.proof!.ok).toBe(true);
    expect(text(compiled, ".env.example")).toMatch(/# password of the Redis the replicas share router state through \(gatewayctl's bundled one[^\n]*\nREDIS_PASSWORD=\n/);
  });

  it("gives each deployment a stable model_info.id, the route map's", () => {
    const again = build(scaleSource);
    const ids = config.model_list.map((m) => m.model_info?.id);
    expect(ids).toEqual(compiled.routeMap.deployments.map((d) => d.id));
    expect((parse(text(again, "config.yaml")) as LiteLLMConfig).model_list.map((m) => m.model_info?.id)).toEqual(ids);
  });

  it("records the scale facts in the route map, read back by the one route-map reader", () => {
    const map = parseRouteMap(text(compiled, "route-map.json"), "route-map.json");
    expect(map.gateway.scale).toEqual({
      replicas: 2,
      replicaPorts: [4101, 4102],
      redis: {
        bundled: true,
        passwordSecret: "REDIS_PASSWORD",
        passwordEnv: "GATEWAYCTL_SECRET_REDIS_PASSWORD",
        host: "gatewayctl-redis",
        port: 6379,
        image: "redis:7.0",
      },
      loadBalancer: { type: "haproxy", image: "haproxy:2.6", healthPath: "/health/readiness", retries: 3, timeoutSeconds: 600 },
    });
  });

  it("on the process runtime the bundled Redis is 127.0.0.1 on the port after the replicas'; Kubernetes manifests are refused there", () => {
    const proc = build(scaleSource.replace("runtime: docker", "runtime: process").replace(/  kubernetes:[\s\S]*$/, ""));
    const c = parse(text(proc, "config.yaml")) as LiteLLMConfig;
    expect(c.router_settings).toMatchObject({ redis_host: "127.0.0.1", redis_port: 4103 });
    expect(proc.routeMap.gateway.scale?.replicaPorts).toEqual([4101, 4102]);
    const errs = errorsOf(scaleSource.replace("runtime: docker", "runtime: process")).map((e) => e.message).join("\n");
    expect(errs).toMatch(/gateway\.runtime: the Kubernetes manifests carry this build's config\.yaml/);
  });

  it("an existing Redis: host and port from secrets, or a fixed port", () => {
    const ext = build(scaleSource.replace("redis: { bundled: true, password: { secret: REDIS_PASSWORD } }", "redis: { host: { secret: REDIS_HOST }, port: 6380, password: { secret: REDIS_PASSWORD } }").replace(/  kubernetes:[\s\S]*$/, ""));
    const c = parse(text(ext, "config.yaml")) as LiteLLMConfig;
    expect(c.router_settings).toMatchObject({ redis_host: "os.environ/GATEWAYCTL_SECRET_REDIS_HOST", redis_port: 6380, redis_password: "os.environ/GATEWAYCTL_SECRET_REDIS_PASSWORD" });
    expect(ext.routeMap.gateway.secretNames).toEqual(expect.arrayContaining(["REDIS_HOST", "REDIS_PASSWORD"]));
    const compose = parse(text(ext, "docker-compose.yml")) as Manifest;
    expect(Object.keys(compose.services)).toEqual(["litellm", "haproxy"]);
  });

  it("HAProxy: readiness checks, 3 retries on another replica for every retryable error, every replica listed", () => {
    const cfg = haproxyConfig(compiled.routeMap.gateway.scale!, { bind: "127.0.0.1", port: 4100 }, { kind: "static", servers: [4101, 4102].map((port) => ({ host: "127.0.0.1", port })) });
    for (const line of ["option httpchk GET /health/readiness", "retries 3", "option redispatch", "retry-on all-retryable-errors", "bind 127.0.0.1:4100"]) {
      expect(cfg).toContain(`    ${line}\n`);
    }
    expect(cfg).toMatch(/server replica1 127\.0\.0\.1:4101 check\n {4}server replica2 127\.0\.0\.1:4102 check\n$/);
    const compose = text(compiled, "haproxy.cfg");
    expect(compose).toContain("server-template replica 1-2 litellm:4000 check resolvers replicas init-addr none");
    expect(compose).toContain("nameserver dns 127.0.0.11:53");
  });

  it("compose: replicas exposed only, the balancer published on bind:port, Redis unpublished with a password and a healthcheck", () => {
    const compose = parse(text(compiled, "docker-compose.yml")) as Manifest;
    const { litellm, haproxy, "gatewayctl-redis": redis } = compose.services;
    expect(litellm.deploy).toEqual({ replicas: 2 });
    expect(litellm.expose).toEqual(["4000"]);
    expect(litellm.ports).toBeUndefined();
    expect(haproxy.ports).toEqual(["127.0.0.1:4100:4000"]);
    expect(haproxy.volumes).toEqual(["./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro"]);
    expect(redis.ports).toBeUndefined();
    expect(redis.networks).toEqual(["router-state"]);
    expect(compose.networks["router-state"]).toEqual({ internal: true });
    expect(redis.command.join(" ")).toContain('requirepass "$$REDIS_PASSWORD"');
    expect(redis.command.join(" ")).not.toMatch(/--requirepass/);
    expect(redis.healthcheck.test).toEqual(["CMD-SHELL", "redis-cli ping | grep -q PONG"]);
    expect(litellm.depends_on).toEqual({ "gatewayctl-redis": { condition: "service_healthy" } });
    expect(Object.keys(litellm.environment).filter((k) => /REDIS/.test(k))).toEqual(["GATEWAYCTL_SECRET_REDIS_PASSWORD"]);
  });
});

describe("scale: the drill", () => {
  it("the drill's copy of the config has router state of its own: no Redis keys, the rest unchanged", () => {
    const compiled = build(scaleSource);
    const drill = parse(drillConfigText(compiled.config)) as LiteLLMConfig;
    expect(Object.keys(drill.router_settings ?? {}).filter((k) => k.startsWith("redis_"))).toEqual([]);
    expect(drill.router_settings?.fallbacks).toEqual(compiled.config.router_settings?.fallbacks);
    expect(drill.model_list).toEqual(compiled.config.model_list);
  });
});

describe("scale: Kubernetes manifests", () => {
  const compiled = build(scaleSource);

  it("the ConfigMap carries the proven build files verbatim, and the Deployment mounts it where --config points", () => {
    const cm = manifest(compiled, "configmap");
    for (const f of ["config.yaml", "route-map.json", "gatewayctl_guard.py", "gatewayctl_auth.py"]) expect(cm.data[f]).toBe(text(compiled, f));
    const dep = manifest(compiled, "deployment");
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    expect(c.args.slice(0, 2)).toEqual(["--config", K8S_CONFIG_PATH]);
    expect(K8S_CONFIG_PATH).toBe(`${K8S_CONFIG_DIR}/config.yaml`);
    const mount = c.volumeMounts.find((m: Manifest) => m.mountPath === K8S_CONFIG_DIR);
    expect(pod.volumes.find((v: Manifest) => v.name === mount.name).configMap.name).toBe(cm.metadata.name);
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(c.livenessProbe.httpGet.path).toBe("/health/liveliness");
    expect(c.readinessProbe.httpGet.path).toBe("/health/readiness");
    expect(c.startupProbe.httpGet.path).toBe("/health/readiness");
    expect(dep.spec.replicas).toBe(2);
    expect(c.resources).toEqual({ requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } });
  });

  it("changing the policy renames the ConfigMap and changes the pod template; the same policy gives the same name", () => {
    const same = build(scaleSource);
    expect(manifest(same, "configmap").metadata.name).toBe(manifest(compiled, "configmap").metadata.name);
    const changed = build(scaleSource.replace('description: "Stays home"', 'description: "Stays at home"'));
    expect(manifest(changed, "configmap").metadata.name).not.toBe(manifest(compiled, "configmap").metadata.name);
    expect(manifest(changed, "deployment").spec.template).not.toEqual(manifest(compiled, "deployment").spec.template);
  });

  it("secrets: the Deployment reads every key from the Secret; the key manifest names keys without values", () => {
    const secret = parse(text(compiled, `k8s/secret-keys/${K8S_SECRET_NAME}.yaml`)) as Manifest;
    expect(Object.keys(secret.stringData).sort()).toEqual(compiled.routeMap.gateway.secretNames.map((s) => `GATEWAYCTL_SECRET_${s}`).sort());
    expect(Object.values(secret.stringData).every((v) => v === "")).toBe(true);
    const env = manifest(compiled, "deployment").spec.template.spec.containers[0].env as Manifest[];
    const fromSecret = env.filter((e) => e.valueFrom).map((e) => e.valueFrom.secretKeyRef.key);
    expect(fromSecret.sort()).toEqual(Object.keys(secret.stringData).sort());
    expect(env.some((e) => /^REDIS_/.test(e.name))).toBe(false);
  });

  it("the NetworkPolicy lets the pods reach the backends by address, Redis and DNS, nothing else", () => {
    const np = manifest(compiled, "networkpolicy");
    expect(np.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    const to = (np.spec.egress as Manifest[]).map((r) => JSON.stringify(r.to));
    expect(to).toHaveLength(4);
    expect(to[1]).toContain("10.0.5.20/32"); // ollama, by its address
    expect(to[2]).toContain("162.159.140.0/24"); // openai, as the policy says
    expect(to[3]).toContain("router-state");
    const ports = (np.spec.egress as Manifest[]).map((r) => r.ports.map((p: Manifest) => p.port));
    expect(ports).toEqual([[53, 53], [11434], [443], [6379]]);
  });
});

describe("scale: the balancer waits as long as a route may take", () => {
  it("warns when a route's timeout is longer than the balancer's, naming the route and the fix", () => {
    const raw = parse(scaleSource) as { routes: Record<string, Record<string, unknown>> };
    const alias = Object.keys(raw.routes)[0]!;
    raw.routes[alias]!.timeoutSeconds = 1200;
    const { warnings } = parsePolicy(stringify(raw), "gateway.policy.yaml");
    const w = warnings.find((d) => d.path === `routes.${alias}.timeoutSeconds`);
    expect(w?.message).toBe(`routes.${alias}.timeoutSeconds: route ${alias} may take 1200s on one deployment, longer than the load balancer waits (scale.loadBalancer.timeoutSeconds: 600s): the balancer would answer 504 first`);
    expect(w?.hint).toContain("raise scale.loadBalancer.timeoutSeconds to at least 1200");
    // within the balancer's wait: no warning
    expect(parsePolicy(scaleSource, "gateway.policy.yaml").warnings.filter((d) => d.message.includes("load balancer waits"))).toEqual([]);
  });
});
