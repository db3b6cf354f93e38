/**
 * Request timeouts on the REAL LiteLLM 1.108.7 (process runtime): a local backend that accepts a request and never
 * answers. Without a timeout LiteLLM waits 6,000 s; with the lane's timeout a local-first route falls back to its
 * approved cloud model on time, and a local-only route fails closed on time without the cloud seeing anything.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../support/cli.js";
import { requireLitellm } from "../support/litellm.js";
import { freePort } from "../support/net.js";
import { startRecordingCloud, startRecordingOllama, type RecordingBackend } from "../support/recording-backends.js";

const TIMEOUT_SECONDS = 3;
/** what a request may take beyond the timeout: LiteLLM's own bookkeeping and the fallback's answer on 2 busy cores */
const MARGIN_MS = 7_000;
const KEY = "sk-timeouts-client-1f9a2c4e77b0";
const env = { LITELLM_MASTER_KEY: "sk-timeouts-master-5d0b7e3c91aa", APP_KEY: KEY, CLOUD_API_KEY: "sk-cloud-recorder-timeouts-0c2e" };

let ollama: RecordingBackend;
let cloud: RecordingBackend;
let policyFile: string;
let port: number;
let cleanup: () => Promise<void>;

async function ask(model: string, content: string): Promise<{ status: number; modelId: string | null; ms: number; text: string }> {
  const t0 = Date.now();
  const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content }], max_tokens: 4 }),
    // far beyond timeout + margin: a gateway without a timeout fails the assertion instead of hanging the suite
    signal: AbortSignal.timeout(45_000),
  }).catch((err: Error) => {
    throw new Error(`no answer after ${Date.now() - t0} ms (${err.message}): the gateway holds a hung backend's request`);
  });
  return { status: res.status, modelId: res.headers.get("x-litellm-model-id"), ms: Date.now() - t0, text: await res.text() };
}

beforeAll(async () => {
  await requireLitellm();
  let dir: string;
  ({ dir, cleanup } = await tempDir("gatewayctl-timeouts-"));
  ollama = await startRecordingOllama();
  cloud = await startRecordingCloud();
  port = await freePort();
  policyFile = join(dir, "gateway.policy.yaml");
  await writeFile(
    policyFile,
    stringify({
      version: 1,
      gateway: { port, runtime: "process" },
      runtime: { dir: "./runtime" },
      backends: {
        ollama: { type: "ollama", url: ollama.url, location: "local" },
        cloud: { type: "openai-compatible", url: cloud.url, location: "cloud", apiKey: { secret: "CLOUD_API_KEY" } },
      },
      models: {
        llama: { backend: "ollama", name: "llama3.1:8b" },
        mini: { backend: "cloud", name: "gpt-4o-mini", price: { input: 0.15, output: 0.6 } },
      },
      lanes: {
        private: { privacy: "local-only", description: "Private records, never in the cloud", timeoutSeconds: TIMEOUT_SECONDS },
        routine: { privacy: "local-first", description: "Drafting: local first, an approved cloud fallback", timeoutSeconds: 60 },
      },
      routes: {
        "secure-core": { lane: "private", model: "llama" },
        // the route's own timeout overrides its lane's
        "routine-router": { lane: "routine", model: "llama", fallbacks: ["mini"], timeoutSeconds: TIMEOUT_SECONDS },
      },
      clients: { app: { key: { secret: "APP_KEY" }, routes: ["secure-core", "routine-router"] } },
    }),
  );
  const built = await runCli(["build", "--policy", policyFile], { env });
  expect(built.exitCode, built.stderr).toBe(0);
  const started = await runCli(["start", "--policy", policyFile, "--timeout", "180"], { env, timeout: 240_000 });
  expect(started.exitCode, started.stderr).toBe(0);
  // warm up on a healthy backend, so the figures below are the timeout's and not LiteLLM's first-request setup
  const warm = await ask("routine-router", "warm up");
  expect(warm.status, warm.text).toBe(200);
  // from now on the local backend accepts every request and never answers
  ollama.setDelay(3_600_000);
  ollama.clear();
  cloud.clear();
}, 300_000);

afterAll(async () => {
  if (policyFile) await runCli(["stop", "--policy", policyFile], { env });
  await ollama?.stop();
  await cloud?.stop();
  await cleanup?.();
});

describe("request timeouts with a hung local backend", () => {
  it("a local-first route falls back to its approved cloud model within the timeout plus a margin", async () => {
    const answer = await ask("routine-router", "routine draft while the local server hangs");
    expect(answer.status, answer.text).toBe(200);
    expect(answer.modelId).toBe("gw-fallback-mini:mini");
    expect(answer.ms).toBeGreaterThanOrEqual(TIMEOUT_SECONDS * 1000 - 250);
    expect(answer.ms, `answered after ${answer.ms} ms`).toBeLessThan(TIMEOUT_SECONDS * 1000 + MARGIN_MS);
    // the hung primary was tried once, not retried before falling back
    expect(ollama.modelCalls().length).toBe(1);
    expect(cloud.modelCalls().length).toBe(1);
  }, 60_000);

  it("a local-only route fails closed within the timeout plus a margin; the cloud sees nothing", async () => {
    cloud.clear();
    const canary = `PRIVATE-CANARY-timeout-${Date.now()}`;
    const answer = await ask("secure-core", canary);
    expect(answer.status, answer.text).toBeGreaterThanOrEqual(400);
    expect(answer.modelId).toBeNull();
    expect(answer.ms, `failed after ${answer.ms} ms`).toBeLessThan(TIMEOUT_SECONDS * 1000 + MARGIN_MS);
    expect(answer.text).toMatch(/timed? ?out|timeout/i);
    expect(cloud.requests).toEqual([]);
  }, 60_000);
});
