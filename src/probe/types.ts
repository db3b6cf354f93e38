import type { Location } from "../artifact/types.js";
import type { Privacy } from "../policy/schema.js";

/** What test-routes checks, in the order a person reads them. */
export type CheckKind = "config" | "health" | "models" | "route" | "privacy" | "door" | "drill";

/** pass: fine. warn: worth a look, not a failure. fail: a violation or a broken route (exit 1). */
export type CheckStatus = "pass" | "warn" | "fail";

/** The deployment that answered, read only from LiteLLM's response headers. */
export interface ServedBy {
  /** `x-litellm-model-id` */
  deploymentId?: string;
  /** `x-litellm-model-api-base` */
  apiBase?: string;
  /** `x-litellm-attempted-fallbacks` */
  attemptedFallbacks?: number;
  /** location of that deployment in the route map; unknown when the id is not in it */
  location: Location | "unknown";
  /** `x-litellm-response-cost`, USD */
  costUsd?: number;
}

export interface CheckResult {
  /** stable, unique name, for example `route secure-core` or `privacy secure-core client-fallbacks` */
  name: string;
  kind: CheckKind;
  route?: string;
  status: CheckStatus;
  message: string;
  httpStatus?: number;
  latencyMs?: number;
  servedBy?: ServedBy;
}

/** One line of the table a person reads: a route and what served its test prompt. */
export interface RouteRow {
  alias: string;
  lane: string;
  privacy: Privacy;
  /** "untested": no prompt reached the route (the gateway did not answer) */
  status: CheckStatus | "untested";
  servedBy?: string;
  location?: Location | "unknown";
  latencyMs?: number;
  costUsd?: number;
}

export interface ProbeReport {
  ok: boolean;
  baseUrl: string;
  routes: RouteRow[];
  checks: CheckResult[];
  counts: Record<CheckStatus, number>;
  durationMs: number;
  drill?: { baseUrl: string; startedMs: number; stopped: boolean };
}

/** Result of one HTTP request to the gateway. `error` is set when no HTTP answer arrived at all. */
export interface GatewayResponse {
  status: number;
  headers: Headers;
  text: string;
  latencyMs: number;
  error?: string;
}
