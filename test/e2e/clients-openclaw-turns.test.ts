/**
 * Real OpenClaw 2026.9.6 agent turns (`openclaw agent --local`) against the real LiteLLM gateway, configured only from
 * `gatewayctl build`'s openclaw.json: the default agent answers; the private agent answers from the local model only
 * (its own key admits local-only aliases) with no Docker sandbox needed, also with a stale per-agent models.json
 * planted that points at the cloud; with the local model failing, the private turn fails and the cloud recorder
 * still has nothing. And `clients openclaw --check` reports Docker and the sandbox image.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import JSON5 from "json5";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../support/cli.js";
import { requireLitellm } from "../support/litellm.js";
import { freePort } from "../support/net.js";
import { OPENCLAW_BIN, OPENCLAW_NODE, requireOpenClaw } from "../support/openclaw.js";
import { startRecordingCloud, startRecordingOllama, type RecordingBackend } from "../support/recording-backends.js";

const KEYS = {
  LITELLM_MASTER_KEY: "sk-master-openclaw-turns-000000000",
  OPENCLAW_KEY: "sk-openclaw-turns-main-00000000000",
  OPENCLAW_PRIVATE_KEY: "sk-openclaw-turns-private-00000000",
  CLOUD_API_KEY: "sk-cloud-openclaw-turns-0000000000",
};

let dir: string;
let cleanup: () => Promise<void>;
let ollama: RecordingBackend;
let cloud: RecordingBackend;
let policyFile: string;
let configFile: string;

const bodies = (b: RecordingBackend): string => JSON.stringify(b.requests.map((r) => r.body ?? ""));

/** One embedded agent turn; the JSON result (or the error) and everything OpenClaw printed. */
async function turn(agent: string, message: string, stateDir: string, timeoutMs = 150_000): Promise<{ ok: boolean; text: string; provider?: string; out: string }> {
  const r = await execa(OPENCLAW_NODE, [OPENCLAW_BIN, "agent", "--local", "--agent", agent, "--message", message, "--json"], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      OPENCLAW_CONFIG_PATH: configFile,
      OPENCLAW_STATE_DIR: stateDir,
      HOME: stateDir,
      NO_COLOR: "1",
      // no Docker for OpenClaw: the private agent must not need a sandbox
      DOCKER_HOST: `unix://${join(stateDir, "no-docker.sock")}`,
      OPENCLAW_KEY: KEYS.OPENCLAW_KEY,
      OPENCLAW_PRIVATE_KEY: KEYS.OPENCLAW_PRIVATE_KEY,
    },
    extendEnv: false,
    reject: false,
    timeout: timeoutMs,
    input: "",
  });
  let result: { payloads?: Array<{ text?: string }>; meta?: { agentMeta?: { provider?: string } }; ok?: boolean } = {};
  try {
    result = JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))) as typeof result;
  } catch {
    // not JSON: reported through `out`
  }
  const text = result.payloads?.map((p) => p.text ?? "").join("") ?? "";
  return { ok: r.exitCode === 0 && result.ok !== false, text, provider: result.meta?.agentMeta?.provider, out: `${r.stdout.slice(-1500)}\n${r.stderr.slice(-2500)}` };
}

beforeAll(async () => {
  requireOpenClaw();
  await requireLitellm();
  ({ dir, cleanup } = await tempDir("gatewayctl-openclaw-turns-"));
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
        llama: { backend: "ollama", name: "llama3.1:8b", contextWindow: 32768, maxTokens: 1024 },
        mini: { backend: "cloud", name: "gpt-4o-mini", price: { input: 0.15, output: 0.6 }, contextWindow: 32768, maxTokens: 1024 },
      },
      lanes: {
        private: { privacy: "local-only", description: "Private work" },
        routine: { privacy: "local-first", description: "Everyday work, cloud fallback" },
      },
      routes: {
        "secure-core": { lane: "private", model: "llama" },
        "routine-router": { lane: "routine", model: "llama", fallbacks: ["mini"] },
      },
      clients: {
        openclaw: { key: { secret: "OPENCLAW_KEY" }, lanes: ["routine"] },
        "openclaw-private": { key: { secret: "OPENCLAW_PRIVATE_KEY" }, lanes: ["private"] },
      },
    }),
  );
  const built = await runCli(["build", "--policy", policyFile], { env: KEYS });
  expect(built.exitCode, built.stderr).toBe(0);
  configFile = join(dir, "openclaw.json");
  await writeFile(configFile, await readFile(join(dir, "generated", "clients", "openclaw.json"), "utf8"));
  const started = await runCli(["start", "--policy", policyFile, "--timeout", "180"], { env: KEYS, timeout: 240_000 });
  expect(started.exitCode, started.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  if (policyFile) await runCli(["stop", "--policy", policyFile], { env: KEYS });
  await ollama?.stop();
  await cloud?.stop();
  await cleanup?.();
});

describe("OpenClaw agent turns through the gateway", () => {
  it("the default agent runs a turn on its alias", async () => {
    ollama.clear();
    const r = await turn("main", "hello MARK-MAIN-1", join(dir, "state-main"));
    expect(r.ok, r.out).toBe(true);
    expect(r.text).toBe("hello from the local model");
    expect(r.provider).toBe("litellm");
    expect(bodies(ollama)).toContain("MARK-MAIN-1");
  }, 180_000);

  it("the private agent runs a turn without Docker, only the local recorder receives it, a planted stale models.json is not used", async () => {
    const state = join(dir, "state-private");
    const stale = join(state, "agents", "private", "agent", "models.json");
    await mkdir(join(state, "agents", "private", "agent"), { recursive: true });
    // a stale per-agent copy pointing straight at the cloud: OpenClaw's docs say it would win over openclaw.json
    await writeFile(stale, JSON.stringify({ providers: { "litellm-private": { baseUrl: cloud.url, api: "openai-completions", models: [{ id: "secure-core", name: "secure-core" }] } } }));
    ollama.clear();
    cloud.clear();
    const r = await turn("private", "private ledger MARK-PRIV-1", state);
    expect(r.ok, r.out).toBe(true);
    expect(r.text).toBe("hello from the local model");
    expect(r.provider).toBe("litellm-private");
    expect(bodies(ollama)).toContain("MARK-PRIV-1");
    expect(cloud.requests).toEqual([]);
  }, 180_000);

  it("with the local model failing, the private turn fails and nothing reaches the cloud", async () => {
    ollama.setFailing(true);
    try {
      ollama.clear();
      cloud.clear();
      // OpenClaw retries a failing primary for minutes; 45 s is several attempts (the run is stopped then)
      const r = await turn("private", "private ledger MARK-PRIV-2", join(dir, "state-private-2"), 45_000);
      expect(r.ok, r.out).toBe(false);
      expect(bodies(ollama), r.out).toContain("MARK-PRIV-2");
      expect(bodies(cloud)).not.toContain("MARK-PRIV-2");
      expect(cloud.requests).toEqual([]);
    } finally {
      ollama.setFailing(false);
    }
  }, 180_000);
});

describe("gatewayctl clients openclaw --check", () => {
  it("reports an unreachable Docker daemon and a missing sandbox image; the generated config has no sandboxed agent (exit 0)", async () => {
    const r = await runCli(["clients", "openclaw", "--check", configFile, "--json"], { env: { DOCKER_HOST: `unix://${join(dir, "nothing.sock")}` } });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { docker: { daemon: boolean; host: string }; image: { present: boolean }; sandboxedAgents: unknown[]; blocked: string[] };
    expect(report.docker.daemon).toBe(false);
    expect(report.docker.host).toBe(`unix://${join(dir, "nothing.sock")}`);
    expect(report.image.present).toBe(false);
    expect(report.sandboxedAgents).toEqual([]);
  });

  it("a sandboxed agent in the user's file cannot run here: exit 1, naming the agent and the fix", async () => {
    const file = join(dir, "sandboxed.json");
    const config = JSON5.parse(await readFile(configFile, "utf8")) as Record<string, any>;
    config.agents.defaults.sandbox = { mode: "non-main" };
    await writeFile(file, JSON.stringify(config));
    const r = await runCli(["clients", "openclaw", "--check", file], { env: { DOCKER_HOST: `unix://${join(dir, "nothing.sock")}` } });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`${file}: agent "main" has sandbox.mode "non-main": its turns FAIL here (SandboxProvisioningError)`);
    // the private agent sets its own mode "off"
    expect(r.stdout).not.toContain('agent "private"');
    expect(r.stdout).toContain("docker build -t openclaw-sandbox:bookworm-slim");
  });
});
