/**
 * LiteLLM 1.108.7 never runs without the guard, twice over: `gatewayctl start` refuses a build whose guard or route
 * map is missing before LiteLLM runs, and the REAL proxy given such a directory directly fails at startup.
 */
import { cp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../support/cli.js";
import { startRecordingOllama, type RecordingBackend } from "../support/recording-backends.js";
import { LITELLM, requireLitellm } from "../support/litellm.js";
import { execa } from "execa";
import { freePort } from "../support/net.js";

const env = { LITELLM_MASTER_KEY: "sk-guard-load-3e8d1f0a9b" };
let dir: string;
let cleanup: () => Promise<void>;
let ollama: RecordingBackend;
let policyFile: string;
let port: number;

beforeAll(async () => {
  await requireLitellm();
  ({ dir, cleanup } = await tempDir("gatewayctl-guard-load-"));
  ollama = await startRecordingOllama();
  port = await freePort();
  policyFile = join(dir, "gateway.policy.yaml");
  await writeFile(
    policyFile,
    stringify({
      version: 1,
      gateway: { port, bind: "127.0.0.1", runtime: "process" },
      secrets: { provider: "env" },
      runtime: { dir: join(dir, "runtime") },
      backends: { ollama: { type: "ollama", url: ollama.url, location: "local" } },
      models: { llama: { backend: "ollama", name: "llama3.1:8b" } },
      lanes: { private: { privacy: "local-only", description: "Private records" } },
      routes: { "secure-core": { lane: "private", model: "llama" } },
    }),
  );
  const built = await runCli(["build", "--policy", policyFile], { env });
  expect(built.exitCode, built.stderr).toBe(0);
});

afterAll(async () => {
  if (policyFile) await runCli(["stop", "--runtime", "process", "--policy", policyFile], { env });
  await ollama?.stop();
  await cleanup?.();
});

async function startFrom(remove: string): Promise<{ exitCode: number; stderr: string }> {
  const from = join(dir, `without-${remove}`);
  await cp(join(dir, "generated"), from, { recursive: true });
  await rm(join(from, remove));
  return runCli(["start", "--runtime", "process", "--policy", policyFile, "--from", from, "--timeout", "120"], { env, timeout: 180_000 });
}

/** The real proxy run directly on a build directory missing one file; resolves with its output once it exits. */
async function litellmOn(remove: string): Promise<{ exitCode: number | undefined; output: string }> {
  const from = join(dir, `litellm-without-${remove}`);
  await cp(join(dir, "generated"), from, { recursive: true });
  await rm(join(from, remove));
  const litellmPort = await freePort();
  const r = await execa(LITELLM, ["--config", join(from, "config.yaml"), "--host", "127.0.0.1", "--port", String(litellmPort)], {
    cwd: from,
    env: { GATEWAYCTL_SECRET_LITELLM_MASTER_KEY: env.LITELLM_MASTER_KEY, LITELLM_LOCAL_MODEL_COST_MAP: "True", PATH: process.env.PATH ?? "" },
    extendEnv: false,
    reject: false,
    all: true,
    timeout: 150_000,
  });
  return { exitCode: r.exitCode, output: r.all ?? "" };
}

describe("gatewayctl refuses a build without the guard before LiteLLM runs", () => {
  it.each(["gatewayctl_guard.py", "gatewayctl_auth.py", "route-map.json"])("start refuses a source without %s, naming it; nothing listens", async (file) => {
    const r = await startFrom(file);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${file} is missing`);
    await expect(fetch(`http://127.0.0.1:${port}/health/liveliness`)).rejects.toThrow();
    const status = await runCli(["status", "--policy", policyFile], { env });
    expect(status.stdout).toContain("gateway: stopped");
  }, 60_000);
});

describe("the real LiteLLM refuses to run without the guard", () => {
  it("fails at startup when gatewayctl_guard.py is missing", async () => {
    const r = await litellmOn("gatewayctl_guard.py");
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toContain("Could not import proxy_handler_instance from gatewayctl_guard");
  }, 180_000);

  it("fails at startup when gatewayctl_auth.py (the front door) is missing", async () => {
    const r = await litellmOn("gatewayctl_auth.py");
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toMatch(/gatewayctl_auth|custom_auth|No module named/);
  }, 180_000);

  it("fails at startup when the route map the guard reads is missing", async () => {
    const r = await litellmOn("route-map.json");
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toContain("gatewayctl guard: cannot read");
  }, 180_000);
});
