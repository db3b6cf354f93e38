/**
 * The HTTP checks behind `gatewayctl test-routes`, against a running gateway: health, the model list, one tiny
 * prompt per route (serving deployment read from response headers only) and privacy probes on every protected
 * route. Requests run in parallel with a concurrency bound.
 */
import type { DeploymentInfo, RouteMap, RoutePlan } from "../artifact/types.js";
import { judgeHealth, judgeModels, judgePrivacyProbe, judgeRouteResponse, type PrivacyMechanism } from "./judge.js";
import { mapLimit, requestGateway } from "./http.js";
import type { CheckResult, CheckStatus, ProbeReport, RouteRow } from "./types.js";

/** The prompt every route gets: tiny, harmless, the same everywhere (it may reach a cloud model on a broken gateway). */
export const PROBE_PROMPT = "gatewayctl test-routes probe: reply with OK.";
export const PROBE_MAX_TOKENS = 8;
/** An api_base no gateway should ever use: the discard port on loopback (nothing is sent anywhere if it is taken). */
export const PROBE_CLIENT_API_BASE = "http://127.0.0.1:9/v1";

export interface GatewayProbeOptions {
  baseUrl: string;
  key: string;
  routeMap: RouteMap;
  concurrency: number;
  /** per request */
  timeoutMs: number;
}

export function promptBody(model: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model, messages: [{ role: "user", content: PROBE_PROMPT }], max_tokens: PROBE_MAX_TOKENS, temperature: 0, stream: false, ...extra };
}

export const isProtected = (r: RoutePlan): boolean => r.privacy === "local-only" || r.privacy === "local-first";

/**
 * A model name that reaches a cloud deployment, used as the client-chosen fallback target: a route alias served
 * by the cloud, else a group holding a cloud deployment, else a name that exists nowhere (the guard refuses the
 * field whatever its target).
 */
export function cloudTarget(map: RouteMap): string {
  const cloud = (id: string): DeploymentInfo | undefined => map.deployments.find((d) => d.id === id && d.location === "cloud");
  const route = map.routes.find((r) => cloud(r.primaryDeploymentId));
  if (route) return route.alias;
  const deployment = map.deployments.find((d) => d.location === "cloud");
  return deployment ? deployment.group : "gatewayctl-probe-cloud";
}

interface PlannedRequest {
  run: () => Promise<CheckResult[]>;
}

/** Every privacy probe for the route map: per protected route, then each cloud deployment addressed directly. */
export function privacyProbes(map: RouteMap): Array<{ name: string; mechanism: PrivacyMechanism; route?: RoutePlan; body: Record<string, unknown> }> {
  const target = cloudTarget(map);
  const probes: Array<{ name: string; mechanism: PrivacyMechanism; route?: RoutePlan; body: Record<string, unknown> }> = [];
  const protectedRoutes = map.routes.filter(isProtected);
  for (const route of protectedRoutes) {
    probes.push(
      { name: `privacy ${route.alias} client-fallbacks`, mechanism: "client-fallbacks", route, body: promptBody(route.alias, { fallbacks: [target] }) },
      { name: `privacy ${route.alias} client-api-base`, mechanism: "client-api-base", route, body: promptBody(route.alias, { api_base: PROBE_CLIENT_API_BASE }) },
    );
  }
  const first = protectedRoutes[0];
  if (first) {
    // The guard refuses a comma-separated model by the same membership test as client fallbacks, which is probed
    // on every protected route above; once is enough here.
    probes.push({ name: `privacy ${first.alias} comma-models`, mechanism: "comma-models", route: first, body: promptBody(`${first.alias},${target}`) });
    const rawSeen = new Set<string>();
    for (const d of map.deployments.filter((x) => x.location === "cloud")) {
      probes.push({ name: `privacy direct-id ${d.id}`, mechanism: "direct-id", body: promptBody(d.id) });
      if (!rawSeen.has(d.litellmModel)) {
        rawSeen.add(d.litellmModel);
        probes.push({ name: `privacy direct-raw-model ${d.litellmModel}`, mechanism: "direct-raw-model", body: promptBody(d.litellmModel) });
      }
    }
  }
  return probes;
}

/** Checks 1-4 against a running gateway. */
export async function probeGateway(options: GatewayProbeOptions): Promise<CheckResult[]> {
  const { baseUrl, key, routeMap: map, timeoutMs } = options;
  const health: CheckResult[] = [];
  for (const path of ["/health/liveliness", "/health/readiness"] as const) {
    health.push(judgeHealth(path, await requestGateway(baseUrl, { path, timeoutMs: Math.min(timeoutMs, 10_000) })));
  }
  if (health[0]?.status === "fail") {
    return [...health, { name: "gateway reachable", kind: "health", status: "fail", message: `the gateway at ${baseUrl} does not answer; no route was tested (is it started? gatewayctl status)` }];
  }

  const prompts: PlannedRequest[] = map.routes.map((route) => ({
    run: async () => [judgeRouteResponse(route, await requestGateway(baseUrl, { path: "/v1/chat/completions", key, body: promptBody(route.alias), timeoutMs }), map)],
  }));
  const probes: PlannedRequest[] = [
    { run: async () => judgeModels(await requestGateway(baseUrl, { path: "/v1/models", key, timeoutMs }), map) },
    ...privacyProbes(map).map((p) => ({
      run: async () => [judgePrivacyProbe(p.name, p.mechanism, p.route, await requestGateway(baseUrl, { path: "/v1/chat/completions", key, body: p.body, timeoutMs }), map)],
    })),
  ];
  // Interleave: a prompt mostly waits on its model backend while a refused probe mostly costs the gateway's CPU,
  // so mixing them keeps both busy within the same bound. Results are reported in plan order, not run order.
  const order: Array<{ kind: "prompt" | "probe"; index: number }> = [];
  const ratio = Math.max(1, Math.ceil(probes.length / Math.max(1, prompts.length)));
  for (let i = 0, j = 0; i < prompts.length || j < probes.length; ) {
    if (i < prompts.length) order.push({ kind: "prompt", index: i++ });
    for (let k = 0; k < ratio && j < probes.length; k++) order.push({ kind: "probe", index: j++ });
  }
  const results = await mapLimit(order, options.concurrency, (o) => (o.kind === "prompt" ? prompts[o.index]! : probes[o.index]!).run());
  const promptResults: CheckResult[][] = [];
  const probeResults: CheckResult[][] = [];
  order.forEach((o, i) => ((o.kind === "prompt" ? promptResults : probeResults)[o.index] = results[i]!));
  return [...health, ...(probeResults[0] ?? []), ...promptResults.flat(), ...probeResults.slice(1).flat()];
}

export function routeRows(map: RouteMap, checks: CheckResult[]): RouteRow[] {
  return map.routes.map((route) => {
    const check = checks.find((c) => c.kind === "route" && c.route === route.alias);
    const worst = worstStatus(checks.filter((c) => c.route === route.alias).map((c) => c.status));
    // a route no prompt was sent to is not "ok": say so (its checks may all have passed only because none ran)
    const row: RouteRow = { alias: route.alias, lane: route.lane, privacy: route.privacy, status: check ? worst : worst === "fail" ? "fail" : "untested" };
    if (check?.servedBy?.deploymentId) row.servedBy = check.servedBy.deploymentId;
    if (check?.servedBy) row.location = check.servedBy.location;
    if (check?.latencyMs !== undefined) row.latencyMs = check.latencyMs;
    if (check?.servedBy?.costUsd !== undefined) row.costUsd = check.servedBy.costUsd;
    return row;
  });
}

export function worstStatus(statuses: CheckStatus[]): CheckStatus {
  return statuses.includes("fail") ? "fail" : statuses.includes("warn") ? "warn" : "pass";
}

export function buildReport(baseUrl: string, map: RouteMap, checks: CheckResult[], durationMs: number, drill?: ProbeReport["drill"]): ProbeReport {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0 };
  for (const c of checks) counts[c.status]++;
  return { ok: counts.fail === 0, baseUrl, routes: routeRows(map, checks), checks, counts, durationMs, ...(drill ? { drill } : {}) };
}
