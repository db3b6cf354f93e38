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
const CLIENT_ENDPOINTS = ["/v1/chat/completions", "/chat/completions", "/v1/completions", "/completions", "/v1/messages", "/v1/responses", "/responses", "/v1/models", "/models"];
const routeMap: RouteMap = {
  generatedBy: "guard-module test",
  gateway: TEST_GATEWAY_FACTS,
  frontDoor: {
    masterKeyEnv: "GATEWAYCTL_SECRET_LITELLM_MASTER_KEY",
    clients: [{ name: "openclaw", keySecret: "OPENCLAW_KEY", keyEnv: "GATEWAYCTL_SECRET_OPENCLAW_KEY", aliases: ["routine-router", "web"] }],
    clientEndpoints: CLIENT_ENDPOINTS,
    masterEndpoints: [...CLIENT_ENDPOINTS, "/health/readiness/details"],
  },
  internalGroups: ["gw-fallback-mini"],
  lanes: [],
  ledger: { maxBytes: 1048576, keep: 1 },
  alerts: [],
  routes: [
    { alias: "secure-core", lane: "private", privacy: "local-only", model: "llama", fallbacks: [], primaryDeploymentId: "secure-core:llama", fallbackGroups: [], allowedDeploymentIds: ["secure-core:llama"], cloudBackends: [], maxPrice: price, timeoutSeconds: 300 },
    { alias: "routine-router", lane: "routine", privacy: "local-first", model: "llama", fallbacks: ["mini"], primaryDeploymentId: "routine-router:llama", fallbackGroups: ["gw-fallback-mini"], allowedDeploymentIds: ["routine-router:llama", "gw-fallback-mini:mini"], cloudBackends: ["openai"], maxPrice: price, timeoutSeconds: 300 },
    { alias: "web", lane: "web", privacy: "cloud-allowed", model: "mini", fallbacks: [], primaryDeploymentId: "web:mini", fallbackGroups: [], allowedDeploymentIds: ["web:mini"], cloudBackends: ["openai"], maxPrice: price, timeoutSeconds: 300 },
  ],
  deployments: [
    { id: "secure-core:llama", group: "secure-core", model: "llama", backend: "ollama", backendType: "ollama", location: "local", litellmModel: "ollama_chat/llama3.1:8b", apiBase: "http://127.0.0.1:11434", price },
    { id: "routine-router:llama", group: "routine-router", model: "llama", backend: "ollama", backendType: "ollama", location: "local", litellmModel: "ollama_chat/llama3.1:8b", apiBase: "http://127.0.0.1:11434", price },
    { id: "gw-fallback-mini:mini", group: "gw-fallback-mini", model: "mini", backend: "openai", backendType: "openai", location: "cloud", litellmModel: "openai/gpt-4o-mini", apiBase: "https://api.openai.com/v1", price },
    { id: "web:mini", group: "web", model: "mini", backend: "openai", backendType: "openai", location: "cloud", litellmModel: "openai/gpt-4o-mini", apiBase: "https://api.openai.com/v1", price },
  ],
};

/**
 * The UserAPIKeyAuth the front door (gatewayctl_auth.py) hands the hook for each caller, as it builds them: the
 * name in key_alias and metadata, the caller's route aliases in models.
 */
const CALLERS: Record<string, { key_alias: string; models: string[]; metadata: Record<string, string> } | null> = {
  master: { key_alias: "gatewayctl", models: ["routine-router", "secure-core", "web"], metadata: { gatewayctl_client: "gatewayctl" } },
  openclaw: { key_alias: "openclaw", models: ["routine-router", "web"], metadata: { gatewayctl_client: "openclaw" } },
  // what the front door gives a client without aliases (an empty list would mean "every model" to LiteLLM)
  nothing: { key_alias: "idle", models: ["no-default-models"], metadata: { gatewayctl_client: "idle" } },
  // a hook call without the front door's object
  none: null,
};

/**
 * Inside LiteLLM's Python: for each scenario, set up the directory (route map present or not, drill token file),
 * the environment, import the guard afresh, and run its hook on each body, as the caller the case names (the
 * master key unless it says otherwise). One interpreter for every scenario, because importing litellm takes seconds.
 */
const RUNNER = `
import asyncio, importlib.util, json, os, sys, traceback
from fastapi import HTTPException
from litellm.integrations.custom_logger import CustomLogger
from litellm.proxy._types import UserAPIKeyAuth
callers_in = json.loads(sys.argv[1])
callers = {name: (None if c is None else UserAPIKeyAuth(api_key="0" * 64, **c)) for name, c in callers_in.items()}
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
        caller = callers[body.pop("_as", "master")]
        try:
            returned = asyncio.run(guard.async_pre_call_hook(caller, None, body, "acompletion"))
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
  const r = await execa(PYTHON, ["-c", RUNNER, JSON.stringify(CALLERS)], {
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
  // present at all is refused on protected routes, whatever the value
  "empty api_key": { model: "secure-core", messages: msg, api_key: "" },
  "null api_base": { model: "secure-core", messages: msg, api_base: null },
  "empty fallbacks": { model: "routine-router", messages: msg, fallbacks: [] },
  "empty user_config": { model: "secure-core", messages: msg, user_config: {} },
  "false router_settings_override": { model: "secure-core", messages: msg, router_settings_override: false },
  "empty metadata.api_base": { model: "secure-core", messages: msg, metadata: { api_base: "" } },
  "null extra_body.fallbacks": { model: "routine-router", messages: msg, extra_body: { fallbacks: null } },
  "empty litellm_metadata.model_list": { model: "secure-core", messages: msg, litellm_metadata: { model_list: [] } },
  "attack: prefixed alias with empty api_key": { model: "openai/routine-router", messages: msg, api_key: "" },
  "attack as a client": { _as: "openclaw", model: "openai/routine-router", messages: msg, api_key: "" },
  // per-key aliases
  "client on its alias": { _as: "openclaw", model: "routine-router", messages: msg },
  "client on its cloud alias": { _as: "openclaw", model: "web", messages: msg },
  "client outside its aliases": { _as: "openclaw", model: "secure-core", messages: msg },
  "client, unknown model": { _as: "openclaw", model: "gpt-4o", messages: msg },
  "client, padded alias": { _as: "openclaw", model: " web", messages: msg },
  "client, deployment id": { _as: "openclaw", model: "web:mini", messages: msg },
  "client, internal group": { _as: "openclaw", model: "gw-fallback-mini", messages: msg },
  "client, raw model string": { _as: "openclaw", model: "openai/gpt-4o-mini", messages: msg },
  "master, prefixed cloud alias": { model: "openai/web", messages: msg },
  "master, prefixed local-only alias": { model: "openai/secure-core", messages: msg },
  "master, prefixed local-first alias": { model: "ollama_chat/routine-router", messages: msg },
  "client, prefixed cloud alias": { _as: "openclaw", model: "openai/web", messages: msg },
  "client, prefixed local-first alias": { _as: "openclaw", model: "openai/routine-router", messages: msg },
  "key without aliases": { _as: "nothing", model: "web", messages: msg },
  "key without aliases, the marker as model": { _as: "nothing", model: "no-default-models", messages: msg },
  "no caller object": { _as: "none", model: "web", messages: msg },
  "no model": { messages: msg },
  "model not a string": { model: ["web"], messages: msg },
  // client-side fallbacks (allowed on cloud-allowed routes) name only the caller's own aliases
  "client fallbacks to its alias": { _as: "openclaw", model: "web", messages: msg, fallbacks: ["routine-router"] },
  "client fallbacks outside its aliases": { _as: "openclaw", model: "web", messages: msg, fallbacks: ["secure-core"] },
  "client fallbacks as dicts": { _as: "openclaw", model: "web", messages: msg, fallbacks: [{ model: "secure-core" }] },
  "client fallbacks in router shape": { _as: "openclaw", model: "web", messages: msg, context_window_fallbacks: [{ web: ["routine-router", "secure-core"] }] },
  "client fallbacks to a raw model": { _as: "openclaw", model: "web", messages: msg, metadata: { fallbacks: ["openai/gpt-4o-mini"] } },
  "client fallbacks unreadable": { _as: "openclaw", model: "web", messages: msg, fallbacks: "secure-core" },
  "client comma list of its aliases": { _as: "openclaw", model: "web,web", messages: msg },
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
    for (const name of ["plain local-only", "plain local-first", "cloud-allowed with client fallbacks", "mock flag false", "client on its alias", "client on its cloud alias", "client fallbacks to its alias"]) {
      expect(run.results[name], name).toBe("ok");
    }
  });

  it.each([
    ["empty api_key", "'api_key'", "secure-core"],
    ["null api_base", "'api_base'", "secure-core"],
    ["empty fallbacks", "'fallbacks'", "routine-router"],
    ["empty user_config", "'user_config'", "secure-core"],
    ["false router_settings_override", "'router_settings_override'", "secure-core"],
    ["empty metadata.api_base", "metadata.api_base", "secure-core"],
    ["null extra_body.fallbacks", "extra_body.fallbacks", "routine-router"],
    ["empty litellm_metadata.model_list", "litellm_metadata.model_list", "secure-core"],
    ["attack: prefixed alias with empty api_key", "'api_key'", "routine-router"],
    ["attack as a client", "'api_key'", "routine-router"],
  ])("refuses %s on a protected route: a routing field present at all, whatever its value", (name, field, alias) => {
    const result = run.results[name]!;
    expect(result).toMatch(/^403 gatewayctl guard: /);
    expect(result).toContain(field);
    expect(result).toContain(`'${alias}'`);
    expect(result).toContain("whatever its value");
  });

  it.each([
    ["client outside its aliases", "openclaw", "secure-core"],
    ["client, unknown model", "openclaw", "gpt-4o"],
    ["client, padded alias", "openclaw", " web"],
    ["master, prefixed cloud alias", "gatewayctl", "openai/web"],
    ["master, prefixed local-only alias", "gatewayctl", "openai/secure-core"],
    ["master, prefixed local-first alias", "gatewayctl", "ollama_chat/routine-router"],
    ["client, prefixed cloud alias", "openclaw", "openai/web"],
    ["client, prefixed local-first alias", "openclaw", "openai/routine-router"],
    ["key without aliases", "idle", "web"],
    ["key without aliases, the marker as model", "idle", "no-default-models"],
    ["no caller object", "this key", "web"],
  ])("refuses %s: a model that is not exactly one of the key's aliases (every key, prefixed aliases too)", (name, client, model) => {
    expect(run.results[name]).toBe(`403 gatewayctl guard: ${client} may not use model '${model}'`);
  });

  it("keeps the more specific messages for deployment ids, raw model strings and internal groups, checked first", () => {
    expect(run.results["client, deployment id"]).toMatch(/^403 .*'web:mini' is a deployment id/);
    expect(run.results["client, raw model string"]).toMatch(/^403 .*raw model string of a cloud deployment/);
    expect(run.results["client, internal group"]).toMatch(/^403 .*internal fallback group/);
  });

  it("refuses a request without a model name", () => {
    expect(run.results["no model"]).toMatch(/^403 gatewayctl guard: gatewayctl sent a request without a model name \(no model\)/);
    expect(run.results["model not a string"]).toMatch(/^403 gatewayctl guard: .*without a model name \(model is a list\)/);
  });

  it("lets client-side fallbacks name only the caller's own aliases, in every shape LiteLLM reads", () => {
    expect(run.results["client fallbacks outside its aliases"]).toBe("403 gatewayctl guard: openclaw may not use model 'secure-core' (named in request field fallbacks)");
    expect(run.results["client fallbacks as dicts"]).toBe("403 gatewayctl guard: openclaw may not use model 'secure-core' (named in request field fallbacks)");
    expect(run.results["client fallbacks in router shape"]).toBe("403 gatewayctl guard: openclaw may not use model 'secure-core' (named in request field context_window_fallbacks)");
    expect(run.results["client fallbacks to a raw model"]).toBe("403 gatewayctl guard: openclaw may not use model 'openai/gpt-4o-mini' (named in request field metadata.fallbacks)");
    expect(run.results["client fallbacks unreadable"]).toMatch(/^403 gatewayctl guard: request field 'fallbacks' must be a list/);
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

  it("refuses every other comma-separated model list: models are asked for one at a time", () => {
    for (const name of ["cloud-allowed comma list", "client comma list of its aliases"]) {
      expect(run.results[name], name).toMatch(/^403 gatewayctl guard: comma-separated model '.*': models are asked for one at a time/);
    }
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
