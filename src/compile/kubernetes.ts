/**
 * Kubernetes manifests for a policy with `scale.kubernetes` (generated/k8s/). Pure: the build's own files in, manifest
 * texts out. The ConfigMap carries the very config.yaml, route map and modules the build wrote and proved, and its
 * name carries their hash, so a policy change renames it and so changes the pod template: the Deployment rolls.
 */
import { gatewayEnvName } from "../artifact/front-door.js";
import { CONTAINER_LEDGER_DIR, CONTAINER_PORT, GATEWAY_ENV, REDIS_CONTAINER_START, REDIS_IMAGE, REDIS_PORT, REDIS_SERVICE } from "../artifact/gateway.js";
import { CONFIG_FILE, LEDGER_DIR_ENV, ROUTE_MAP_FILE, type GatewayFacts, type RouteMap } from "../artifact/types.js";
import { toYaml } from "../artifact/yaml.js";
import { classifyHost, hostOfUrl } from "../lib/hosts.js";
import type { Kubernetes, Policy } from "../policy/schema.js";
import { hashHeader, sha256, type GeneratedMeta } from "./header.js";
import type { GeneratedFile } from "./types.js";
import { isIP } from "node:net";

/** The Kubernetes release the manifests are written and validated for (README, "Scaling out"). */
export const KUBERNETES_VERSION = "1.33.0";
export const K8S_DIR = "k8s";
/** The Secret the gateway pods read their secrets from: `gatewayctl k8s secrets` renders it with values. */
export const K8S_SECRET_NAME = "gatewayctl-secrets";
/** Where the ConfigMap is mounted in the gateway container; LiteLLM is given `--config` inside it. */
export const K8S_CONFIG_DIR = "/etc/gatewayctl/config";
export const K8S_CONFIG_PATH = `${K8S_CONFIG_DIR}/${CONFIG_FILE}`;
export const K8S_APP = "gatewayctl";
/** the bundled Redis's Deployment and Service: the Service name is the host the config names */
const REDIS_NAME = REDIS_SERVICE;
/** The unprivileged user the gateway runs as (any non-root id works with the image's world-readable venv). */
export const K8S_RUN_AS_USER = 65532;
const REDIS_RUN_AS_USER = 999;

const gatewayLabels = { "app.kubernetes.io/name": K8S_APP, "app.kubernetes.io/component": "gateway" } as const;
const redisLabels = { "app.kubernetes.io/name": K8S_APP, "app.kubernetes.io/component": "router-state" } as const;

function metadata(name: string, ns: string, labels: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, namespace: ns, labels: { ...labels, "app.kubernetes.io/managed-by": "gatewayctl" }, ...extra };
}

function resources(k: Kubernetes): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const part of ["requests", "limits"] as const) {
    const amounts = k.resources[part];
    if (amounts && (amounts.cpu !== undefined || amounts.memory !== undefined)) out[part] = { ...amounts };
  }
  return out;
}

const restrictedContainer = (user: number): Record<string, unknown> => ({
  runAsNonRoot: true,
  runAsUser: user,
  runAsGroup: user,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
});

function portOf(url: string): number {
  try {
    const u = new URL(url);
    if (u.port) return Number(u.port);
    return u.protocol === "https:" ? 443 : 80;
  } catch {
    return 443;
  }
}

/** One egress rule per backend the routes use: by IP address, or where the policy says it answers. */
function backendEgress(map: RouteMap, k: Kubernetes): Array<Record<string, unknown>> {
  const byBackend = new Map<string, Set<number>>();
  const hosts = new Map<string, string>();
  for (const d of map.deployments) {
    const ports = byBackend.get(d.backend) ?? new Set<number>();
    ports.add(portOf(d.apiBase));
    byBackend.set(d.backend, ports);
    const host = hostOfUrl(d.apiBase);
    if (host !== undefined) hosts.set(d.backend, host.replace(/^\[(.*)\]$/, "$1"));
  }
  const rules: Array<Record<string, unknown>> = [];
  for (const backend of [...byBackend.keys()].sort()) {
    const ports = [...byBackend.get(backend)!].sort((a, b) => a - b).map((port) => ({ protocol: "TCP", port }));
    const target = k.egress[backend];
    const to: Array<Record<string, unknown>> = [];
    if (target) {
      for (const cidr of target.cidr ?? []) to.push({ ipBlock: { cidr } });
      if (target.namespace !== undefined || target.podLabels !== undefined) {
        to.push({
          ...(target.namespace !== undefined ? { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": target.namespace } } } : {}),
          ...(target.podLabels !== undefined ? { podSelector: { matchLabels: { ...target.podLabels } } } : {}),
        });
      }
    } else {
      const host = hosts.get(backend) ?? "";
      // the rules refuse names without an egress entry; an address is its own rule
      if (isIP(host) !== 0 && classifyHost(host) !== "loopback") to.push({ ipBlock: { cidr: `${host}/${isIP(host) === 6 ? 128 : 32}` } });
    }
    if (to.length > 0) rules.push({ to, ports });
  }
  return rules;
}

export interface KubernetesInput {
  policy: Policy;
  routeMap: RouteMap;
  /** the build's own file texts, by path: config.yaml, route-map.json and the modules go into the ConfigMap verbatim */
  files: ReadonlyMap<string, string>;
  meta: GeneratedMeta;
}

/** The ConfigMap's data: exactly the files the gateway reads, as the build wrote (and proved) them. */
export function configMapData(files: ReadonlyMap<string, string>, modules: readonly string[]): Record<string, string> {
  const data: Record<string, string> = {};
  for (const f of [CONFIG_FILE, ROUTE_MAP_FILE, ...modules.map((m) => `${m}.py`)].sort()) {
    const text = files.get(f);
    if (text === undefined) throw new Error(`kubernetes manifests need ${f} from the build`);
    data[f] = text;
  }
  return data;
}

/** `gatewayctl-config-<first 10 hex of the data's sha256>`. */
export function configMapName(data: Record<string, string>): string {
  const text = Object.keys(data)
    .sort()
    .map((k) => `${k}\u0000${data[k]}\u0000`)
    .join("");
  return `${K8S_APP}-config-${sha256(text).slice(0, 10)}`;
}

/** The gateway's secret keys in the Kubernetes Secret: the variable names the gateway reads them under. */
export function secretKeys(facts: GatewayFacts): Array<{ key: string; secret: string }> {
  return facts.secretNames.map((secret) => ({ key: gatewayEnvName(secret), secret }));
}

/** The Secret with values, for `gatewayctl k8s secrets` (printed, never written). */
export function secretManifest(facts: GatewayFacts, namespace: string, values: Record<string, string> | undefined): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata(K8S_SECRET_NAME, namespace, { "app.kubernetes.io/name": K8S_APP }),
    type: "Opaque",
    stringData: Object.fromEntries(secretKeys(facts).map(({ key, secret }) => [key, values ? (values[secret] ?? "") : ""])),
  };
}

export function renderKubernetes(input: KubernetesInput): GeneratedFile[] {
  const { policy, routeMap, files, meta } = input;
  const facts = routeMap.gateway;
  const scale = facts.scale;
  const k = policy.scale?.kubernetes;
  if (!scale || !k) return [];
  const ns = k.namespace;
  const bundledRedis = scale.redis?.bundled === true;
  const data = configMapData(files, facts.modules);
  const cmName = configMapName(data);

  const env: Array<Record<string, unknown>> = [
    // the request ledger is per pod (an emptyDir): `gatewayctl report` reads one pod's ledger, copied out with kubectl cp
    ...Object.entries({ ...GATEWAY_ENV, HOME: "/tmp", PYTHONDONTWRITEBYTECODE: "1", [LEDGER_DIR_ENV]: CONTAINER_LEDGER_DIR }).map(([name, value]) => ({ name, value })),
    ...secretKeys(facts).map(({ key }) => ({ name: key, valueFrom: { secretKeyRef: { name: K8S_SECRET_NAME, key } } })),
  ];
  const probe = (path: string, extra: Record<string, unknown>): Record<string, unknown> => ({
    httpGet: { path, port: "http" },
    timeoutSeconds: 5,
    ...extra,
  });
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(K8S_APP, ns, gatewayLabels),
    spec: {
      replicas: scale.replicas,
      selector: { matchLabels: { ...gatewayLabels } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: { ...gatewayLabels }, annotations: { "gatewayctl.io/config": cmName } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: "litellm",
              image: facts.image,
              args: ["--config", K8S_CONFIG_PATH, "--port", String(CONTAINER_PORT)],
              workingDir: K8S_CONFIG_DIR,
              ports: [{ name: "http", containerPort: CONTAINER_PORT, protocol: "TCP" }],
              env,
              resources: resources(k),
              securityContext: restrictedContainer(K8S_RUN_AS_USER),
              startupProbe: probe(scale.loadBalancer.healthPath, { periodSeconds: 5, failureThreshold: 36 }),
              readinessProbe: probe(scale.loadBalancer.healthPath, { periodSeconds: 5, failureThreshold: 2 }),
              livenessProbe: probe("/health/liveliness", { periodSeconds: 10, failureThreshold: 3 }),
              volumeMounts: [
                { name: "config", mountPath: K8S_CONFIG_DIR, readOnly: true },
                { name: "tmp", mountPath: "/tmp" },
                { name: "ledger", mountPath: CONTAINER_LEDGER_DIR },
              ],
            },
          ],
          volumes: [
            { name: "config", configMap: { name: cmName } },
            { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
            { name: "ledger", emptyDir: { sizeLimit: "1Gi" } },
          ],
        },
      },
    },
  };
  const service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(K8S_APP, ns, gatewayLabels),
    spec: { type: "ClusterIP", selector: { ...gatewayLabels }, ports: [{ name: "http", port: CONTAINER_PORT, targetPort: "http", protocol: "TCP" }] },
  };
  const pdb = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: metadata(K8S_APP, ns, gatewayLabels),
    spec: { ...(scale.replicas > 1 ? { minAvailable: 1 } : { maxUnavailable: 1 }), selector: { matchLabels: { ...gatewayLabels } } },
  };
  const egress: Array<Record<string, unknown>> = [
    // names of backends and Redis are resolved by the cluster DNS
    {
      to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
      ports: [
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
      ],
    },
    ...backendEgress(routeMap, k),
  ];
  if (scale.redis) {
    if (bundledRedis) {
      egress.push({ to: [{ podSelector: { matchLabels: { ...redisLabels } } }], ports: [{ protocol: "TCP", port: REDIS_PORT }] });
    } else if (k.redisEgress) {
      const t = k.redisEgress;
      const to: Array<Record<string, unknown>> = (t.cidr ?? []).map((cidr) => ({ ipBlock: { cidr } }));
      if (t.namespace !== undefined || t.podLabels !== undefined) {
        to.push({
          ...(t.namespace !== undefined ? { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": t.namespace } } } : {}),
          ...(t.podLabels !== undefined ? { podSelector: { matchLabels: { ...t.podLabels } } } : {}),
        });
      }
      egress.push({ to, ...(scale.redis.port !== undefined ? { ports: [{ protocol: "TCP", port: scale.redis.port }] } : {}) });
    }
  }
  const networkPolicy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata(K8S_APP, ns, gatewayLabels),
    spec: {
      podSelector: { matchLabels: { ...gatewayLabels } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ ports: [{ protocol: "TCP", port: CONTAINER_PORT }] }],
      egress,
    },
  };
  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: metadata(cmName, ns, gatewayLabels),
    immutable: true,
    data,
  };
  const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { "app.kubernetes.io/managed-by": "gatewayctl" } } };

  const header = (what: string): string => hashHeader(meta, what);
  const out: GeneratedFile[] = [
    { path: `${K8S_DIR}/00-namespace.yaml`, content: `${header(`Namespace of the gateway.`)}${toYaml(namespace)}` },
    {
      path: `${K8S_DIR}/configmap.yaml`,
      content: `${header(`The gateway's config.yaml, route map and modules, exactly as built and proven; the name carries their hash, so a change rolls the pods.`)}${toYaml(configMap)}`,
    },
    {
      path: `${K8S_DIR}/deployment.yaml`,
      content: `${header(`The gateway replicas. LiteLLM reads ${K8S_CONFIG_PATH} from the ConfigMap ${cmName}; secrets come from the Secret ${K8S_SECRET_NAME} (gatewayctl k8s secrets | kubectl apply -f -).`)}${toYaml(deployment)}`,
    },
    { path: `${K8S_DIR}/service.yaml`, content: `${header("The gateway's in-cluster address (port 4000).")}${toYaml(service)}` },
    { path: `${K8S_DIR}/poddisruptionbudget.yaml`, content: `${header("Keeps a gateway replica up through voluntary disruptions.")}${toYaml(pdb)}` },
    {
      path: `${K8S_DIR}/networkpolicy.yaml`,
      content: `${header("The gateway pods may reach only the policy's backends, Redis and the cluster DNS.")}${toYaml(networkPolicy)}`,
    },
    {
      path: `${K8S_DIR}/secret-keys/${K8S_SECRET_NAME}.yaml`,
      content: `${header(`The keys of the Secret ${K8S_SECRET_NAME}, without values. Do not apply it: \`gatewayctl k8s secrets | kubectl apply -f -\` renders it with values from the secrets provider.`)}${toYaml(secretManifest(facts, ns, undefined))}`,
    },
  ];
  if (k.hpa) {
    const hpa = {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: metadata(K8S_APP, ns, gatewayLabels),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: K8S_APP },
        minReplicas: k.hpa.minReplicas ?? scale.replicas,
        maxReplicas: k.hpa.maxReplicas,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: k.hpa.targetCPUUtilization } } }],
      },
    };
    out.push({ path: `${K8S_DIR}/horizontalpodautoscaler.yaml`, content: `${header("Scales the gateway replicas on CPU.")}${toYaml(hpa)}` });
  }
  if (bundledRedis && scale.redis) {
    const passwordKey = gatewayEnvName(scale.redis.passwordSecret);
    const fromSecret = (name: string): Record<string, unknown> => ({ name, valueFrom: { secretKeyRef: { name: K8S_SECRET_NAME, key: passwordKey } } });
    const redisDeployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: metadata(REDIS_NAME, ns, redisLabels),
      spec: {
        replicas: 1,
        selector: { matchLabels: { ...redisLabels } },
        template: {
          metadata: { labels: { ...redisLabels } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: "redis",
                image: scale.redis.image ?? REDIS_IMAGE,
                command: REDIS_CONTAINER_START,
                ports: [{ name: "redis", containerPort: REDIS_PORT, protocol: "TCP" }],
                env: [fromSecret("REDIS_PASSWORD"), fromSecret("REDISCLI_AUTH")],
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                securityContext: restrictedContainer(REDIS_RUN_AS_USER),
                readinessProbe: { exec: { command: ["sh", "-c", "redis-cli ping | grep -q PONG"] }, periodSeconds: 5 },
                livenessProbe: { tcpSocket: { port: "redis" }, periodSeconds: 10 },
                volumeMounts: [{ name: "data", mountPath: "/data" }],
              },
            ],
            volumes: [{ name: "data", emptyDir: {} }],
          },
        },
      },
    };
    const redisService = {
      apiVersion: "v1",
      kind: "Service",
      metadata: metadata(REDIS_NAME, ns, redisLabels),
      spec: { type: "ClusterIP", selector: { ...redisLabels }, ports: [{ name: "redis", port: REDIS_PORT, targetPort: "redis", protocol: "TCP" }] },
    };
    const redisPolicy = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: metadata(REDIS_NAME, ns, redisLabels),
      spec: {
        podSelector: { matchLabels: { ...redisLabels } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { ...gatewayLabels } } }], ports: [{ protocol: "TCP", port: REDIS_PORT }] }],
        egress: [],
      },
    };
    out.push(
      { path: `${K8S_DIR}/redis-deployment.yaml`, content: `${header("The bundled Redis the replicas share router state through: no persistence, password from the Secret.")}${toYaml(redisDeployment)}` },
      { path: `${K8S_DIR}/redis-service.yaml`, content: `${header("The bundled Redis's in-cluster address.")}${toYaml(redisService)}` },
      { path: `${K8S_DIR}/redis-networkpolicy.yaml`, content: `${header("Only the gateway pods reach the bundled Redis; it reaches nothing.")}${toYaml(redisPolicy)}` },
    );
  }
  return out;
}
