/**
 * Cross-field rules of the policy, checked once the shape is valid: references, backend locality, privacy,
 * cost, secrets provider, gateway safety. Every rule reports every problem it finds. Pure.
 */
import { isIP } from "node:net";
import { classifyHost, hostOfUrl } from "../lib/hosts.js";
import { forbiddenVersionInTag, judgeLitellmVersion, MIN_SAFE_LITELLM_VERSION } from "../lib/versions.js";
import {
  DEFAULT_REQUEST_TIMEOUT_SECONDS,
  INTERNAL_GROUP_PREFIX,
  PRIVACY_RANK,
  type Backend,
  type Policy,
  type Price,
  type Privacy,
} from "./schema.js";
import { formatPath, type PathSegment } from "./locate.js";
import { suggestionSuffix } from "./suggest.js";
import { isCloudVendorType } from "./vendors.js";

/** A problem tied to a place in the policy; `at` says which part of that place the position points to. */
export interface Finding {
  severity: "error" | "warning";
  path: PathSegment[];
  /** value: the value at path; key: the key of path's last segment; missing: the mapping that lacks path */
  at: "value" | "key" | "missing";
  message: string;
  hint?: string;
}

/** Whether a path is written in the policy file (as opposed to filled in by a default). */
export type WrittenCheck = (path: readonly PathSegment[]) => boolean;

function finding(
  severity: Finding["severity"],
  path: PathSegment[],
  at: Finding["at"],
  text: string,
  hint?: string,
): Finding {
  return { severity, path, at, message: `${formatPath(path)}: ${text}`, ...(hint ? { hint } : {}) };
}

function list(names: Iterable<string>): string {
  const all = [...names];
  return all.length === 0 ? "(none)" : all.map((n) => `"${n}"`).join(", ");
}

export function isCloudVendor(backend: Backend): boolean {
  return isCloudVendorType(backend.type);
}


/** Run every cross-field rule; the policy has already passed the schema. */
export function checkPolicyRules(policy: Policy, written: WrittenCheck): Finding[] {
  return [
    ...checkNotEmpty(policy),
    ...checkBackends(policy),
    ...checkReferences(policy),
    ...checkPrivacy(policy),
    ...checkCost(policy),
    ...checkClients(policy),
    ...checkAlerts(policy),
    ...checkSecretsProvider(policy, written),
    ...checkGateway(policy, written),
    ...checkScale(policy),
  ];
}

function checkNotEmpty(policy: Policy): Finding[] {
  const out: Finding[] = [];
  const sections = [
    ["backends", "backend", "add the servers your models run on, for example `ollama: { type: ollama, url: \"http://127.0.0.1:11434\", location: local }`"],
    ["models", "model", "add at least one model, for example `llama: { backend: ollama, name: \"llama3.1:8b\" }`"],
    ["lanes", "lane", "add at least one lane, for example `private: { privacy: local-only, description: \"Records that stay at home\" }`"],
    ["routes", "route", "add at least one route alias, for example `secure-core: { lane: private, model: llama }`"],
  ] as const;
  for (const [key, noun, hint] of sections) {
    if (Object.keys(policy[key]).length === 0) out.push(finding("error", [key], "key", `no ${noun}s defined`, hint));
  }
  const routes = Object.entries(policy.routes);
  // only when every route's lane is known (an unknown lane is reported on its own)
  if (routes.length > 0 && routes.every(([, r]) => r.lane in policy.lanes)) {
    const anyLocalOnly = routes.some(([, r]) => (r.privacy ?? policy.lanes[r.lane]?.privacy) === "local-only");
    if (!anyLocalOnly) {
      out.push(
        finding(
          "warning",
          ["routes"],
          "key",
          "no local-only route: every alias may reach a cloud provider",
          "add a lane with `privacy: local-only` and a route in it for work that must never leave your network",
        ),
      );
    }
  }
  return out;
}

/**
 * Whether a URL's host is ambiguous between parsers: the locality check reads the host with WHATWG `URL`, while
 * LiteLLM's HTTP clients (httpx, aiohttp) read the raw text, and they disagree on `\`, whitespace, userinfo and
 * percent-encoded hosts (`http://127.0.0.1\@evil.example` is loopback to one and evil.example to another).
 */
export function ambiguousUrl(url: string): boolean {
  if (/[\\\s]/.test(url)) return true;
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? "";
  return authority.includes("@") || authority.includes("%");
}

function checkBackends(policy: Policy): Finding[] {
  const out: Finding[] = [];
  for (const [key, b] of Object.entries(policy.backends)) {
    const here: PathSegment[] = ["backends", key];
    const cloudVendor = isCloudVendor(b);
    if ((b.type === "ollama" || b.type === "openai-compatible") && b.url === undefined) {
      out.push(
        finding(
          "error",
          [...here, "url"],
          "missing",
          `a backend of type ${b.type} needs "url"`,
          b.type === "ollama"
            ? 'add url: "http://127.0.0.1:11434" (where Ollama listens)'
            : 'add the server\'s base URL including /v1, for example url: "http://127.0.0.1:8000/v1"',
        ),
      );
    }
    if (b.url !== undefined && ambiguousUrl(b.url)) {
      out.push(
        finding(
          "error",
          [...here, "url"],
          "value",
          "the URL can be read with two different hosts: a backslash, whitespace, a user part (`user@`) or a percent-encoded host parse one way in gatewayctl (WHATWG) and another in Python's HTTP clients",
          'write the plain form, scheme://host:port/path, for example "http://127.0.0.1:11434"',
        ),
      );
    }
    if (cloudVendor && b.location === "local") {
      out.push(
        finding(
          "error",
          [...here, "location"],
          "value",
          `a backend of type ${b.type} is a cloud provider and cannot be local`,
          "write location: cloud; for a self-hosted server that speaks the OpenAI API use type: openai-compatible",
        ),
      );
    }
    if (cloudVendor && b.apiKey === undefined) {
      const name = `${key.toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^(?=\d)/, "_")}_API_KEY`;
      out.push(
        finding("error", [...here, "apiKey"], "missing", `a ${b.type} backend needs "apiKey"`, `add apiKey: { secret: ${name} }`),
      );
    }
    if (b.trustAsLocal && b.location === "cloud") {
      out.push(
        finding("warning", [...here, "trustAsLocal"], "key", "trustAsLocal has no effect on a cloud backend", "remove it"),
      );
    }
    if (b.url !== undefined) {
      let url: URL | undefined;
      try {
        url = new URL(b.url);
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
        out.push(
          finding(
            "error",
            [...here, "url"],
            "value",
            `a ${b.location} backend needs an http:// or https:// URL${url ? ` (this one's scheme is "${url.protocol.slice(0, -1)}")` : ""}`,
            'write the full URL with its scheme, for example url: "http://127.0.0.1:11434"',
          ),
        );
      } else if (b.location === "local" && !cloudVendor) {
        const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
        if (classifyHost(host) === "public" && b.trustAsLocal !== true) {
          out.push(
            finding(
              "error",
              [...here, "url"],
              "value",
              `backend is marked local but its host "${host}" is not loopback, a private address or a local name`,
              "use the server's LAN address or a .local/.lan/.home.arpa name; if this host really is yours (for example a VPN address such as Tailscale's 100.x), add trustAsLocal: true to the backend",
            ),
          );
        }
      }
    }
  }
  return out;
}

function checkReferences(policy: Policy): Finding[] {
  const out: Finding[] = [];
  const backendKeys = Object.keys(policy.backends);
  const modelKeys = Object.keys(policy.models);
  const laneKeys = Object.keys(policy.lanes);
  for (const [key, m] of Object.entries(policy.models)) {
    if (!(m.backend in policy.backends)) {
      out.push(
        finding(
          "error",
          ["models", key, "backend"],
          "value",
          `unknown backend "${m.backend}"${suggestionSuffix(m.backend, backendKeys)}`,
          `backends defined: ${list(backendKeys)}`,
        ),
      );
    }
  }
  for (const [alias, r] of Object.entries(policy.routes)) {
    const here: PathSegment[] = ["routes", alias];
    if (alias.startsWith(INTERNAL_GROUP_PREFIX)) {
      out.push(
        finding(
          "error",
          here,
          "key",
          `route aliases cannot start with "${INTERNAL_GROUP_PREFIX}": gatewayctl reserves that prefix for the model groups behind fallbacks`,
          "rename the route",
        ),
      );
    }
    if (!(r.lane in policy.lanes)) {
      out.push(
        finding(
          "error",
          [...here, "lane"],
          "value",
          `unknown lane "${r.lane}"${suggestionSuffix(r.lane, laneKeys)}`,
          `lanes defined: ${list(laneKeys)}`,
        ),
      );
    }
    if (!(r.model in policy.models)) {
      out.push(
        finding(
          "error",
          [...here, "model"],
          "value",
          `unknown model "${r.model}"${suggestionSuffix(r.model, modelKeys)}`,
          `models defined: ${list(modelKeys)}`,
        ),
      );
    }
    const seen = new Map<string, number>();
    r.fallbacks.forEach((fb, i) => {
      const at: PathSegment[] = [...here, "fallbacks", i];
      if (!(fb in policy.models)) {
        out.push(
          finding("error", at, "value", `unknown model "${fb}"${suggestionSuffix(fb, modelKeys)}`, `models defined: ${list(modelKeys)}`),
        );
      } else if (fb === r.model) {
        out.push(
          finding(
            "error",
            at,
            "value",
            `fallback "${fb}" is the route's primary model`,
            "a fallback is tried when the primary fails; list a different model or remove it",
          ),
        );
      } else if (seen.has(fb)) {
        out.push(
          finding("error", at, "value", `fallback "${fb}" is already listed as fallbacks[${seen.get(fb)}]`, "remove the repeat"),
        );
      }
      if (!seen.has(fb)) seen.set(fb, i);
    });
  }
  return out;
}

/** Location of the backend a model runs on; undefined when the references are broken (reported elsewhere). */
function modelLocation(policy: Policy, modelKey: string): { location: "local" | "cloud"; backend: string } | undefined {
  const model = policy.models[modelKey];
  if (!model) return undefined;
  const backend = policy.backends[model.backend];
  if (!backend) return undefined;
  return { location: backend.location, backend: model.backend };
}

function checkPrivacy(policy: Policy): Finding[] {
  const out: Finding[] = [];
  for (const [alias, r] of Object.entries(policy.routes)) {
    const here: PathSegment[] = ["routes", alias];
    const lane = policy.lanes[r.lane];
    if (!lane) continue;
    if (r.privacy !== undefined && PRIVACY_RANK[r.privacy] > PRIVACY_RANK[lane.privacy]) {
      out.push(
        finding(
          "error",
          [...here, "privacy"],
          "value",
          `privacy "${r.privacy}" is looser than lane "${r.lane}" (${lane.privacy}); a route may only be stricter than its lane`,
          `remove privacy, or move the route to a lane whose privacy is ${r.privacy}`,
        ),
      );
      continue;
    }
    const privacy: Privacy = r.privacy ?? lane.privacy;
    if (privacy === "cloud-allowed") continue;
    const source = r.privacy !== undefined ? "the route" : `lane "${r.lane}"`;
    const primary = modelLocation(policy, r.model);
    if (primary && primary.location === "cloud") {
      out.push(
        finding(
          "error",
          [...here, "model"],
          "value",
          `model "${r.model}" runs on cloud backend "${primary.backend}", but ${source} is ${privacy}: the primary model must be local`,
          privacy === "local-only"
            ? "use a model on a local backend, or move the route to a cloud-allowed lane"
            : "use a local model as primary and list the cloud model under fallbacks, or move the route to a cloud-allowed lane",
        ),
      );
    }
    if (privacy === "local-only") {
      r.fallbacks.forEach((fb, i) => {
        const loc = modelLocation(policy, fb);
        if (loc && loc.location === "cloud") {
          out.push(
            finding(
              "error",
              [...here, "fallbacks", i],
              "value",
              `model "${fb}" runs on cloud backend "${loc.backend}", but ${source} is local-only`,
              "remove this fallback or replace it with a local model; if cloud is acceptable for this work, use a local-first lane",
            ),
          );
        }
      });
    }
  }
  return out;
}

function formatPrice(p: Price): string {
  return `input ${p.input} / output ${p.output} USD per 1M tokens`;
}

function checkCost(policy: Policy): Finding[] {
  const out: Finding[] = [];
  for (const [alias, r] of Object.entries(policy.routes)) {
    const lane = policy.lanes[r.lane];
    const max = lane?.maxPrice;
    if (!max) continue;
    const refs: [string, PathSegment[]][] = [
      [r.model, ["routes", alias, "model"]],
      ...r.fallbacks.map((fb, i): [string, PathSegment[]] => [fb, ["routes", alias, "fallbacks", i]]),
    ];
    for (const [modelKey, at] of refs) {
      const model = policy.models[modelKey];
      const loc = modelLocation(policy, modelKey);
      if (!model || !loc) continue;
      const price = model.price ?? (loc.location === "local" ? { input: 0, output: 0 } : undefined);
      if (price === undefined) {
        out.push(
          finding(
            "error",
            at,
            "value",
            `cloud model "${modelKey}" has no price, so lane "${r.lane}" cannot enforce its maxPrice (${formatPrice(max)})`,
            `add price: { input: <USD per 1M input tokens>, output: <USD per 1M output tokens> } to models.${modelKey}`,
          ),
        );
      } else if (price.input > max.input || price.output > max.output) {
        out.push(
          finding(
            "error",
            at,
            "value",
            `model "${modelKey}" costs ${formatPrice(price)}, above lane "${r.lane}" maxPrice (${formatPrice(max)})`,
            "use a cheaper model here, or raise the lane's maxPrice",
          ),
        );
      }
    }
  }
  return out;
}

/** Alert rules name lanes that exist; a budget alert needs a lane with a budget. */
function checkAlerts(policy: Policy): Finding[] {
  const out: Finding[] = [];
  const lanes = Object.keys(policy.lanes);
  policy.alerts.forEach((a, i) => {
    if (a.rule === "refusals") return;
    const lane = Object.hasOwn(policy.lanes, a.lane) ? policy.lanes[a.lane] : undefined;
    if (!lane) {
      out.push(finding("error", ["alerts", i, "lane"], "value", `unknown lane "${a.lane}"${suggestionSuffix(a.lane, lanes)}`, `lanes defined: ${list(lanes)}`));
    } else if (a.rule === "budget" && !lane.budget) {
      out.push(finding("error", ["alerts", i, "lane"], "value", `lane "${a.lane}" has no budget for this alert to compare with`, `add budget: { daily: USD } to lanes.${a.lane}, or remove the alert`));
    }
  });
  return out;
}

function checkClients(policy: Policy): Finding[] {
  const out: Finding[] = [];
  const aliases = Object.keys(policy.routes);
  const lanes = Object.keys(policy.lanes);
  const master = policy.gateway.masterKey.secret;
  const backendKeys = new Map(Object.entries(policy.backends).flatMap(([k, b]) => (b.apiKey ? [[b.apiKey.secret, k] as const] : [])));
  const keyOwner = new Map<string, string>();
  for (const [name, c] of Object.entries(policy.clients)) {
    const here: PathSegment[] = ["clients", name];
    if (name === "gatewayctl") {
      out.push(finding("error", here, "key", `the client name "gatewayctl" is the master key's`, "give the client another name"));
    }
    (c.routes ?? []).forEach((r, i) => {
      if (!Object.hasOwn(policy.routes, r)) {
        out.push(finding("error", [...here, "routes", i], "value", `unknown route alias "${r}"${suggestionSuffix(r, aliases)}`, `route aliases defined: ${list(aliases)}`));
      }
    });
    (c.lanes ?? []).forEach((l, i) => {
      if (!Object.hasOwn(policy.lanes, l)) {
        out.push(finding("error", [...here, "lanes", i], "value", `unknown lane "${l}"${suggestionSuffix(l, lanes)}`, `lanes defined: ${list(lanes)}`));
      }
    });
    if ((c.routes ?? []).length + (c.lanes ?? []).length === 0) {
      out.push(finding("error", here, "key", "a client needs routes or lanes: the aliases its key may use", "add routes: [alias, ...] or lanes: [lane, ...]"));
    }
    const secret = c.key.secret;
    if (secret === master) {
      out.push(finding("error", [...here, "key", "secret"], "value", `the client key is the master key ${master}`, "the master key is gatewayctl's alone: give the client a key of its own"));
    } else if (backendKeys.has(secret)) {
      out.push(finding("error", [...here, "key", "secret"], "value", `the client key is backend "${backendKeys.get(secret)}"'s API key`, "give the client a key of its own"));
    } else if (keyOwner.has(secret)) {
      out.push(finding("error", [...here, "key", "secret"], "value", `client "${keyOwner.get(secret)}" already uses the key ${secret}`, "every client gets its own key, so it can be told apart and revoked alone"));
    }
    keyOwner.set(secret, name);
  }
  return out;
}

function checkSecretsProvider(policy: Policy, written: WrittenCheck): Finding[] {
  const out: Finding[] = [];
  const s = policy.secrets;
  if (s.provider === "env-file" && s.file === undefined) {
    out.push(
      finding("error", ["secrets", "file"], "missing", 'the env-file provider needs "file"', "add file: ~/.config/gatewayctl/secrets.env"),
    );
  }
  if (s.provider === "command") {
    if (s.command === undefined) {
      out.push(
        finding(
          "error",
          ["secrets", "command"],
          "missing",
          'the command provider needs "command"',
          "add command: pass show gateway/{name}",
        ),
      );
    } else if (!s.command.includes("{name}")) {
      out.push(
        finding(
          "error",
          ["secrets", "command"],
          "value",
          "the command must contain {name}, which is replaced by the secret's name",
          "for example command: pass show gateway/{name}",
        ),
      );
    }
  }
  const providerWritten = written(["secrets", "provider"]);
  const providerText = providerWritten ? `provider is ${s.provider}` : `provider is ${s.provider} (the default)`;
  if (s.file !== undefined && s.provider !== "env-file") {
    out.push(
      finding("warning", ["secrets", "file"], "key", `ignored: ${providerText}`, "set provider: env-file to read secrets from this file"),
    );
  }
  if (s.command !== undefined && s.provider !== "command") {
    out.push(
      finding(
        "warning",
        ["secrets", "command"],
        "key",
        `ignored: ${providerText}`,
        "set provider: command to read secrets with this command",
      ),
    );
  }
  return out;
}

function checkGateway(policy: Policy, written: WrittenCheck): Finding[] {
  const out: Finding[] = [];
  const g = policy.gateway;
  const versionAt: PathSegment[] = ["gateway", "litellmVersion"];
  const versionWhere = written(versionAt) ? "value" : "missing";
  const verdict = judgeLitellmVersion(g.litellmVersion);
  if (verdict.refuse) {
    out.push(finding("error", versionAt, versionWhere, verdict.refuse, "remove litellmVersion to use the version gatewayctl pins, or pin a newer release"));
  }
  for (const w of verdict.warnings) {
    out.push(finding("warning", versionAt, versionWhere, w, `pin ${MIN_SAFE_LITELLM_VERSION} or newer, or remove litellmVersion to use the version gatewayctl pins`));
  }
  const bad = g.image !== undefined ? forbiddenVersionInTag(g.image) : undefined;
  if (bad) {
    out.push(
      finding(
        "error",
        ["gateway", "image"],
        "value",
        `the image tag names LiteLLM ${bad}, a release known to be compromised`,
        "remove image to use the pinned release, or use a newer tag",
      ),
    );
  }
  const bind = g.bind.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  const bindAt: PathSegment[] = ["gateway", "bind"];
  if (bind === "0.0.0.0" || bind === "::" || bind === "*" || bind === "") {
    out.push(
      finding(
        "warning",
        bindAt,
        "value",
        "the gateway listens on every network interface: anything that can reach this machine can reach it",
        "bind to 127.0.0.1 unless other machines must use the gateway; then prefer one LAN address and a firewall",
      ),
    );
  } else if (classifyHost(bind) !== "loopback") {
    out.push(
      finding(
        "warning",
        bindAt,
        "value",
        `the gateway is reachable from the network on ${g.bind}, not only from this machine`,
        "keep this only if other machines must use the gateway; the master key is then all that protects it",
      ),
    );
  }
  if (g.runtime === "docker" && isIP(bind) === 0) {
    out.push(
      finding(
        "error",
        bindAt,
        "value",
        `Docker publishes ports on IP addresses only, and "${g.bind}" is not one`,
        bind === "localhost" ? "write bind: 127.0.0.1" : "write an address, for example bind: 127.0.0.1",
      ),
    );
  }
  return out;
}

/** Backend keys the routes use (primary or fallback), sorted. */
function usedBackends(policy: Policy): string[] {
  const used = new Set<string>();
  for (const r of Object.values(policy.routes)) {
    for (const m of [r.model, ...(r.fallbacks ?? [])]) {
      const b = Object.hasOwn(policy.models, m) ? policy.models[m]?.backend : undefined;
      if (b !== undefined && Object.hasOwn(policy.backends, b)) used.add(b);
    }
  }
  return [...used].sort();
}

function checkScale(policy: Policy): Finding[] {
  const scale = policy.scale;
  if (!scale) return [];
  const out: Finding[] = [];
  // the balancer must wait at least as long as a route's deployment may take, or it cuts the request off first
  const balancerWaits = scale.loadBalancer.timeoutSeconds;
  for (const [alias, route] of Object.entries(policy.routes)) {
    const lane = Object.hasOwn(policy.lanes, route.lane) ? policy.lanes[route.lane] : undefined;
    const timeout = route.timeoutSeconds ?? lane?.timeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS;
    if (timeout > balancerWaits) {
      out.push(
        finding(
          "warning",
          ["routes", alias, ...(route.timeoutSeconds !== undefined ? ["timeoutSeconds"] : ["lane"])],
          "value",
          `route ${alias} may take ${timeout}s on one deployment, longer than the load balancer waits (scale.loadBalancer.timeoutSeconds: ${balancerWaits}s): the balancer would answer 504 first`,
          `raise scale.loadBalancer.timeoutSeconds to at least ${timeout}, or lower the route's timeoutSeconds`,
        ),
      );
    }
  }
  const redis = scale.redis;
  if (scale.replicas > 1 && !redis) {
    out.push(
      finding(
        "error",
        ["scale", "redis"],
        "missing",
        `${scale.replicas} replicas need a shared Redis: without it each one keeps its own cooldowns and rate-limit counters, and a replica keeps sending requests to a backend another one found failing`,
        "add redis: { bundled: true } (gatewayctl runs one) or redis: { host: { secret: REDIS_HOST }, password: { secret: REDIS_PASSWORD } }",
      ),
    );
  }
  if (redis) {
    if (redis.bundled === true && (redis.host !== undefined || redis.port !== undefined)) {
      out.push(finding("error", ["scale", "redis", "host"], redis.host !== undefined ? "key" : "missing", "a bundled Redis has no host or port of yours", "remove host and port, or remove bundled to use an existing Redis"));
    } else if (redis.bundled !== true && redis.host === undefined) {
      out.push(
        finding("error", ["scale", "redis"], "value", "Redis is neither bundled nor given a host", "write bundled: true, or host: { secret: REDIS_HOST } for an existing Redis"),
      );
    }
    const taken = new Set([policy.gateway.masterKey.secret, ...Object.values(policy.clients).map((c) => c.key.secret)]);
    if (taken.has(redis.password.secret)) {
      out.push(
        finding("error", ["scale", "redis", "password", "secret"], "value", `the Redis password ${redis.password.secret} is also a gateway key`, "give Redis a password secret of its own"),
      );
    }
  }
  if (policy.gateway.runtime === "process" && policy.gateway.port + scale.replicas > 65535) {
    out.push(finding("error", ["scale", "replicas"], "value", `the replicas listen on the ports after gateway.port (${policy.gateway.port + 1}-${policy.gateway.port + scale.replicas}), beyond 65535`, "lower gateway.port"));
  }
  const k8s = scale.kubernetes;
  if (k8s) {
    if (k8s.hpa && (k8s.hpa.minReplicas ?? scale.replicas) > k8s.hpa.maxReplicas) {
      out.push(finding("error", ["scale", "kubernetes", "hpa", "maxReplicas"], "value", `maxReplicas ${k8s.hpa.maxReplicas} is below minReplicas ${k8s.hpa.minReplicas ?? scale.replicas}`, "raise maxReplicas"));
    }
    const used = usedBackends(policy);
    for (const [key, target] of Object.entries(k8s.egress)) {
      if (!Object.hasOwn(policy.backends, key)) {
        out.push(finding("error", ["scale", "kubernetes", "egress", key], "key", `unknown backend "${key}"${suggestionSuffix(key, Object.keys(policy.backends))}`, `use one of: ${list(Object.keys(policy.backends))}`));
      }
      if (!target.cidr?.length && target.namespace === undefined && target.podLabels === undefined) {
        out.push(finding("error", ["scale", "kubernetes", "egress", key], "value", "an egress target needs cidr, or namespace and podLabels", "for example cidr: [10.0.5.0/24]"));
      }
    }
    for (const key of used) {
      const host = hostOfUrl(policy.backends[key]?.url ?? "");
      if (host !== undefined && classifyHost(host) === "loopback") {
        out.push(
          finding("error", ["backends", key, "url"], "value", `a loopback backend (${host}) inside a Kubernetes pod is the pod itself`, "give the backend an address the cluster reaches, or remove scale.kubernetes"),
        );
        continue;
      }
      if (Object.hasOwn(k8s.egress, key)) continue;
      if (host !== undefined && isIP(host.replace(/^\[(.*)\]$/, "$1")) !== 0) continue;
      out.push(
        finding(
          "error",
          ["scale", "kubernetes", "egress"],
          "missing",
          `the NetworkPolicy can let the gateway pods reach backend "${key}" only by address, and its host ${host ?? "(the SDK's default)"} is a name`,
          `add egress: { ${key}: { cidr: [...] } }, or { namespace: ..., podLabels: {...} } for an in-cluster service`,
        ),
      );
    }
    if (redis?.bundled === true && policy.gateway.runtime === "process") {
      out.push(
        finding(
          "error",
          ["gateway", "runtime"],
          "value",
          "the Kubernetes manifests carry this build's config.yaml, and on the process runtime it names the bundled Redis at 127.0.0.1",
          "build the manifests from a policy with gateway.runtime: docker (the compose build's config, whose bundled Redis is the gatewayctl-redis service)",
        ),
      );
    }
    if (redis && redis.bundled !== true && !k8s.redisEgress) {
      out.push(finding("error", ["scale", "kubernetes", "redisEgress"], "missing", "the NetworkPolicy needs to know where the existing Redis answers", "add redisEgress: { cidr: [...] } or { namespace: ..., podLabels: {...} }"));
    }
  }
  return out;
}
