/**
 * Health checks of a LiteLLM proxy. Only `/health/liveliness` and `/health/readiness` (both unauthenticated and
 * free) are called. Never `/health`: it sends a real, billed request to every deployment.
 */
import { OperationError } from "../lib/errors.js";

export interface HealthSnapshot {
  liveliness: boolean;
  readiness: boolean;
  /** the JSON body of /health/readiness when it answered */
  readinessBody?: Record<string, unknown>;
}

async function getOk(url: string, timeoutMs: number, headers?: Record<string, string>): Promise<{ ok: boolean; body?: unknown }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // liveliness answers a bare string
    }
    return { ok: res.ok, body };
  } catch {
    return { ok: false };
  }
}

/** One look at both endpoints (each with its own short timeout). */
export async function probeHealth(baseUrl: string, timeoutMs = 2_000): Promise<HealthSnapshot> {
  const live = await getOk(`${baseUrl}/health/liveliness`, timeoutMs);
  if (!live.ok) return { liveliness: false, readiness: false };
  const ready = await getOk(`${baseUrl}/health/readiness`, timeoutMs);
  const body = ready.body && typeof ready.body === "object" ? (ready.body as Record<string, unknown>) : undefined;
  const healthy = ready.ok && (body === undefined || body.status === undefined || body.status === "healthy" || body.status === "connected");
  return { liveliness: true, readiness: healthy, readinessBody: body };
}

/**
 * The LiteLLM version a running proxy reports: `/health/readiness` carries it when public details are allowed,
 * otherwise `/health/readiness/details` does for the master key. Undefined when neither says.
 */
export async function fetchLitellmVersion(baseUrl: string, masterKey?: string, readinessBody?: Record<string, unknown>): Promise<string | undefined> {
  const fromPublic = readinessBody?.litellm_version;
  if (typeof fromPublic === "string") return fromPublic;
  if (!masterKey) return undefined;
  const details = await getOk(`${baseUrl}/health/readiness/details`, 5_000, { Authorization: `Bearer ${masterKey}` });
  const v = details.ok && details.body && typeof details.body === "object" ? (details.body as Record<string, unknown>).litellm_version : undefined;
  return typeof v === "string" ? v : undefined;
}

export interface WaitForHealthOptions {
  baseUrl: string;
  timeoutMs: number;
  /** progress lines for a person */
  onProgress?: (line: string) => void;
  /** called between polls; return a reason to stop waiting (for example "LiteLLM exited with code 1") */
  checkAborted?: () => string | undefined;
  /** poll interval, default 250 ms */
  intervalMs?: number;
  /** seconds between progress lines, default 5 */
  progressEverySeconds?: number;
}

export interface WaitForHealthResult extends HealthSnapshot {
  elapsedMs: number;
}

/** Why waiting stopped without a healthy gateway. */
export class HealthWaitError extends OperationError {
  readonly reason: "timeout" | "aborted";
  constructor(message: string, reason: "timeout" | "aborted") {
    super(message, { code: reason === "timeout" ? "HEALTH_TIMEOUT" : "GATEWAY_EXITED" });
    this.reason = reason;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until liveliness, then readiness, answer; progress lines on the way; throws HealthWaitError. */
export async function waitForHealth(options: WaitForHealthOptions): Promise<WaitForHealthResult> {
  const { baseUrl, timeoutMs, onProgress } = options;
  const interval = options.intervalMs ?? 250;
  const every = (options.progressEverySeconds ?? 5) * 1000;
  const started = Date.now();
  let nextProgress = started + every;
  let last: HealthSnapshot = { liveliness: false, readiness: false };
  let livelinessSeen = false;
  onProgress?.(`waiting for LiteLLM at ${baseUrl} (/health/liveliness, then /health/readiness; timeout ${Math.round(timeoutMs / 1000)}s)`);
  for (;;) {
    const aborted = options.checkAborted?.();
    if (aborted) throw new HealthWaitError(aborted, "aborted");
    const remaining = timeoutMs - (Date.now() - started);
    last = await probeHealth(baseUrl, Math.max(250, Math.min(2_000, remaining)));
    const elapsed = Date.now() - started;
    if (last.liveliness && !livelinessSeen) {
      livelinessSeen = true;
      onProgress?.(`  liveliness ok after ${(elapsed / 1000).toFixed(1)}s`);
    }
    if (last.liveliness && last.readiness) {
      onProgress?.(`  readiness ok after ${(elapsed / 1000).toFixed(1)}s`);
      return { ...last, elapsedMs: elapsed };
    }
    if (elapsed >= timeoutMs) {
      const which = last.liveliness ? "/health/readiness" : "/health/liveliness";
      throw new HealthWaitError(`LiteLLM did not become ready within ${Math.round(timeoutMs / 1000)}s (${which} did not answer ok)`, "timeout");
    }
    if (Date.now() >= nextProgress) {
      onProgress?.(`  still waiting... ${Math.round(elapsed / 1000)}s (liveliness ${last.liveliness ? "ok" : "not yet"}, readiness ${last.readiness ? "ok" : "not yet"})`);
      nextProgress += every;
    }
    await sleep(Math.min(interval, Math.max(0, timeoutMs - elapsed)));
  }
}
