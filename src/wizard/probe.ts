import type { LocalType } from "./catalog.js";

/** What asking a local backend for its installed models found. */
export type ProbeResult =
  | { ok: true; url: string; models: string[] }
  | { ok: false; url: string; reason: string };

/** The URL listing the installed models: Ollama `GET /api/tags`, OpenAI-compatible `GET <base>/models` (base ends in /v1). */
export function modelListUrl(type: LocalType, baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, "");
  return type === "ollama" ? `${base}/api/tags` : `${base}/models`;
}

/** An OpenAI-compatible base URL given without a path gets `/v1` (what vLLM, llama.cpp and LM Studio serve). */
export function normaliseLocalUrl(type: LocalType, raw: string): string {
  const url = new URL(raw.trim());
  let path = url.pathname.replace(/\/+$/, "");
  if (type === "openai-compatible" && path === "") path = "/v1";
  return `${url.protocol}//${url.host}${path}`;
}

function namesFrom(type: LocalType, body: unknown): string[] | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const list = type === "ollama" ? (body as { models?: unknown }).models : (body as { data?: unknown }).data;
  if (!Array.isArray(list)) return undefined;
  const names: string[] = [];
  for (const item of list) {
    if (typeof item !== "object" || item === null) continue;
    const name = type === "ollama" ? ((item as { name?: unknown }).name ?? (item as { model?: unknown }).model) : (item as { id?: unknown }).id;
    if (typeof name === "string" && name.trim() !== "" && !names.includes(name)) names.push(name);
  }
  return names;
}

/** Asks the local backend which models it has. Never throws: an unreachable backend is a result, said plainly. */
export async function probeLocalBackend(type: LocalType, baseUrl: string, timeoutMs = 2500): Promise<ProbeResult> {
  const url = modelListUrl(type, baseUrl);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json" } });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const reason =
      e.name === "TimeoutError"
        ? `no answer within ${(timeoutMs / 1000).toFixed(1)} s`
        : e.cause?.code === "ECONNREFUSED"
          ? "connection refused (nothing listens there)"
          : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, url, reason };
  }
  if (!res.ok) {
    await res.body?.cancel();
    return { ok: false, url, reason: `HTTP ${res.status} ${res.statusText}`.trim() };
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return { ok: false, url, reason: "the answer is not JSON (is it the right kind of server?)" };
  }
  const models = namesFrom(type, body);
  if (!models) {
    return {
      ok: false,
      url,
      reason: type === "ollama" ? "the answer has no `models` list (is it Ollama?)" : "the answer has no `data` list (is it OpenAI-compatible?)",
    };
  }
  return { ok: true, url, models };
}
