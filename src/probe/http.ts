import type { GatewayResponse } from "./types.js";

export interface GatewayRequest {
  method?: "GET" | "POST";
  path: string;
  key?: string;
  body?: unknown;
  timeoutMs: number;
}

/** One request to the gateway. Never throws for HTTP or network failures: they come back as `error`/`status`. */
export async function requestGateway(baseUrl: string, req: GatewayRequest): Promise<GatewayResponse> {
  const started = performance.now();
  const headers: Record<string, string> = {};
  if (req.key) headers.authorization = `Bearer ${req.key}`;
  if (req.body !== undefined) headers["content-type"] = "application/json";
  try {
    const res = await fetch(`${baseUrl.replace(/\/+$/, "")}${req.path}`, {
      method: req.method ?? (req.body === undefined ? "GET" : "POST"),
      headers,
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const reason =
      e.name === "TimeoutError" || e.name === "AbortError"
        ? `no answer within ${req.timeoutMs} ms`
        : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { status: 0, headers: new Headers(), text: "", latencyMs: Math.round(performance.now() - started), error: reason };
  }
}

/** The error message inside a LiteLLM error body, else the start of the body. */
export function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; detail?: unknown };
    const err = parsed.error;
    if (typeof err === "string") return err;
    if (err && typeof err.message === "string") return err.message;
  } catch {
    // not JSON
  }
  return text.trim().slice(0, 300);
}

/** Run `fn` over `items` with at most `limit` at a time; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
