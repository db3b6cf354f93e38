/**
 * The default runtime end to end: the REAL LiteLLM (the pinned release, in the image scripts/build-litellm-image.sh
 * builds from Debian's archive and PyPI) in a container, through gatewayctl's dockerode runtime and through
 * docker-compose on the generated docker-compose.yml. Two recording HTTP servers stand in for the model servers (a
 * local Ollama and a cloud provider); they listen where a container reaches the host (host.docker.internal).
 * One gateway is shared by the tests of this file; test order matters.
 */
import { execa } from "execa";
import { rename } from "node:fs/promises";
import { existsSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProbeReport } from "../../src/probe/types.js";
import { runCli, tempDir } from "../support/cli.js";
import { LOCAL_LITELLM_IMAGE, removeGatewayContainers, requireLitellmImage, testDocker } from "../support/docker-image.js";
import { freePort } from "../support/net.js";
import { startRecordingCloud, startRecordingOllama, type RecordingBackend } from "../support/recording-backends.js";

const MASTER_KEY = "sk-docker-litellm-e2e-7a1f3c9d2b";
const CLOUD_KEY = "sk-cloud-recorder-docker-41be07";
const env = { LITELLM_MASTER_KEY: MASTER_KEY, CLOUD_API_KEY: CLOUD_KEY };

let docker: Dockerode;
let work: { dir: string; cleanup: () => Promise<void> };
let ollama: RecordingBackend;
let cloud: RecordingBackend;
let policyFile: string;
let runtimeDir: string;
let port: number;
let containerId = "";

function writeHomelabPolicy(extraRoutes: Record<string, unknown> = {}): void {
  writeFileSync(
    policyFile,
    stringify({
      version: 1,
      gateway: { port, bind: "127.0.0.1", runtime: "docker", image: LOCAL_LITELLM_IMAGE },
      secrets: { provider: "env" },
      runtime: { dir: runtimeDir },
      backends: {
        ollama: { type: "ollama", url: ollama.url, location: "local" },
        cloud: { type: "openai-compatible", url: cloud.url, location: "cloud", apiKey: { secret: "CLOUD_API_KEY" } },
      },
      models: {
        llama: { backend: "ollama", name: "llama3.1:8b" },
        mini: { backend: "cloud", name: "gpt-4o-mini", price: { input: 0.15, output: 0.6 } },
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
        ...extraRoutes,
      },
    }),
  );
}

async function cli(args: string[], timeout = 240_000) {
  return runCli(args, { env, timeout });
}

async function chat(model: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "docker e2e" }], max_tokens: 4 }),
    signal: AbortSignal.timeout(60_000),
  });
}

async function models(): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: `Bearer ${MASTER_KEY}` }, signal: AbortSignal.timeout(30_000) });
  return ((await res.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id).sort();
}

async function waitReady(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await fetch(`http://127.0.0.1:${port}/health/readiness`, { signal: AbortSignal.timeout(3_000) }).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the gateway on ${port} did not become ready within ${ms} ms`);
}

beforeAll(async () => {
  docker = await testDocker();
  await requireLitellmImage(docker);
  work = await tempDir("gatewayctl-docker-litellm-");
  // the container reaches the host through the Docker bridge: listen there too
  ollama = await startRecordingOllama({ listenHost: "0.0.0.0" });
  cloud = await startRecordingCloud({ listenHost: "0.0.0.0" });
  port = await freePort();
  policyFile = join(work.dir, "gateway.policy.yaml");
  runtimeDir = join(work.dir, "state", "runtime");
  writeHomelabPolicy();
  const built = await cli(["build", "--policy", policyFile]);
  expect(built.exitCode, built.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await execa("docker-compose", ["-f", join(work.dir, "generated", "docker-compose.yml"), "-p", "gwtest", "down", "-t", "2"], { reject: false, cwd: work.dir });
  if (docker && runtimeDir) await removeGatewayContainers(docker, runtimeDir);
  await ollama?.stop();
  await cloud?.stop();
  await work?.cleanup();
});

describe("the real LiteLLM in a container (gatewayctl's Docker runtime)", () => {
  it("starts the pinned image with the generations directory mounted read-only and judges its LiteLLM version", async () => {
    const r = await cli(["start", "--policy", policyFile, "--timeout", "180", "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { action: string; id: string; runtime: string; generation: number };
    expect(report).toMatchObject({ action: "started", runtime: "docker", generation: 1 });
    containerId = report.id;
    const info = await docker.getContainer(containerId).inspect();
    expect(info.Config.Image).toBe(LOCAL_LITELLM_IMAGE);
    expect(info.Config.Cmd).toEqual(["--config", "/etc/gatewayctl/generations/current/config.yaml", "--port", "4000"]);
    const mount = info.Mounts.find((m) => m.Destination === "/etc/gatewayctl/generations");
    expect(mount).toMatchObject({ Type: "bind", RW: false, Source: realpathSync(`${runtimeDir}.generations`) });
    // never over /app, where the image keeps its entrypoint
    expect(info.Mounts.some((m) => m.Destination.startsWith("/app"))).toBe(false);
    expect((info.Config as unknown as { Healthcheck: { Test: string[] } }).Healthcheck.Test.slice(0, 2)).toEqual(["CMD", "python3"]);
    expect(info.Config.Labels["io.gatewayctl.publish"]).toBe(`127.0.0.1:${port}`);
    expect(JSON.stringify(info.Config.Labels)).not.toContain(MASTER_KEY);

    const s = await cli(["status", "--policy", policyFile, "--json"]);
    expect(s.exitCode, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ kind: "docker", state: "running", startedBy: "gatewayctl", litellmVersion: "1.108.7", upToDate: true });
  }, 240_000);

  it("the request ledger is written through the writable state mount, beside the read-only runtime mount", async () => {
    const info = await docker.getContainer(containerId).inspect();
    const ledgerDir = `${runtimeDir}.state/ledger`;
    expect(info.Mounts.find((m) => m.Destination === "/var/lib/gatewayctl/ledger")).toMatchObject({ Type: "bind", RW: true, Source: realpathSync(ledgerDir) });
    const res = await chat("secure-core");
    expect(res.status).toBe(200);
    const file = join(ledgerDir, "ledger.jsonl");
    const until = Date.now() + 15_000;
    while (!(existsSync(file) && readFileSync(file, "utf8").includes('"alias":"secure-core"')) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    const line = readFileSync(file, "utf8").split("\n").find((l) => l.includes('"alias":"secure-core"'))!;
    expect(JSON.parse(line)).toMatchObject({ client: "gatewayctl", alias: "secure-core", lane: "private", deployment: "secure-core:llama", location: "local", status: "ok" });
    expect(line).not.toContain("docker e2e");
    expect(line).not.toContain(MASTER_KEY);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  }, 60_000);

  it("the container's healthcheck passes (python3, no wget in the image)", async () => {
    const until = Date.now() + 60_000;
    let health = "";
    while (Date.now() < until) {
      health = (await docker.getContainer(containerId).inspect()).State.Health?.Status ?? "";
      if (health === "healthy") break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(health).toBe("healthy");
  }, 90_000);

  it("test-routes --drill proves every route and probe; the drill runs as a container of the same image", async () => {
    const before = cloud.requests.length;
    const drillStart = Math.floor(Date.now() / 1000) - 1;
    const r = await cli(["test-routes", "--policy", policyFile, "--drill", "--json", "--start-timeout", "180"], 400_000);
    const report = JSON.parse(r.stdout) as ProbeReport;
    const failed = report.checks.filter((c) => c.status === "fail");
    expect(failed, JSON.stringify(failed, null, 1)).toEqual([]);
    expect(r.exitCode).toBe(0);
    const served = Object.fromEntries(report.routes.map((row) => [row.alias, row.servedBy]));
    expect(served).toEqual({ "secure-core": "secure-core:llama", "routine-router": "routine-router:llama", "web-model": "web-model:mini" });
    // LiteLLM's own refusal of a client api_base (401 with prisma installed, as in the image) counts as refused
    expect(report.checks.find((c) => c.name === "privacy secure-core client-api-base")).toMatchObject({ status: "pass" });
    expect(report.checks.filter((c) => c.kind === "drill" && c.status === "pass").length).toBeGreaterThanOrEqual(9);
    expect(r.stderr).toMatch(/drill: starting a throwaway docker gateway/);
    // the cloud recorder saw only the cloud-allowed route and the approved local-first fallback of the drill
    const prompts = cloud.requests.slice(before).filter((q) => q.method === "POST");
    expect(prompts.length).toBeGreaterThan(0);
    for (const q of prompts) expect((q.body as { model?: string } | undefined)?.model).toBe("gpt-4o-mini");
    // the throwaway container is gone (drill containers of this run: a runtime under gatewayctl-drill-*, created since);
    // other test files may run gateways of their own on the same engine meanwhile
    const managed = await docker.listContainers({ all: true, filters: { label: ["io.gatewayctl.managed=true"] } });
    const drills = managed.filter((c) => (c.Labels["io.gatewayctl.runtime-dir"] ?? "").includes("/gatewayctl-drill-") && c.Created >= drillStart);
    expect(drills.map((c) => c.Id)).toEqual([]);
    expect(managed.map((c) => c.Id)).toContain(containerId);
  }, 420_000);

  it("leaves the running container alone when nothing changed", async () => {
    const r = await cli(["start", "--policy", policyFile, "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ action: "unchanged", id: containerId });
  }, 120_000);

  it("a container restart while the source is missing comes back on the last known-good generation", async () => {
    const generated = join(work.dir, "generated");
    await rename(generated, `${generated}.away`);
    try {
      await execa("docker", ["restart", "-t", "5", containerId], { timeout: 60_000 });
      await waitReady(180_000);
      expect((await chat("secure-core")).headers.get("x-litellm-model-id")).toBe("secure-core:llama");
      const r = await cli(["start", "--policy", policyFile, "--json"]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ action: "unchanged", id: containerId, generation: 1, sync: { action: "source-unavailable" } });
      expect(r.stderr).toContain("starting on last known-good generation 1");
    } finally {
      await rename(`${generated}.away`, generated);
    }
  }, 300_000);

  it("recreates the container on the new generation after a config change", async () => {
    writeHomelabPolicy({ "code-private": { lane: "private", model: "llama" } });
    expect((await cli(["build", "--policy", policyFile])).exitCode).toBe(0);
    const r = await cli(["start", "--policy", policyFile, "--timeout", "180", "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { action: string; id: string; generation: number };
    expect(report).toMatchObject({ action: "recreated", generation: 2 });
    expect(report.id).not.toBe(containerId);
    expect(r.stderr).toMatch(/recreating container gatewayctl-\d+: config [0-9a-f]{12} -> [0-9a-f]{12}/);
    await expect(docker.getContainer(containerId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    containerId = report.id;
    expect(await models()).toContain("code-private");
    expect((await chat("code-private")).headers.get("x-litellm-model-id")).toBe("code-private:llama");
  }, 300_000);

  it("stop removes the container only: the image and the runtime directory stay", async () => {
    const r = await cli(["stop", "--policy", policyFile, "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stopped: true });
    await expect(docker.getContainer(containerId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker.getImage(LOCAL_LITELLM_IMAGE).inspect()).resolves.toBeTruthy();
    expect(existsSync(join(runtimeDir, "config.yaml"))).toBe(true);
  }, 120_000);
});

describe("docker-compose on the generated docker-compose.yml (the real LiteLLM image)", () => {
  const compose = (args: string[]) =>
    execa("docker-compose", ["-f", join(work.dir, "generated", "docker-compose.yml"), "-p", "gwtest", ...args], {
      reject: false,
      cwd: work.dir,
      env: { ...process.env, ...env },
      all: true,
      timeout: 240_000,
    });

  it("up serves a route; status finds the container through its labels", async () => {
    const up = await compose(["up", "-d"]);
    expect(up.exitCode, up.all).toBe(0);
    await waitReady(180_000);
    const res = await chat("secure-core");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-litellm-model-id")).toBe("secure-core:llama");
    const s = await cli(["status", "--policy", policyFile, "--json"]);
    expect(s.exitCode, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ kind: "docker", state: "running", startedBy: "docker-compose" });
  }, 300_000);

  it("after a sync, a plain docker-compose restart serves the new generation", async () => {
    writeHomelabPolicy({ "code-private": { lane: "private", model: "llama" }, "notes-private": { lane: "private", model: "llama" } });
    expect((await cli(["build", "--policy", policyFile])).exitCode).toBe(0);
    const sync = await cli(["sync", "--policy", policyFile, "--json"]);
    expect(sync.exitCode, sync.stderr).toBe(0);
    expect((JSON.parse(sync.stdout) as { generation: number }).generation).toBe(3);
    expect(await models()).not.toContain("notes-private");
    const restart = await compose(["restart", "-t", "5"]);
    expect(restart.exitCode, restart.all).toBe(0);
    await waitReady(180_000);
    expect(await models()).toContain("notes-private");
    const down = await compose(["down", "-t", "5"]);
    expect(down.exitCode, down.all).toBe(0);
  }, 400_000);
});
