/**
 * Pure judgements over gateway answers: which deployment served (from response headers only, never the body),
 * and whether that is allowed for the route. No I/O here, so every rule is unit-tested directly.
 */
import type { DeploymentInfo, RouteMap, RoutePlan } from "../artifact/types.js";
import { judgeLitellmVersion } from "../lib/versions.js";
import { errorMessage } from "./http.js";
import type { CheckResult, GatewayResponse, ServedBy } from "./types.js";

export const HEADER_MODEL_ID = "x-litellm-model-id";
export const HEADER_API_BASE = "x-litellm-model-api-base";
export const HEADER_ATTEMPTED_FALLBACKS = "x-litellm-attempted-fallbacks";
export const HEADER_RESPONSE_COST = "x-litellm-response-cost";

function deploymentById(map: RouteMap, id: string | undefined): DeploymentInfo | undefined {
  return id === undefined ? undefined : map.deployments.find((d) => d.id === id);
}

/** api_base as LiteLLM reports it: no query string, no trailing slash. */
export function normalizeApiBase(url: string): string {
  return url.split("?")[0]!.replace(/\/+$/, "");
}

/** Read the serving deployment from LiteLLM's response headers. */
export function servedByFromHeaders(headers: Headers, map: RouteMap): ServedBy {
  const id = headers.get(HEADER_MODEL_ID) ?? undefined;
  const apiBase = headers.get(HEADER_API_BASE) ?? undefined;
  const fallbacks = headers.get(HEADER_ATTEMPTED_FALLBACKS);
  const cost = headers.get(HEADER_RESPONSE_COST);
  const deployment = deploymentById(map, id);
  const served: ServedBy = { location: deployment?.location ?? "unknown" };
  if (id !== undefined) served.deploymentId = id;
  if (apiBase !== undefined) served.apiBase = apiBase;
  if (fallbacks !== null && fallbacks !== "" && Number.isFinite(Number(fallbacks))) served.attemptedFallbacks = Number(fallbacks);
  if (cost !== null && cost !== "" && Number.isFinite(Number(cost))) served.costUsd = Number(cost);
  return served;
}

function describeServed(s: ServedBy): string {
  return `${s.deploymentId ?? "an unidentified deployment"} (${s.location}${s.apiBase ? `, ${s.apiBase}` : ""})`;
}

/**
 * Whether LiteLLM refused the key itself, judged from the body: without a database it answers an unknown key with
 * `400 No connected db.` (it tried to look the key up), a missing key with `401 Authentication Error, No api key`.
 * A 401 that rejects a request field (`Rejected Request: api_base is not allowed`) is a refusal of the request, not
 * of the key.
 */
export function keyRejection(res: GatewayResponse): string | undefined {
  if (res.error !== undefined) return undefined;
  const msg = errorMessage(res.text);
  if (res.status === 400 && /No connected db|no_db_connection/i.test(res.text)) {
    return "the key was not accepted (LiteLLM answers an unknown key with \"No connected db.\" when it has no database): check --key-env or the master key";
  }
  if (res.status === 401 && !/Rejected Request/i.test(msg)) return `the key was not accepted (HTTP 401: ${msg})`;
  return undefined;
}

function httpProblem(res: GatewayResponse): string {
  if (res.error !== undefined) return `no answer (${res.error})`;
  return keyRejection(res) ?? `HTTP ${res.status}: ${errorMessage(res.text)}`;
}

const is2xx = (status: number): boolean => status >= 200 && status < 300;

/**
 * Check 3: the tiny prompt to a route was answered by its primary or one of its allowed fallbacks,
 * through the api_base the route map names for that deployment.
 */
export function judgeRouteResponse(route: RoutePlan, res: GatewayResponse, map: RouteMap): CheckResult {
  const base = { name: `route ${route.alias}`, kind: "route" as const, route: route.alias, latencyMs: res.latencyMs };
  if (res.error !== undefined || !is2xx(res.status)) {
    return { ...base, status: "fail", ...(res.status ? { httpStatus: res.status } : {}), message: `the test prompt failed: ${httpProblem(res)}` };
  }
  const served = servedByFromHeaders(res.headers, map);
  const withServed = { ...base, httpStatus: res.status, servedBy: served };
  if (served.deploymentId === undefined) {
    return { ...withServed, status: "fail", message: `answered without an ${HEADER_MODEL_ID} header: cannot tell which deployment served it` };
  }
  if (!route.allowedDeploymentIds.includes(served.deploymentId)) {
    const leak = served.location === "cloud" && route.privacy !== "cloud-allowed" ? "PRIVACY VIOLATION: " : "";
    return {
      ...withServed,
      status: "fail",
      message: `${leak}served by ${describeServed(served)}, which is not allowed for ${route.privacy} route ${route.alias} (allowed: ${route.allowedDeploymentIds.join(", ")})`,
    };
  }
  const deployment = deploymentById(map, served.deploymentId);
  if (deployment && served.apiBase !== undefined && normalizeApiBase(served.apiBase) !== normalizeApiBase(deployment.apiBase)) {
    return {
      ...withServed,
      status: "fail",
      message: `served by ${served.deploymentId} through ${served.apiBase}, but the route map says ${deployment.apiBase}: the runtime config was changed`,
    };
  }
  if (served.deploymentId !== route.primaryDeploymentId) {
    return {
      ...withServed,
      status: "warn",
      message: `the primary ${route.primaryDeploymentId} did not answer; served by the allowed fallback ${describeServed(served)} after ${served.attemptedFallbacks ?? "?"} fallback(s)`,
    };
  }
  return { ...withServed, status: "pass", message: `served by its primary ${describeServed(served)}` };
}

/** The request-borne mechanisms test-routes tries on protected routes. */
export type PrivacyMechanism = "client-fallbacks" | "client-api-base" | "comma-models" | "direct-id" | "direct-raw-model";

const CONNECTION_ATTEMPT = /APIConnectionError|Connection ?refused|ConnectError|ECONNREFUSED|connect call failed/i;

/**
 * Check 4: a privacy probe must be refused. 2xx means the gateway accepted a client-chosen destination; a 5xx that
 * says it tried to connect somewhere means the same. 4xx (the guard answers 403) and LiteLLM's own 5xx refusals pass.
 */
export function judgePrivacyProbe(
  name: string,
  mechanism: PrivacyMechanism,
  route: RoutePlan | undefined,
  res: GatewayResponse,
  map: RouteMap,
): CheckResult {
  const base = { name, kind: "privacy" as const, ...(route ? { route: route.alias } : {}), latencyMs: res.latencyMs };
  const what = route ? `${mechanism} on ${route.privacy} route ${route.alias}` : mechanism;
  if (res.error !== undefined) {
    return { ...base, status: "fail", message: `${what}: ${httpProblem(res)}; cannot prove the gateway refuses it` };
  }
  const withStatus = { ...base, httpStatus: res.status };
  if (is2xx(res.status)) {
    const served = servedByFromHeaders(res.headers, map);
    return {
      ...withStatus,
      servedBy: served,
      status: "fail",
      message: `PRIVACY VIOLATION: ${what} was accepted (HTTP ${res.status}, served by ${describeServed(served)}); is the gatewayctl guard loaded (litellm_settings.callbacks)?`,
    };
  }
  const rejected = keyRejection(res);
  if (rejected) {
    return { ...withStatus, status: "fail", message: `${what}: ${rejected}, so the probe proves nothing` };
  }
  if (res.status >= 500 && CONNECTION_ATTEMPT.test(res.text)) {
    return { ...withStatus, status: "fail", message: `PRIVACY VIOLATION: ${what} was accepted and the gateway tried to connect: ${errorMessage(res.text)}` };
  }
  const by = /gatewayctl guard/.test(res.text) ? "the gatewayctl guard" : /Rejected Request/i.test(res.text) ? "LiteLLM's own request check" : "LiteLLM";
  return { ...withStatus, status: "pass", message: `${what} refused by ${by} (${httpProblem(res)})` };
}

/** The mock-testing flags the drill sends, each forcing one kind of failure in LiteLLM's router. */
export const DRILL_FLAGS = ["mock_testing_fallbacks", "mock_testing_context_fallbacks", "mock_testing_content_policy_fallbacks"] as const;
export type DrillFlag = (typeof DRILL_FLAGS)[number];

const MOCK_EXCEPTION = /mock exception/i;
const MOCK_REFUSED = /Mock testing request params are disabled|mock-testing flags|gatewayctl guard/i;

/**
 * Check 5 (drill): with the primary forced to fail, a local-only route must fail closed or be served by an allowed
 * local fallback; a local-first or cloud-allowed route must be served by an allowed fallback when it has one.
 */
export function judgeDrillResponse(route: RoutePlan, flag: DrillFlag, res: GatewayResponse, map: RouteMap): CheckResult {
  const base = { name: `drill ${route.alias} ${flag}`, kind: "drill" as const, route: route.alias, latencyMs: res.latencyMs };
  if (res.error !== undefined) return { ...base, status: "fail", message: `${flag}: ${httpProblem(res)}` };
  const withStatus = { ...base, httpStatus: res.status };
  if (!is2xx(res.status)) {
    if (MOCK_REFUSED.test(res.text) && !MOCK_EXCEPTION.test(res.text)) {
      return { ...withStatus, status: "fail", message: `${flag}: the drill gateway refused the mock flag (${httpProblem(res)}), so the drill proves nothing` };
    }
    if (route.privacy === "local-only" || route.fallbackGroups.length === 0) {
      return { ...withStatus, status: "pass", message: `${flag}: failed closed with no fallback (${httpProblem(res)})` };
    }
    return { ...withStatus, status: "fail", message: `${flag}: no allowed fallback answered (${httpProblem(res)})` };
  }
  const served = servedByFromHeaders(res.headers, map);
  const withServed = { ...withStatus, servedBy: served };
  if (served.deploymentId === undefined) {
    return { ...withServed, status: "fail", message: `${flag}: answered without an ${HEADER_MODEL_ID} header: cannot tell which deployment served it` };
  }
  if (!route.allowedDeploymentIds.includes(served.deploymentId)) {
    const leak = served.location === "cloud" && route.privacy !== "cloud-allowed" ? "PRIVACY VIOLATION: " : "";
    return {
      ...withServed,
      status: "fail",
      message: `${leak}${flag}: fell back to ${describeServed(served)}, which is not allowed for ${route.privacy} route ${route.alias}`,
    };
  }
  if (route.privacy === "local-only" && served.location !== "local") {
    return { ...withServed, status: "fail", message: `PRIVACY VIOLATION: ${flag}: local-only route ${route.alias} was served by ${describeServed(served)}` };
  }
  if (served.deploymentId === route.primaryDeploymentId && !served.attemptedFallbacks) {
    return { ...withServed, status: "fail", message: `${flag}: the primary answered as if the flag had no effect, so the drill proves nothing` };
  }
  return { ...withServed, status: "pass", message: `${flag}: fell back to the allowed ${describeServed(served)}` };
}

/** Check 1: the unauthenticated health endpoints (never `/health`, which calls every deployment). */
export function judgeHealth(path: "/health/liveliness" | "/health/readiness", res: GatewayResponse): CheckResult {
  const base = { name: `health ${path}`, kind: "health" as const, latencyMs: res.latencyMs };
  if (res.error !== undefined || !is2xx(res.status)) {
    return { ...base, ...(res.status ? { httpStatus: res.status } : {}), status: "fail", message: `${path}: ${httpProblem(res)}` };
  }
  if (path === "/health/readiness") {
    try {
      const body = JSON.parse(res.text) as { litellm_version?: unknown; status?: unknown };
      const version = typeof body.litellm_version === "string" ? body.litellm_version : undefined;
      const refuse = version ? judgeLitellmVersion(version).refuse : undefined;
      if (refuse) return { ...base, httpStatus: res.status, status: "fail", message: `the gateway runs a release that must never run: ${refuse}` };
      return { ...base, httpStatus: res.status, status: "pass", message: `ready${version ? `, LiteLLM ${version}` : ""}` };
    } catch {
      // readiness answers JSON; anything else is still an answer
    }
  }
  return { ...base, httpStatus: res.status, status: "pass", message: `${path} answered HTTP ${res.status}` };
}

/** Check 2: `/v1/models` lists exactly the route aliases (internal fallback groups are expected but reported). */
export function judgeModels(res: GatewayResponse, map: RouteMap): CheckResult[] {
  const base = { kind: "models" as const, latencyMs: res.latencyMs };
  if (res.error !== undefined || !is2xx(res.status)) {
    return [{ ...base, name: "models listed", ...(res.status ? { httpStatus: res.status } : {}), status: "fail", message: `/v1/models: ${httpProblem(res)}` }];
  }
  let ids: string[];
  try {
    const body = JSON.parse(res.text) as { data?: Array<{ id?: unknown }> };
    ids = (body.data ?? []).map((m) => String(m.id));
  } catch {
    return [{ ...base, name: "models listed", httpStatus: res.status, status: "fail", message: "/v1/models did not answer JSON" }];
  }
  const listed = new Set(ids);
  const aliases = map.routes.map((r) => r.alias);
  const internal = new Set(map.internalGroups);
  const missing = aliases.filter((a) => !listed.has(a));
  const unexpected = ids.filter((id) => !aliases.includes(id) && !internal.has(id)).sort();
  const internalListed = ids.filter((id) => internal.has(id)).sort();
  const checks: CheckResult[] = [
    missing.length
      ? { ...base, name: "models listed", httpStatus: res.status, status: "fail", message: `route aliases missing from /v1/models: ${missing.join(", ")}` }
      : { ...base, name: "models listed", httpStatus: res.status, status: "pass", message: `all ${aliases.length} route aliases are listed` },
  ];
  if (unexpected.length) {
    checks.push({ ...base, name: "models unexpected", httpStatus: res.status, status: "warn", message: `models the policy does not define: ${unexpected.join(", ")}` });
  }
  if (internalListed.length) {
    checks.push({
      ...base,
      name: "models internal",
      httpStatus: res.status,
      status: "fail",
      message: `internal fallback groups are listed: ${internalListed.join(", ")}; the front door (gatewayctl_auth) gives every key only route aliases (is the runtime an old build?)`,
    });
  }
  return checks;
}
