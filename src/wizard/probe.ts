import type Dockerode from "dockerode";
import { localBuildImage, officialImage } from "../artifact/gateway.js";
import { DEFAULT_LITELLM_VERSION } from "../lib/versions.js";
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

/** Is this host name this machine's loopback? */
function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\./.test(h);
}

/**
 * The address a container reaches the Docker host at (host.docker.internal, Docker's host-gateway): the docker0
 * bridge's address when the machine has one, else its first other non-loopback IPv4 address.
 */
export async function dockerHostAddress(): Promise<string | undefined> {
  const { networkInterfaces } = await import("node:os");
  const ifaces = networkInterfaces();
  const v4 = (name: string) => (ifaces[name] ?? []).find((a) => a.family === "IPv4" && !a.internal)?.address;
  return v4("docker0") ?? Object.keys(ifaces).map(v4).find((a) => a !== undefined);
}

/**
 * With the Docker runtime, a backend on loopback is reached from the container as host.docker.internal, i.e. the
 * host's bridge address, not 127.0.0.1: a server listening on 127.0.0.1 only is unreachable from the gateway
 * (LiteLLM then reports "Cannot connect to host host.docker.internal"). Asks the backend at that address too and
 * says how to fix it. Lines for people; none when nothing is wrong or nothing can be told.
 */
export async function runtimeReachNotes(
  runtime: "docker" | "process",
  type: LocalType,
  url: string,
  probe: ProbeResult,
  hostAddress?: string,
  timeoutMs = 2500,
): Promise<string[]> {
  if (runtime !== "docker" || !probe.ok) return [];
  const parsed = new URL(url);
  if (!isLoopbackHost(parsed.hostname)) return [];
  const address = hostAddress ?? (await dockerHostAddress());
  if (!address) return [];
  const viaBridge = new URL(url);
  viaBridge.hostname = address;
  const fromContainer = await probeLocalBackend(type, viaBridge.toString().replace(/\/+$/, ""), timeoutMs);
  if (fromContainer.ok) return [];
  const port = parsed.port || (parsed.protocol === "https:" ? "443" : "80");
  return [
    `Warning: the gateway will run in Docker, where ${url} is reached as host.docker.internal (${address} on this machine),`,
    `but the local server answers only on ${parsed.hostname} (${fromContainer.url}: ${fromContainer.reason}). The gateway could not reach it.`,
    type === "ollama"
      ? `Fix: let Ollama listen on every address: OLLAMA_HOST=0.0.0.0:${port} (for the systemd service: systemctl edit ollama, add Environment="OLLAMA_HOST=0.0.0.0:${port}", then systemctl restart ollama),`
      : `Fix: start the server listening on 0.0.0.0 (e.g. --host 0.0.0.0) instead of 127.0.0.1,`,
    "or choose the process runtime (gateway.runtime: process), which reaches 127.0.0.1 directly.",
  ];
}

/** Which LiteLLM image the Docker runtime will use, and what to say about it. */
export interface ImageChoice {
  /** set when the policy should name an image other than the pinned official one */
  image?: string;
  notes: string[];
}

/**
 * With the Docker runtime: is the pinned official image on this host? If not, and the same release built locally by
 * scripts/build-litellm-image.sh is, that one is used; otherwise `start` will pull, which a host without ghcr.io
 * cannot. Never throws: an unreachable daemon is a note.
 */
export async function dockerImageChoice(version = DEFAULT_LITELLM_VERSION, pingTimeoutMs = 2500): Promise<ImageChoice> {
  const official = officialImage(version);
  const local = localBuildImage(version);
  let docker: Dockerode;
  try {
    const { connectDocker } = await import("../runtime/docker-connect.js");
    docker = await connectDocker(pingTimeoutMs);
  } catch (err) {
    return { notes: [`${(err as Error).message}; gatewayctl start needs the Docker daemon (or choose the process runtime).`] };
  }
  const present = (name: string) => docker.getImage(name).inspect().then(() => true, () => false);
  if (await present(official)) return { notes: [] };
  if (await present(local)) {
    return { image: local, notes: [`Using ${local}, the same LiteLLM release built on this host (${official} is not here); the policy names it as gateway.image.`] };
  }
  return {
    notes: [
      `${official} is not on this host yet: gatewayctl start pulls it from ghcr.io. A host that cannot reach ghcr.io builds`,
      `the same release with bash scripts/build-litellm-image.sh (in a gatewayctl checkout), then init uses ${local}.`,
    ],
  };
}
