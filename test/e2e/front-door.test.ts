/**
 * The front door on the REAL LiteLLM 1.108.7 (process runtime, .venv-litellm): every class of request that reached a
 * cloud backend around the pre-call hook (reference §3b, the front-door issue), sent by a client key and by the master
 * key, with the local backend up and then down. Two recording servers stand in for the model servers; an egress
 * recorder given to LiteLLM as HTTP(S)_PROXY stands in for the way out to the internet. Neither may see a private
 * prompt's canary, and the egress recorder no attempt at all.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProbeReport } from "../../src/probe/types.js";
import { runCli, tempDir } from "../support/cli.js";
import { startEgressRecorder, type EgressRecorder } from "../support/egress-recorder.js";
import { requireLitellm } from "../support/litellm.js";
import { freePort } from "../support/net.js";
import { startRecordingCloud, startRecordingOllama, type RecordingBackend } from "../support/recording-backends.js";

const MASTER_KEY = "sk-front-door-master-2b9c7e11f0a4";
const APP_KEY = "sk-front-door-app-client-77d0c3a9e5";
const PRIVATE_KEY = "sk-front-door-private-client-4e1f8b2d60";
const CLOUD_KEY = "sk-cloud-recorder-front-door-5a0e";
const OPENAI_KEY = "sk-openai-never-used-by-the-gateway-9f3";

let ollama: RecordingBackend;
let cloud: RecordingBackend;
let egress: EgressRecorder;
let dir: string;
let cleanup: () => Promise<void>;
let policyFile: string;
let port: number;
let env: Record<string, string>;
let egressBefore = 0;

const gateway = (): string => `http://127.0.0.1:${port}`;

interface Answer {
  status: number;
  text: string;
  modelId: string | null;
}

async function send(path: string, key: string | undefined, body?: unknown, init: { method?: string; headers?: Record<string, string>; form?: FormData } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${gateway()}${path}`, {
    method: init.method ?? (body !== undefined || init.form ? "POST" : "GET"),
    headers,
    ...(init.form ? { body: init.form } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, text: await res.text(), modelId: res.headers.get("x-litellm-model-id") };
}

const canary = (what: string): string => `PRIVATE-CANARY-${what}-${randomBytes(6).toString("hex")}`;
const ask = (content: string) => [{ role: "user", content }];

/** Every class of the front-door issue: path, body, and whose key sends it. */
function attacks(key: string): Array<{ name: string; run: () => Promise<Answer>; mark: string }> {
  const list: Array<{ name: string; path: string; body?: unknown; init?: { method?: string; headers?: Record<string, string>; form?: FormData } }> = [];
  const m = (name: string) => canary(name.replace(/\W+/g, "_"));
  const marks = new Map<string, string>();
  const add = (name: string, path: string, body: (mark: string) => unknown, init?: { method?: string; headers?: Record<string, string> }) => {
    const mark = m(name);
    marks.set(name, mark);
    list.push({ name, path, body: body(mark), ...(init ? { init } : {}) });
  };
  // 1. endpoints that never run the pre-call hook
  add("queue with body fallbacks", "/queue/chat/completions", (c) => ({ model: "secure-core", fallbacks: ["web-model"], messages: ask(c) }));
  add("openai pass-through", "/openai/chat/completions", (c) => ({ model: "gpt-4o-mini", messages: ask(c) }));
  add("openai pass-through v1", "/openai/v1/chat/completions", (c) => ({ model: "gpt-4o-mini", messages: ask(c) }));
  add("anthropic pass-through", "/anthropic/v1/messages", (c) => ({ model: "claude-sonnet-4-5", max_tokens: 4, messages: ask(c) }));
  add("policy templates", "/policy/templates/test", (c) => ({ model: "secure-core", messages: ask(c) }));
  add("usage ai chat to any URL", "/usage/ai/chat", (c) => ({ model: `oobabooga/${cloud.url}`, messages: ask(c) }));
  // 2. the model in the URL beats the model in the body
  add("query model", "/v1/chat/completions?model=web-model", (c) => ({ model: "secure-core", messages: ask(c) }));
  add("engines path model", "/engines/web-model/chat/completions", (c) => ({ model: "secure-core", messages: ask(c) }));
  add("azure deployments path model", "/openai/deployments/web-model/chat/completions", (c) => ({ model: "secure-core", messages: ask(c) }));
  // 4. present but empty
  add("provider-prefixed cloud alias with empty api_key", "/v1/chat/completions", (c) => ({ model: "openai/web-model", api_key: "", messages: ask(c) }));
  add("provider-prefixed local-first alias with empty api_key", "/v1/chat/completions", (c) => ({ model: "openai/routine-router", api_key: "", messages: ask(c) }));
  add("protected alias with empty api_base", "/v1/chat/completions", (c) => ({ model: "routine-router", api_base: "", messages: ask(c) }));
  // other classes the door keeps shut
  add("batches", "/v1/batches", (c) => ({ input_file_id: c, endpoint: "/v1/chat/completions", completion_window: "24h" }));
  add("key management", "/key/generate", (c) => ({ key_alias: c }));
  add("model management", "/model/new", (c) => ({ model_name: "secure-core", litellm_params: { model: "openai/gpt-4o-mini", api_base: cloud.url, api_key: c } }));
  const out = list.map((a) => ({ name: a.name, mark: marks.get(a.name)!, run: () => send(a.path, key, a.body, a.init ?? {}) }));
  // 3. files and batches: a batch file whose records name the local-only alias, uploaded to a cloud deployment
  const fileMark = m("files");
  out.push({
    name: "files upload to a cloud model",
    mark: fileMark,
    run: () => {
      const form = new FormData();
      form.append("purpose", "batch");
      form.append("model", "web-model");
      const record = JSON.stringify({ custom_id: "1", method: "POST", url: "/v1/chat/completions", body: { model: "secure-core", messages: ask(fileMark) } });
      form.append("file", new Blob([`${record}\n`], { type: "application/jsonl" }), "batch.jsonl");
      return send("/v1/files?model=web-model", key, undefined, { form, headers: { "x-litellm-model": "web-model" } });
    },
  });
  return out;
}

function expectRefusedEverywhere(results: Array<{ name: string; answer: Answer }>): void {
  for (const { name, answer } of results) {
    expect([401, 403, 404], `${name}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`).toContain(answer.status);
    expect(answer.modelId, name).toBeNull();
  }
}

function expectNothingLeft(marks: string[]): void {
  const seen = JSON.stringify(cloud.requests);
  for (const mark of marks) expect(seen.includes(mark), `the cloud recorder received ${mark}`).toBe(false);
  expect(egress.attempts.slice(egressBefore), "the gateway tried to reach the internet").toEqual([]);
}

beforeAll(async () => {
  await requireLitellm();
  ({ dir, cleanup } = await tempDir("gatewayctl-front-door-"));
  ollama = await startRecordingOllama();
  cloud = await startRecordingCloud();
  egress = await startEgressRecorder();
  port = await freePort();
  policyFile = join(dir, "gateway.policy.yaml");
  await import("node:fs/promises").then((fs) =>
    fs.writeFile(
      policyFile,
      stringify({
        version: 1,
        gateway: { port, bind: "127.0.0.1", runtime: "process" },
        secrets: { provider: "env" },
        runtime: { dir: "./runtime" },
        backends: {
          ollama: { type: "ollama", url: ollama.url, location: "local" },
          cloud: { type: "openai-compatible", url: cloud.url, location: "cloud", apiKey: { secret: "CLOUD_API_KEY" } },
          // a real vendor under its well-known key name: reachable only through the egress recorder
          openai: { type: "openai", location: "cloud", apiKey: { secret: "OPENAI_API_KEY" } },
        },
        models: {
          llama: { backend: "ollama", name: "llama3.1:8b" },
          mini: { backend: "cloud", name: "gpt-4o-mini", price: { input: 0.15, output: 0.6 } },
          gpt: { backend: "openai", name: "gpt-4o", price: { input: 2.5, output: 10 } },
        },
        lanes: {
          private: { privacy: "local-only", description: "Private records" },
          routine: { privacy: "local-first", description: "Drafting" },
          web: { privacy: "cloud-allowed", description: "Web research" },
        },
        routes: {
          "secure-core": { lane: "private", model: "llama" },
          "routine-router": { lane: "routine", model: "llama", fallbacks: ["mini"] },
          "web-model": { lane: "web", model: "mini" },
          "openai-direct": { lane: "web", model: "gpt" },
        },
        clients: {
          app: { key: { secret: "APP_KEY" }, routes: ["routine-router", "web-model"] },
          private: { key: { secret: "PRIVATE_KEY" }, lanes: ["private"] },
        },
      }),
    ),
  );
  env = { LITELLM_MASTER_KEY: MASTER_KEY, APP_KEY, PRIVATE_KEY, CLOUD_API_KEY: CLOUD_KEY, OPENAI_API_KEY: OPENAI_KEY, ...egress.env };
  const built = await runCli(["build", "--policy", policyFile], { env });
  expect(built.exitCode, built.stderr).toBe(0);
  const started = await runCli(["start", "--policy", policyFile, "--timeout", "180"], { env, timeout: 240_000 });
  expect(started.exitCode, started.stderr).toBe(0);
  egressBefore = egress.attempts.length;
}, 300_000);

afterAll(async () => {
  if (policyFile) await runCli(["stop", "--policy", policyFile], { env });
  await ollama?.stop();
  await cloud?.stop();
  await egress?.close();
  await cleanup?.();
});

describe("the front door on the real LiteLLM", () => {
  it("gives the gateway no secret under its well-known name: only gatewayctl's own variables", async () => {
    const state = JSON.parse(await readFile(join(dir, "runtime.state", "process.json"), "utf8")) as { pid: number };
    const environ = (await readFile(`/proc/${state.pid}/environ`, "utf8")).split("\0");
    const names = environ.map((e) => e.split("=")[0]);
    for (const wellKnown of ["OPENAI_API_KEY", "CLOUD_API_KEY", "LITELLM_MASTER_KEY", "APP_KEY", "PRIVATE_KEY", "ANTHROPIC_API_KEY"]) expect(names).not.toContain(wellKnown);
    expect(names).toEqual(expect.arrayContaining(["GATEWAYCTL_SECRET_OPENAI_API_KEY", "GATEWAYCTL_SECRET_APP_KEY", "GATEWAYCTL_SECRET_LITELLM_MASTER_KEY"]));
  });

  it("admits each client key with exactly its aliases; refuses others, unknown and missing keys", async () => {
    const models = async (key: string) => ((JSON.parse((await send("/v1/models", key)).text) as { data: Array<{ id: string }> }).data.map((d) => d.id).sort());
    expect(await models(APP_KEY)).toEqual(["routine-router", "web-model"]);
    expect(await models(PRIVATE_KEY)).toEqual(["secure-core"]);
    // the master key sees route aliases only, never an internal gw-fallback-* group
    expect(await models(MASTER_KEY)).toEqual(["openai-direct", "routine-router", "secure-core", "web-model"]);

    const ok = await send("/v1/chat/completions", APP_KEY, { model: "routine-router", messages: ask("hello"), max_tokens: 4 });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.modelId).toBe("routine-router:llama");
    const priv = await send("/v1/chat/completions", PRIVATE_KEY, { model: "secure-core", messages: ask("hello"), max_tokens: 4 });
    expect(priv.status, priv.text).toBe(200);
    expect(priv.modelId).toBe("secure-core:llama");

    const outside = await send("/v1/chat/completions", PRIVATE_KEY, { model: "web-model", messages: ask(canary("outside")) });
    expect(outside.status, outside.text).toBe(403);
    const outside2 = await send("/v1/chat/completions", APP_KEY, { model: "secure-core", messages: ask(canary("outside2")) });
    expect(outside2.status, outside2.text).toBe(403);
    expect((await send("/v1/models", "sk-not-a-key-of-this-gateway-000000")).status).toBe(401);
    expect((await send("/v1/models", undefined)).status).toBe(401);
    // the master key is gatewayctl's: only what gatewayctl calls
    const masterMessages = await send("/v1/messages", MASTER_KEY, { model: "secure-core", max_tokens: 4, messages: ask("hi") });
    expect(masterMessages.status, masterMessages.text).toBe(403);
    // health stays public
    expect((await send("/health/liveliness", undefined)).status).toBe(200);
  });

  for (const who of ["client", "master"] as const) {
    it(`refuses every class of crafted request sent with the ${who} key; nothing reaches the cloud or the internet`, async () => {
      const key = who === "client" ? APP_KEY : MASTER_KEY;
      const list = attacks(key);
      const results = [];
      for (const a of list) results.push({ name: a.name, answer: await a.run() });
      expectRefusedEverywhere(results);
      expectNothingLeft(list.map((a) => a.mark));
    }, 120_000);
  }

  it("with the local backend down: the same, private work fails closed, local-first falls back only to its approved model", async () => {
    await ollama.stop();
    try {
      const list = [...attacks(APP_KEY), ...attacks(PRIVATE_KEY)];
      const results = [];
      for (const a of list) results.push({ name: a.name, answer: await a.run() });
      expectRefusedEverywhere(results);
      const privateMark = canary("secure-core-down");
      const closed = await send("/v1/chat/completions", PRIVATE_KEY, { model: "secure-core", messages: ask(privateMark), max_tokens: 4 });
      expect(closed.status).toBeGreaterThanOrEqual(500);
      expect(closed.modelId).toBeNull();
      expectNothingLeft([...list.map((a) => a.mark), privateMark]);
      const approved = await send("/v1/chat/completions", APP_KEY, { model: "routine-router", messages: ask("fallback ok"), max_tokens: 4 });
      expect(approved.status, approved.text).toBe(200);
      expect(approved.modelId).toBe("gw-fallback-mini:mini");
    } finally {
      await ollama.restart();
    }
  }, 180_000);

  it("test-routes probes the door for every client key and for the master key", async () => {
    const r = await runCli(["test-routes", "--policy", policyFile, "--json"], { env, timeout: 180_000 });
    const report = JSON.parse(r.stdout) as ProbeReport;
    const door = report.checks.filter((c) => c.kind === "door");
    expect(door.filter((c) => c.status !== "pass"), JSON.stringify(door, null, 1)).toEqual([]);
    const names = door.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "door unknown key",
        "door client app models",
        "door client app outside alias",
        "door client private models",
        "door master key queue",
        "door master key provider pass-through",
        "door client app files",
      ]),
    );
    // the one route on a real vendor cannot be served here (the egress recorder refuses the way out): its failure is
    // the only one, and it is a failed route, not a door
    expect(report.checks.filter((c) => c.status === "fail").map((c) => c.name)).toEqual(["route openai-direct"]);
  }, 200_000);

  it("audit refuses a build whose config lost the front door or opened pass-through endpoints, naming each", async () => {
    const generated = join(dir, "generated", "config.yaml");
    const text = await readFile(generated, "utf8");
    const { parse } = await import("yaml");
    const config = parse(text) as Record<string, Record<string, unknown>>;
    delete config.general_settings!.custom_auth;
    config.general_settings!.pass_through_endpoints = [{ path: "/x", target: "https://api.openai.com/v1/chat/completions" }];
    const { writeFile, mkdir, cp } = await import("node:fs/promises");
    const edited = join(dir, "edited");
    await mkdir(edited, { recursive: true });
    await cp(join(dir, "generated"), edited, { recursive: true });
    await writeFile(join(edited, "config.yaml"), stringify(config));
    const audit = await runCli(["audit", join(edited, "config.yaml")], { env });
    expect(audit.exitCode).toBe(1);
    expect(audit.stdout).toContain("does not load the front door");
    expect(audit.stdout).toContain("general_settings.pass_through_endpoints");
  });
});
