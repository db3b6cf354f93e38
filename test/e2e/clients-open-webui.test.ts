/**
 * The real Open WebUI (PyPI open-webui, run as its slim build runs: USE_SLIM_DOCKER=true) in front of the real
 * LiteLLM gateway, configured only from the `open-webui.env` that `gatewayctl build` wrote, with the client's own key
 * filled in as its header says. Open WebUI's own API is driven the way its UI drives it: sign up the first (admin)
 * user, list models, chat, and generate a chat title, which Open WebUI sends to its task model. Backends are
 * recording HTTP servers; Open WebUI comes from scripts/setup-clients.sh.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../support/cli.js";
import { OPEN_WEBUI_BIN, requireOpenWebUi } from "../support/clients.js";
import { requireLitellm } from "../support/litellm.js";
import { freePort } from "../support/net.js";
import { startRecordingCloud, startRecordingOllama, type RecordingBackend } from "../support/recording-backends.js";

const KEYS = {
  LITELLM_MASTER_KEY: "sk-master-open-webui-000000000000",
  OPEN_WEBUI_KEY: "sk-open-webui-client-0000000000000",
  SCRIPTS_KEY: "sk-scripts-open-webui-00000000000",
  CLOUD_API_KEY: "sk-cloud-open-webui-0000000000000",
};
const PRIVATE_MARK = "PRIVATE-DIAGNOSIS-51c0e2";

let dir: string;
let cleanup: () => Promise<void>;
let ollama: RecordingBackend;
let cloud: RecordingBackend;
let policyFile: string;
let webui: ResultPromise | undefined;
let webuiUrl: string;
let token: string;
let envFile: Record<string, string>;

/** `docker run --env-file` semantics: KEY=VALUE lines taken literally, comments and blank lines skipped. */
function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

async function api(path: string, init: { method?: string; body?: unknown; auth?: boolean } = {}): Promise<{ status: number; body: any }> {
  const r = await fetch(`${webuiUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json", ...(init.auth === false ? {} : { authorization: `Bearer ${token}` }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, body };
}

const mentions = (backend: RecordingBackend, mark: string): number => backend.modelCalls().filter((c) => JSON.stringify(c.body).includes(mark)).length;

beforeAll(async () => {
  requireOpenWebUi();
  await requireLitellm();
  ({ dir, cleanup } = await tempDir("gatewayctl-open-webui-"));
  ollama = await startRecordingOllama({ models: ["llama3.1:8b"], reply: "hello from the local model" });
  cloud = await startRecordingCloud({ models: ["gpt-4o-mini"], reply: "hello from the cloud" });
  const port = await freePort();
  policyFile = join(dir, "gateway.policy.yaml");
  await writeFile(
    policyFile,
    stringify({
      version: 1,
      gateway: { port, bind: "127.0.0.1", runtime: "process" },
      secrets: { provider: "env" },
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
        private: { privacy: "local-only", description: "Private work, never leaves the machine" },
        routine: { privacy: "local-first", description: "Everyday chat, local first, cloud fallback" },
        web: { privacy: "cloud-allowed", description: "Web research" },
        coding: { privacy: "local-only", description: "Code" },
      },
      routes: {
        "secure-core": { lane: "private", model: "llama" },
        "routine-router": { lane: "routine", model: "llama", fallbacks: ["mini"] },
        "web-model": { lane: "web", model: "mini" },
        coding: { lane: "coding", model: "llama" },
      },
      clients: {
        "open-webui": { key: { secret: "OPEN_WEBUI_KEY" }, lanes: ["private", "routine", "web"] },
        scripts: { key: { secret: "SCRIPTS_KEY" }, routes: ["coding"] },
      },
    }),
  );
  const built = await runCli(["build", "--policy", policyFile], { env: KEYS });
  expect(built.exitCode, built.stderr).toBe(0);
  const started = await runCli(["start", "--policy", policyFile, "--timeout", "180"], { env: KEYS, timeout: 240_000 });
  expect(started.exitCode, started.stderr).toBe(0);

  // the user's one step: the client's own key into the file, where its header says
  const generated = await readFile(join(dir, "generated", "clients", "open-webui.env"), "utf8");
  expect(generated).toMatch(/value of OPEN_WEBUI_KEY\)/);
  envFile = parseEnvFile(generated.replace(/^OPENAI_API_KEY=$/m, `OPENAI_API_KEY=${KEYS.OPEN_WEBUI_KEY}`));

  const webuiPort = await freePort();
  webuiUrl = `http://127.0.0.1:${webuiPort}`;
  webui = execa(OPEN_WEBUI_BIN, ["serve", "--host", "127.0.0.1", "--port", String(webuiPort)], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      LANG: "C.UTF-8",
      ...envFile,
      DATA_DIR: join(dir, "open-webui-data"),
      USE_SLIM_DOCKER: "true",
      OFFLINE_MODE: "true",
      HF_HUB_OFFLINE: "1",
      WEBUI_SECRET_KEY: "open-webui-test-session-secret",
      ENABLE_VERSION_UPDATE_CHECK: "false",
      // nothing listens there: with ENABLE_OLLAMA_API=false Open WebUI must not need it
      OLLAMA_BASE_URL: "http://127.0.0.1:9",
    },
    extendEnv: false,
    reject: false,
    all: true,
  });
  const deadline = Date.now() + 180_000;
  for (;;) {
    const ok = await fetch(`${webuiUrl}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (webui.exitCode !== null || Date.now() > deadline) {
      webui.kill("SIGKILL");
      throw new Error(`Open WebUI did not come up:\n${(await webui).all?.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const signup = await api("/api/v1/auths/signup", { auth: false, body: { name: "Admin", email: "admin@example.com", password: "a-long-test-password-1" } });
  expect(signup.status, JSON.stringify(signup.body)).toBe(200);
  token = signup.body.token;
}, 480_000);

afterAll(async () => {
  webui?.kill("SIGTERM");
  await webui?.catch(() => undefined);
  if (policyFile) await runCli(["stop", "--policy", policyFile], { env: KEYS });
  await ollama?.stop();
  await cloud?.stop();
  await cleanup?.();
});

describe("Open WebUI configured only from open-webui.env", () => {
  it("its model picker lists exactly the client's aliases: no other client's alias, no gw-fallback group, no direct Ollama", async () => {
    const models = await api("/api/models");
    expect(models.status).toBe(200);
    const ids = (models.body.data as Array<{ id: string }>).map((m) => m.id).sort();
    expect(ids).toEqual(["routine-router", "secure-core", "web-model"]);
    const ollamaConfig = await api("/ollama/config");
    expect(ollamaConfig.body.ENABLE_OLLAMA_API).toBe(false);
    const config = await api("/api/config");
    expect(config.body.default_models).toBe(envFile.DEFAULT_MODELS);
  });

  it("a chat on the everyday alias is answered by the local model through the gateway", async () => {
    const r = await api("/api/chat/completions", {
      body: { model: "routine-router", stream: false, messages: [{ role: "user", content: "an everyday question ROUTINE-7a1" }] },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.choices[0].message.content).toBe("hello from the local model");
    expect(mentions(ollama, "ROUTINE-7a1")).toBe(1);
    expect(mentions(cloud, "ROUTINE-7a1")).toBe(0);
  });

  it("the title of a chat held on a cloud alias is written by the local-only task model: the chat's text never reaches the cloud", async () => {
    // the cloud path is live: the chat itself, on the cloud-allowed alias, goes to the cloud recorder
    const chat = await api("/api/chat/completions", { body: { model: "web-model", stream: false, messages: [{ role: "user", content: "web research WEB-93b" }] } });
    expect(chat.status, JSON.stringify(chat.body)).toBe(200);
    expect(mentions(cloud, "WEB-93b")).toBe(1);

    // the title task reads the whole chat, here one with private text in it
    expect(envFile.TASK_MODEL_EXTERNAL).toBe("secure-core");
    const localBefore = mentions(ollama, PRIVATE_MARK);
    const title = await api("/api/v1/tasks/title/completions", {
      body: {
        model: "web-model",
        messages: [
          { role: "user", content: `my test results ${PRIVATE_MARK}: what do they mean?` },
          { role: "assistant", content: "hello from the cloud" },
        ],
      },
    });
    expect(title.status, JSON.stringify(title.body)).toBe(200);
    expect(mentions(ollama, PRIVATE_MARK)).toBe(localBefore + 1);
    expect(mentions(cloud, PRIVATE_MARK)).toBe(0);
  });
});
