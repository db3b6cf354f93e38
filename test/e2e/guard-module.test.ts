/**
 * The privacy guard as LiteLLM loads it: the generated gatewayctl_guard.py imported by the REAL LiteLLM 1.108.7
 * Python environment (.venv-litellm, installed by scripts/setup-litellm.sh) from a real directory holding a
 * route-map.json, its pre-call hook called on crafted request bodies. The proxy itself runs in privacy-*.test.ts.
 */
import { execa } from "execa";
import { access, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GUARD_MODULE_SOURCE } from "../../src/compile/guard-source.js";
import { GUARD_DRILL_TOKEN_ENV, GUARD_DRILL_TOKEN_FILE } from "../../src/artifact/types.js";
import type { RouteMap } from "../../src/artifact/types.js";
import { ROOT, tempDir } from "../support/cli.js";
import { TEST_GATEWAY_FACTS } from "../support/gateway-facts.js";

const PYTHON = join(ROOT, ".venv-litellm", "bin", "python");
const price = { input: 0, output: 0 };
const routeMap: RouteMap = {
  generatedBy: "guard-module test",
  gateway: TEST_GATEWAY_FACTS,
  internalGroups: ["gw-fallback-mini"],
  routes: [
    { alias: "secure-core", lane: "private", privacy: "local-only", model: "llama", fallbacks: [], primaryDeploymentId: "secure-core:llama", fallbackGroups: [], allowedDeploymentIds: ["secure-core:llama"], cloudBackends: [], maxPrice: price },
    { alias: "routine-router", lane: "routine", privacy: "local-first", model: "llama", fallbacks: ["mini"], primaryDeploymentId: "routine-router:llama", fallbackGroups: ["gw-fallback-mini"], allowedDeploymentIds: ["routine-router:llama", "gw-fallback-mini:mini"], cloudBackends: ["openai"], maxPrice: price },
    { alias: "web", lane: "web", privacy: "cloud-allowed", model: "mini", fallbacks: [], primaryDeploymentId: "web:mini", fallbackGroups: [], allowedDeploymentIds: ["web:mini"], cloudBackends: ["openai"], maxPrice: price },
  ],
  deployments: [
    { id: "secure-core:llama", group: "secure-core", model: "llama", backend: "ollama", backendType: "ollama", location: "local", litellmModel: "ollama_chat/llama3.1:8b", apiBase: "http://127.0.0.1:11434", price },
    { id: "routine-router:llama", group: "routine-router", model: "llama", backend: "ollama", backendType: "ollama", location: "local", litellmModel: "ollama_chat/llama3.1:8b", apiBase: "http://127.0.0.1:11434", price },
    { id: "gw-fallback-mini:mini", group: "gw-fallback-mini", model: "mini", backend: "openai", backendType: "openai", location: "cloud", litellmModel: "openai/gpt-4o-mini", apiBase: "https://api.openai.com/v1", price },
    { id: "web:mini", group: "web", model: "mini", backend: "openai", backendType: "openai", location: "cloud", litellmModel: "openai/gpt-4o-mini", apiBase: "https://api.openai.com/v1", price },
  ],
};

/**
 * Inside LiteLLM's Python: for each scenario, set up the directory (route map present or not, drill token file),
 * the environment, import the guard afresh, and run its hook on each body. One interpreter for every scenario,
 * because importing litellm takes seconds.
 */
const RUNNER = `
import asyncio, importlib.util, json, os, sys, traceback
from fastapi import HTTPException
from litellm.integrations.custom_logger import CustomLogger
spec_in = json.load(sys.stdin)
out = []
for sc in spec_in:
    d = sc["dir"]
    token_file = os.path.join(d, sc["tokenFileName"])
    if sc.get("tokenFile") is None:
        if os.path.exists(token_file): os.remove(token_file)
    else:
        open(token_file, "w").write(sc["tokenFile"])
    os.environ.pop(sc["tokenEnvName"], None)
    if sc.get("tokenEnv") is not None: os.environ[sc["tokenEnvName"]] = sc["tokenEnv"]
    try:
        spec = importlib.util.spec_from_file_location("gatewayctl_guard", os.path.join(d, "gatewayctl_guard.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception as e:
        out.append({"importError": "%s: %s" % (type(e).__name__, e)})
        continue
    guard = module.proxy_handler_instance
    res = {"isCustomLogger": isinstance(guard, CustomLogger), "ownsHook": "async_pre_call_hook" in vars(type(guard)),
           "enforcesContent": guard.enforces_request_content, "drill": guard.drill_mode, "results": {}}
    for name, body in sc["cases"].items():
        try:
            returned = asyncio.run(guard.async_pre_call_hook(None, None, body, "acompletion"))
            res["results"][name] = "ok" if returned is body else "changed"
        except HTTPException as e:
            res["results"][name] = "%d %s" % (e.status_code, e.detail["error"])
    out.append(res)
print(json.dumps(out))
`;

interface GuardRun {
  importError?: string;
  isCustomLogger: boolean;
  ownsHook: boolean;
  enforcesContent: boolean;
  drill: boolean;
  results: Record<string, string>;
}

interface Scenario {
  dir: string;
  cases: Record<string, unknown>;
  tokenFile?: string;
  tokenEnv?: string;
}

let dir: string;
let cleanup: () => Promise<void>;

async function runScenarios(scenarios: Scenario[]): Promise<GuardRun[]> {
  const r = await execa(PYTHON, ["-c", RUNNER], {
    input: JSON.stringify(scenarios.map((s) => ({ ...s, tokenFileName: GUARD_DRILL_TOKEN_FILE, tokenEnvName: GUARD_DRILL_TOKEN_ENV }))),
    env: { LITELLM_LOCAL_MODEL_COST_MAP: "True", PATH: process.env.PATH ?? "" },
    extendEnv: false,
    reject: false,
    timeout: 120_000,
  });
  if (r.exitCode !== 0) throw new Error(`the guard runner failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as GuardRun[];
}

async function guardDir(name: string, withMap = true): Promise<string> {
  const d = join(dir, name);
  await mkdir(d, { recursive: true });
  await writeFile(join(d, "gatewayctl_guard.py"), GUARD_MODULE_SOURCE);
  if (withMap) await writeFile(join(d, "route-map.json"), JSON.stringify(routeMap));
  return d;
}

const msg = [{ role: "user", content: "hi" }];
const CASES: Record<string, unknown> = {
  "plain local-only": { model: "secure-core", messages: msg },
  "plain local-first": { model: "routine-router", messages: msg },
  "cloud-allowed with client fallbacks": { model: "web", messages: msg, fallbacks: ["routine-router"] },
  "cloud-allowed comma list": { model: "web, web", messages: msg },
  fallbacks: { model: "secure-core", messages: msg, fallbacks: ["web"] },
  context_window_fallbacks: { model: "secure-core", messages: msg, context_window_fallbacks: [{ "secure-core": ["web"] }] },
  content_policy_fallbacks: { model: "routine-router", messages: msg, content_policy_fallbacks: [{ "routine-router": ["web"] }] },
  api_base: { model: "secure-core", messages: msg, api_base: "https://api.openai.com/v1" },
  base_url: { model: "secure-core", messages: msg, base_url: "https://api.openai.com/v1" },
  api_key: { model: "secure-core", messages: msg, api_key: "sk-client" },
  user_config: { model: "secure-core", messages: msg, user_config: { model_list: [] } },
  router_settings_override: { model: "routine-router", messages: msg, router_settings_override: { fallbacks: [{ "routine-router": ["web"] }] } },
  "metadata fallbacks": { model: "secure-core", messages: msg, metadata: { fallbacks: ["web"] } },
  "extra_body api_base": { model: "secure-core", messages: msg, extra_body: { api_base: "https://x.example" } },
  "padded alias": { model: "  secure-core ", messages: msg, fallbacks: ["web"] },
  "provider-prefixed alias": { model: "openai/secure-core", messages: msg, fallbacks: ["web"] },
  "comma list": { model: "secure-core,web", messages: msg },
  "comma list with spaces": { model: " web , secure-core", messages: msg },
  "cloud deployment id": { model: "web:mini", messages: msg },
  "local deployment id": { model: "secure-core:llama", messages: msg },
  "raw cloud model string": { model: "openai/gpt-4o-mini", messages: msg },
  "internal fallback group": { model: "gw-fallback-mini", messages: msg },
  mock_testing_fallbacks: { model: "secure-core", messages: msg, mock_testing_fallbacks: true },
  "mock flag false": { model: "secure-core", messages: msg, mock_testing_fallbacks: false },
};

const DRILL_CASES = {
  mock: { model: "secure-core", messages: msg, mock_testing_fallbacks: true },
  fb: { model: "secure-core", messages: msg, fallbacks: ["web"] },
};
let run: GuardRun;
let noMap: GuardRun;
let envOnly: GuardRun;
let otherToken: GuardRun;
let fileOnly: GuardRun;
let drill: GuardRun;

beforeAll(async () => {
  await access(PYTHON).catch(() => {
    throw new Error(`${PYTHON} is missing: run scripts/setup-litellm.sh to install the pinned LiteLLM into .venv-litellm`);
  });
  ({ dir, cleanup } = await tempDir("gatewayctl-guard-"));
  const prod = await guardDir("prod");
  const bare = await guardDir("nomap", false);
  const drillDir = await guardDir("drill");
  [run, noMap, envOnly, otherToken, fileOnly, drill] = (await runScenarios([
    { dir: prod, cases: CASES },
    { dir: bare, cases: {} },
    { dir: drillDir, cases: DRILL_CASES, tokenEnv: "tok-1" },
    { dir: drillDir, cases: DRILL_CASES, tokenEnv: "tok-1", tokenFile: "tok-2\n" },
    { dir: drillDir, cases: DRILL_CASES, tokenFile: "tok-2\n" },
    { dir: drillDir, cases: DRILL_CASES, tokenEnv: "tok-2", tokenFile: "tok-2\n" },
  ])) as [GuardRun, GuardRun, GuardRun, GuardRun, GuardRun, GuardRun];
}, 120_000);
afterAll(async () => {
  await cleanup?.();
});

describe("gatewayctl_guard.py in LiteLLM's Python", () => {
  it("is a CustomLogger that owns async_pre_call_hook and judges request content", () => {
    expect(run).toMatchObject({ isCustomLogger: true, ownsHook: true, enforcesContent: true, drill: false });
  });

  it("lets ordinary requests through unchanged, and cloud-allowed routes keep client-side options", () => {
    for (const name of ["plain local-only", "plain local-first", "cloud-allowed with client fallbacks", "cloud-allowed comma list", "mock flag false"]) {
      expect(run.results[name], name).toBe("ok");
    }
  });

  it.each([
    ["fallbacks", "'fallbacks'", "secure-core"],
    ["context_window_fallbacks", "'context_window_fallbacks'", "secure-core"],
    ["content_policy_fallbacks", "'content_policy_fallbacks'", "routine-router"],
    ["api_base", "'api_base'", "secure-core"],
    ["base_url", "'base_url'", "secure-core"],
    ["api_key", "'api_key'", "secure-core"],
    ["user_config", "'user_config'", "secure-core"],
    ["router_settings_override", "'router_settings_override'", "routine-router"],
    ["metadata fallbacks", "metadata.fallbacks", "secure-core"],
    ["extra_body api_base", "extra_body.api_base", "secure-core"],
    ["padded alias", "'fallbacks'", "secure-core"],
    ["provider-prefixed alias", "'fallbacks'", "secure-core"],
    ["mock_testing_fallbacks", "'mock_testing_fallbacks'", "secure-core"],
  ])("refuses %s on a protected route with 403 naming the field and the route", (name, field, alias) => {
    const result = run.results[name]!;
    expect(result).toMatch(/^403 gatewayctl guard: /);
    expect(result).toContain(field);
    expect(result).toContain(`'${alias}'`);
  });

  it("refuses comma-separated models that include a protected route", () => {
    expect(run.results["comma list"]).toMatch(/^403 .*comma-separated model .*'secure-core'/);
    expect(run.results["comma list with spaces"]).toMatch(/^403 .*comma-separated model .*'secure-core'/);
  });

  it("refuses addressing a deployment directly, by id or raw model string, and internal groups, for every request", () => {
    expect(run.results["cloud deployment id"]).toMatch(/^403 .*'web:mini' is a deployment id \(cloud deployment/);
    expect(run.results["local deployment id"]).toMatch(/^403 .*deployment id/);
    expect(run.results["raw cloud model string"]).toMatch(/^403 .*raw model string of a cloud deployment/);
    expect(run.results["internal fallback group"]).toMatch(/^403 .*internal fallback group/);
  });
});

describe("guard loading and drill mode", () => {
  it("fails to import without route-map.json, so LiteLLM cannot start without the guard's data", () => {
    expect(noMap.importError).toMatch(/^RuntimeError: gatewayctl guard: cannot read .*route-map\.json/);
  });

  it("accepts mock-testing flags only when the environment token equals the token file next to it", () => {
    for (const r of [envOnly, otherToken, fileOnly]) {
      expect(r.drill).toBe(false);
      expect(r.results.mock).toMatch(/^403 .*'mock_testing_fallbacks'/);
    }
    expect(drill.drill).toBe(true);
    expect(drill.results.mock).toBe("ok");
    // drill mode never opens client-side fallbacks
    expect(drill.results.fb).toMatch(/^403 .*'fallbacks'/);
  });
});
