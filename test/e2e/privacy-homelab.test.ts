/**
 * The privacy promise end to end, against the REAL LiteLLM proxy (.venv-litellm, scripts/setup-litellm.sh):
 * `gatewayctl build`, `start --runtime process`, `test-routes --drill`, `audit`, with two recording HTTP servers on
 * 127.0.0.1 standing in for the model servers: an Ollama-compatible one (local) and an OpenAI-compatible one
 * declared `location: cloud` (a stand-in for a cloud provider). One gateway is shared by the tests of this file and
 * restarted once, on a hand-edited config; test order matters.
 */
import { execa } from "execa";
import { chmod, cp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteMap } from "../../src/artifact/types.js";
import type { ProbeReport } from "../../src/probe/types.js";
import { runCli, tempDir } from "../support/cli.js";
import { startRecordingCloud, startRecordingOllama, type RecordingBackend } from "../support/recording-backends.js";
import { freePort } from "../support/net.js";
import { requireLitellm } from "../support/litellm.js";

const MASTER_KEY = "sk-privacy-e2e-4f9a1c2b7d3e60aa";
const CLOUD_KEY = "sk-cloud-recorder-8c1d0e55f2";
const PRIVATE_ROUTES = ["secure-core", "local-model"];

let ollama: RecordingBackend;
let cloud: RecordingBackend;
let dir: string;
let cleanup: () => Promise<void>;
let policyFile: string;
let port: number;
let routeMap: RouteMap;
const TESTER_KEY = "sk-privacy-e2e-tester-client-8d2e41";
const env = { LITELLM_MASTER_KEY: MASTER_KEY, CLOUD_API_KEY: CLOUD_KEY, TESTER_KEY };


function homelabPolicy(): Record<string, unknown> {
  return {
    version: 1,
    gateway: { port, bind: "127.0.0.1", runtime: "process", masterKey: { secret: "LITELLM_MASTER_KEY" } },
    secrets: { provider: "env" },
    runtime: { dir: "./runtime" },
    backends: {
      ollama: { type: "ollama", url: ollama.url, location: "local" },
      // a stand-in for a cloud provider: a loopback URL declared cloud
      cloud: { type: "openai-compatible", url: cloud.url, location: "cloud", apiKey: { secret: "CLOUD_API_KEY" } },
    },
    models: {
      llama: { backend: "ollama", name: "llama3.1:8b" },
      coder: { backend: "ollama", name: "qwen2.5-coder:7b" },
      mini: { backend: "cloud", name: "gpt-4o-mini", price: { input: 0.15, output: 0.6 } },
      big: { backend: "cloud", name: "gpt-4o", price: { input: 2.5, output: 10 } },
    },
    lanes: {
      private: { privacy: "local-only", description: "Legal, financial and household records" },
      routine: { privacy: "local-first", description: "Drafting and summaries" },
      web: { privacy: "cloud-allowed", description: "Research over web content" },
    },
    routes: {
      "secure-core": { lane: "private", model: "llama" },
      "local-model": { lane: "private", model: "llama" },
      "routine-router": { lane: "routine", model: "llama", fallbacks: ["mini"] },
      coding: { lane: "routine", model: "coder", fallbacks: ["mini"] },
      "openai-fast": { lane: "web", model: "mini" },
      "web-model": { lane: "web", model: "big", fallbacks: ["mini"] },
    },
    // a client with every alias: the endpoints a client may use (and the master key may not) are tested with its key
    clients: { tester: { key: { secret: "TESTER_KEY" }, lanes: ["private", "routine", "web"] } },
  };
}

const gateway = (): string => `http://127.0.0.1:${port}`;

async function chat(body: Record<string, unknown>): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${gateway()}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Every request body a recorder received, as text (to look for a marker). */
const bodies = (b: RecordingBackend): string[] => b.requests.map((r) => JSON.stringify(r.body ?? ""));

function parseReport(stdout: string): ProbeReport {
  return JSON.parse(stdout) as ProbeReport;
}

async function testRoutes(args: string[]): Promise<{ exitCode: number; report: ProbeReport; stderr: string }> {
  const r = await runCli(["test-routes", "--policy", policyFile, "--json", ...args], { env, timeout: 300_000 });
  return { exitCode: r.exitCode, report: parseReport(r.stdout), stderr: r.stderr };
}

beforeAll(async () => {
  await requireLitellm();
  ollama = await startRecordingOllama({ models: ["llama3.1:8b", "qwen2.5-coder:7b"] });
  cloud = await startRecordingCloud({ models: ["gpt-4o-mini", "gpt-4o"] });
  ({ dir, cleanup } = await tempDir("gatewayctl-privacy-"));
  port = await freePort();
  policyFile = join(dir, "gateway.policy.yaml");
  await writeFile(policyFile, stringify(homelabPolicy()));
  const built = await runCli(["build", "--policy", policyFile], { env });
  expect(built.exitCode, built.stderr).toBe(0);
  routeMap = JSON.parse(await readFile(join(dir, "generated", "route-map.json"), "utf8")) as RouteMap;
});

afterAll(async () => {
  if (policyFile) await runCli(["stop", "--runtime", "process", "--policy", policyFile], { env });
  await ollama?.stop();
  await cloud?.stop();
  await cleanup?.();
});

describe("secrets", () => {
  it("start refuses when a secret is missing, naming it, and starts nothing", async () => {
    const r = await runCli(["start", "--runtime", "process", "--policy", policyFile], { env: { LITELLM_MASTER_KEY: MASTER_KEY, TESTER_KEY, CLOUD_API_KEY: undefined } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("CLOUD_API_KEY");
    expect(r.stderr).not.toContain(MASTER_KEY);
    await expect(fetch(`${gateway()}/health/liveliness`)).rejects.toThrow();
  });
});

describe("a homelab gateway on the real LiteLLM", () => {
  beforeAll(async () => {
    const started = await runCli(["start", "--runtime", "process", "--policy", policyFile, "--timeout", "180"], { env, timeout: 240_000 });
    expect(started.exitCode, started.stderr).toBe(0);
  }, 240_000);

  it("the production config never carries the mock-testing switch", async () => {
    for (const file of [join(dir, "generated", "config.yaml"), join(dir, "runtime", "config.yaml")]) {
      expect(await readFile(file, "utf8")).not.toContain("dangerously_allow_mock_testing_request_params");
    }
  });

  it("test-routes --drill passes every check, and every cloud request belongs to a route allowed to use the cloud", async () => {
    ollama.clear();
    cloud.clear();
    const junit = join(dir, "test-routes.xml");
    const { exitCode, report, stderr } = await testRoutes(["--drill", "--junit", junit]);
    expect(exitCode, stderr).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.counts.fail).toBe(0);
    const kinds = new Set(report.checks.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(["config", "door", "drill", "health", "models", "privacy", "route"]);
    // every route answered by its primary, identified from the headers
    for (const route of routeMap.routes) {
      const row = report.routes.find((r) => r.alias === route.alias)!;
      expect(row.servedBy, route.alias).toBe(route.primaryDeploymentId);
    }
    // privacy probes on every protected route, all refused
    const probes = report.checks.filter((c) => c.kind === "privacy");
    for (const alias of ["secure-core", "local-model", "routine-router", "coding"]) {
      expect(probes.filter((c) => c.route === alias).map((c) => c.name.split(" ").at(-1)), alias).toEqual(
        alias === "secure-core" ? ["client-fallbacks", "client-api-base", "comma-models"] : ["client-fallbacks", "client-api-base"],
      );
    }
    expect(probes.filter((c) => c.route === undefined).map((c) => c.name).sort()).toEqual(
      routeMap.deployments
        .filter((d) => d.location === "cloud")
        .flatMap((d) => [`privacy direct-id ${d.id}`])
        .concat(["privacy direct-raw-model openai/gpt-4o", "privacy direct-raw-model openai/gpt-4o-mini"])
        .sort(),
    );
    expect(probes.every((c) => c.status === "pass")).toBe(true);
    // the drill: private routes failed closed, local-first routes fell back to the approved cloud model
    for (const c of report.checks.filter((x) => x.kind === "drill" && PRIVATE_ROUTES.includes(x.route!))) {
      expect(c.message, c.name).toContain("failed closed");
      expect(c.servedBy).toBeUndefined();
    }
    for (const c of report.checks.filter((x) => x.kind === "drill" && (x.route === "routine-router" || x.route === "coding"))) {
      expect(c.servedBy?.deploymentId, c.name).toBe("gw-fallback-mini:mini");
    }
    expect(report.drill?.stopped).toBe(true);
    // the cloud recorder received exactly the requests the report attributes to cloud deployments, none of a private route
    const cloudServed = report.checks.filter((c) => c.servedBy?.location === "cloud");
    expect(cloudServed.some((c) => PRIVATE_ROUTES.includes(c.route ?? ""))).toBe(false);
    expect(cloud.modelCalls()).toHaveLength(cloudServed.length);
    // the JUnit file is valid XML with one testcase per check
    const xml = await readFile(junit, "utf8");
    const parsed = await execa("python3", ["-c", "import sys, xml.dom.minidom as m; print(len(m.parseString(sys.stdin.buffer.read()).getElementsByTagName('testcase')))"], { input: xml });
    expect(Number(parsed.stdout.trim())).toBe(report.checks.length);
    expect(xml).toContain(`failures="0"`);
  }, 300_000);

  it("refuses every crafted client request at secure-core, and nothing reaches either backend", async () => {
    const cloudDeployment = routeMap.deployments.find((d) => d.location === "cloud" && d.group === "openai-fast")!;
    const mark = `private-${randomBytes(6).toString("hex")}`;
    const crafted: Record<string, Record<string, unknown>> = {
      fallbacks: { model: "secure-core", fallbacks: ["openai-fast"] },
      context_window_fallbacks: { model: "secure-core", context_window_fallbacks: [{ "secure-core": ["openai-fast"] }] },
      content_policy_fallbacks: { model: "secure-core", content_policy_fallbacks: [{ "secure-core": ["openai-fast"] }] },
      api_base: { model: "secure-core", api_base: cloud.url },
      base_url: { model: "secure-core", base_url: cloud.url },
      user_config: {
        model: "secure-core",
        user_config: { model_list: [{ model_name: "secure-core", litellm_params: { model: "openai/gpt-4o-mini", api_base: cloud.url, api_key: "sk-x" } }] },
      },
      router_settings_override: { model: "secure-core", router_settings_override: { fallbacks: [{ "secure-core": ["openai-fast"] }] } },
      "comma-separated models": { model: "secure-core,openai-fast" },
      "cloud deployment id": { model: cloudDeployment.id },
      "raw cloud model string": { model: cloudDeployment.litellmModel },
    };
    const outcomes: Record<string, string> = {};
    for (const [mechanism, extra] of Object.entries(crafted)) {
      const res = await chat({ messages: [{ role: "user", content: `${mark} ${mechanism}` }], max_tokens: 4, ...extra });
      outcomes[mechanism] = `${res.status} ${/gatewayctl guard/.test(res.text) ? "guard" : "litellm"}`;
      expect(res.status, `${mechanism}: ${res.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(res.headers.get("x-litellm-model-id"), mechanism).toBeNull();
    }
    // the guard answers 403 for everything it sees; LiteLLM's own body check refuses api_base, base_url and
    // user_config first (1.108.7 with prisma installed, as in the image, answers those with its own 401)
    expect(outcomes).toEqual({
      fallbacks: "403 guard",
      context_window_fallbacks: "403 guard",
      content_policy_fallbacks: "403 guard",
      api_base: "401 litellm",
      base_url: "401 litellm",
      user_config: "401 litellm",
      router_settings_override: "403 guard",
      "comma-separated models": "403 guard",
      "cloud deployment id": "403 guard",
      "raw cloud model string": "403 guard",
    });
    // the other inference endpoints go through the same pre-call hook
    const other: Record<string, { path: string; body: Record<string, unknown> }> = {
      "/v1/messages fallbacks": { path: "/v1/messages", body: { model: "secure-core", max_tokens: 4, messages: [{ role: "user", content: `${mark} messages` }], fallbacks: ["openai-fast"] } },
      "/v1/responses fallbacks": { path: "/v1/responses", body: { model: "secure-core", input: `${mark} responses`, fallbacks: ["openai-fast"] } },
      "/v1/completions comma": { path: "/v1/completions", body: { model: "secure-core,openai-fast", prompt: `${mark} completions`, max_tokens: 4 } },
    };
    for (const [name, { path, body }] of Object.entries(other)) {
      const res = await fetch(`${gateway()}${path}`, {
        method: "POST",
        // a client's key: the master key is gatewayctl's and reaches only /v1/chat/completions and /v1/models
        headers: { authorization: `Bearer ${TESTER_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      outcomes[name] = `${res.status} ${/gatewayctl guard/.test(text) ? "guard" : "litellm"}`;
    }
    expect(Object.fromEntries(Object.keys(other).map((k) => [k, outcomes[k]]))).toEqual({
      "/v1/messages fallbacks": "403 guard",
      "/v1/responses fallbacks": "403 guard",
      "/v1/completions comma": "403 guard",
    });
    expect(bodies(cloud).some((b) => b.includes(mark))).toBe(false);
    expect(bodies(ollama).some((b) => b.includes(mark))).toBe(false);

    // and ordinary requests on those endpoints pass the guard and are served locally
    for (const [path, body] of [
      ["/v1/messages", { model: "secure-core", max_tokens: 4, messages: [{ role: "user", content: "plain messages" }] }],
      ["/v1/responses", { model: "secure-core", input: "plain responses" }],
    ] as const) {
      const res = await fetch(`${gateway()}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${TESTER_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      expect(res.status, `${path}: ${text.slice(0, 300)}`).toBe(200);
      expect(res.headers.get("x-litellm-model-id"), path).toBe("secure-core:llama");
    }
  }, 120_000);

  it("with the local backend down, secure-core fails closed and routine-router falls back to the cloud recorder", async () => {
    await ollama.stop();
    try {
      const mark = `down-${randomBytes(6).toString("hex")}`;
      const secure = await chat({ model: "secure-core", messages: [{ role: "user", content: `${mark} secure` }], max_tokens: 4 });
      expect(secure.status).toBeGreaterThanOrEqual(500);
      const routine = await chat({ model: "routine-router", messages: [{ role: "user", content: `${mark} routine` }], max_tokens: 4 });
      expect(routine.status).toBe(200);
      expect(routine.headers.get("x-litellm-model-id")).toBe("gw-fallback-mini:mini");
      expect(routine.headers.get("x-litellm-model-api-base")).toBe(cloud.url);
      expect(routine.headers.get("x-litellm-attempted-fallbacks")).toBe("1");
      const reached = bodies(cloud).filter((b) => b.includes(mark));
      expect(reached).toHaveLength(1);
      expect(reached[0]).toContain(`${mark} routine`);

      const { exitCode, report } = await testRoutes([]);
      expect(exitCode).toBe(1);
      const check = (name: string) => report.checks.find((c) => c.name === name)!;
      expect(check("route secure-core").status).toBe("fail");
      expect(check("route routine-router").status).toBe("warn");
      expect(check("route routine-router").servedBy?.deploymentId).toBe("gw-fallback-mini:mini");
      expect(report.checks.filter((c) => c.kind === "privacy").every((c) => c.status === "pass")).toBe(true);
      expect(bodies(cloud).some((b) => b.includes(`${mark} secure`))).toBe(false);
    } finally {
      await ollama.restart();
    }
  }, 180_000);

  describe("a hand-edited config: a cloud fallback and default_fallbacks on secure-core, the guard removed", () => {
    let edited: string;
    beforeAll(async () => {
      edited = join(dir, "edited");
      await cp(join(dir, "generated"), edited, { recursive: true });
      const configFile = join(edited, "config.yaml");
      const config = parse(await readFile(configFile, "utf8")) as Record<string, Record<string, unknown>>;
      const router = config.router_settings!;
      router.fallbacks = [...(router.fallbacks as unknown[]), { "secure-core": ["gw-fallback-mini"] }];
      router.default_fallbacks = ["gw-fallback-mini"];
      delete config.litellm_settings!.callbacks;
      await writeFile(configFile, stringify(config));
    }, 240_000);

    it("start refuses to sync it (it is no longer the build its manifest lists) and keeps the gateway on the last known-good generation", async () => {
      const r = await runCli(["start", "--runtime", "process", "--policy", policyFile, "--from", edited, "--timeout", "180"], { env, timeout: 240_000 });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain("is not one gatewayctl build: config.yaml is not the file build-manifest.json lists");
      expect(r.stderr).toMatch(/starting on last known-good generation \d+/);
      expect(await readFile(join(dir, "runtime", "config.yaml"), "utf8")).not.toContain("default_fallbacks");
    }, 240_000);

    it("with its build manifest removed too, the proof still refuses it: the guard is not loaded", async () => {
      const bare = join(dir, "edited-no-manifest");
      await cp(edited, bare, { recursive: true });
      await rm(join(bare, "build-manifest.json"));
      const r = await runCli(["start", "--runtime", "process", "--policy", policyFile, "--from", bare, "--timeout", "180"], { env, timeout: 240_000 });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain("does not load the privacy guard");
      expect(r.stderr).toMatch(/starting on last known-good generation \d+/);
      expect(await readFile(join(dir, "runtime", "config.yaml"), "utf8")).not.toContain("default_fallbacks");
    }, 240_000);

    it("edited in place in the runtime directory, start refuses it (exit 1) and the running gateway keeps serving", async () => {
      const live = await realpath(join(dir, "runtime"));
      await chmod(join(live, "config.yaml"), 0o644);
      await cp(join(edited, "config.yaml"), join(live, "config.yaml"));
      const r = await runCli(["start", "--runtime", "process", "--policy", policyFile, "--from", edited], { env, timeout: 240_000 });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain("error: refusing to start: the runtime config fails the privacy proof");
      expect((await fetch(`${gateway()}/health/readiness`)).status).toBe(200);
    }, 240_000);

    it("test-routes catches it: the runtime config checks and the drill (which runs the edited copy) fail", async () => {
      cloud.clear();
      const { exitCode, report } = await testRoutes(["--drill"]);
      expect(exitCode).toBe(1);
      const failed = report.checks.filter((c) => c.status === "fail");
      const names = failed.map((c) => c.name);
      expect(names).toContain("config guard");
      expect(names.some((n) => n.startsWith("config privacy proof secure-core") && n.endsWith("gw-fallback-mini:mini"))).toBe(true);
      // the running gateway is the last known-good one: its probes still hold
      expect(report.checks.find((c) => c.name === "privacy secure-core client-fallbacks")?.status).toBe("pass");
      // the drill copies the runtime files as they are: secure-core falls back to the cloud deployment
      const drill = report.checks.find((c) => c.name === "drill secure-core mock_testing_fallbacks")!;
      expect(drill.status).toBe("fail");
      expect(drill.message).toMatch(/^PRIVACY VIOLATION/);
      expect(drill.servedBy?.deploymentId).toBe("gw-fallback-mini:mini");
      expect(drill.servedBy?.location).toBe("cloud");
    }, 400_000);

    it("audit catches it", async () => {
      const audit = await runCli(["audit", join(dir, "runtime", "config.yaml"), "--policy", policyFile], { env });
      expect(audit.exitCode, audit.stdout).toBe(1);
      expect(audit.stdout).toMatch(/secure-core[^\n]*leak|leak[^\n]*secure-core/i);
    });
  });
});
