/**
 * The front door as LiteLLM loads it: the generated gatewayctl_auth.py (general_settings.custom_auth) imported by the
 * REAL LiteLLM 1.108.7 Python environment (.venv-litellm, installed by scripts/setup-litellm.sh) from a real directory
 * holding a route-map.json, its `user_api_key_auth` called with real Starlette requests. Then the REAL proxy, started
 * once for this file on a hand-written config that loads both modules, answers over HTTP.
 */
import { execa, type ResultPromise } from "execa";
import { createHash } from "node:crypto";
import { access, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH_MODULE_SOURCE } from "../../src/compile/auth-source.js";
import { GUARD_MODULE_SOURCE } from "../../src/compile/guard-source.js";
import { AUTH_FILE, GUARD_FILE, ROUTE_MAP_FILE } from "../../src/artifact/types.js";
import type { RouteMap } from "../../src/artifact/types.js";
import { ROOT, tempDir } from "../support/cli.js";
import { TEST_GATEWAY_FACTS } from "../support/gateway-facts.js";
import { LITELLM, requireLitellm } from "../support/litellm.js";
import { freePort } from "../support/net.js";
import { startRecordingCloud, type RecordingBackend } from "../support/recording-backends.js";

const PYTHON = join(ROOT, ".venv-litellm", "bin", "python");
const MASTER_ENV = "GATEWAYCTL_SECRET_LITELLM_MASTER_KEY";
const OPENCLAW_ENV = "GATEWAYCTL_SECRET_OPENCLAW_KEY";
const NOTES_ENV = "GATEWAYCTL_SECRET_NOTES_KEY";
const KEYS = {
  [MASTER_ENV]: "sk-master-5b1f0c9e27d84a36",
  [OPENCLAW_ENV]: "sk-openclaw-8d2e71a4c09b5f63",
  [NOTES_ENV]: "sk-notes-3a6c9e0f41b72d58",
};
const MASTER_KEY = KEYS[MASTER_ENV];
const OPENCLAW_KEY = KEYS[OPENCLAW_ENV];
const NOTES_KEY = KEYS[NOTES_ENV];
const ALL_KEY_VALUES = Object.values(KEYS);

const CLIENT_ENDPOINTS = ["/v1/chat/completions", "/chat/completions", "/v1/completions", "/completions", "/v1/messages", "/v1/responses", "/responses", "/v1/models", "/models"];
const MASTER_ENDPOINTS = [...CLIENT_ENDPOINTS, "/health/readiness/details"];
const ROUTE_ALIASES = ["general-smart", "routine-router", "secure-core"];
const OPENCLAW_ALIASES = ["general-smart", "routine-router"];

const price = { input: 0, output: 0 };

/** The route map of a small gateway: three routes, an internal fallback group, two clients and the master key. */
function makeRouteMap(apiBase: string): RouteMap {
  const deployment = (group: string, model: string, location: "local" | "cloud") => ({
    id: `${group}:${model}`,
    group,
    model,
    backend: "cloud",
    backendType: "openai" as const,
    location,
    litellmModel: `openai/${model}`,
    apiBase,
    price,
  });
  return {
    generatedBy: "auth-module test",
    gateway: TEST_GATEWAY_FACTS,
    frontDoor: {
      masterKeyEnv: MASTER_ENV,
      clients: [
        { name: "notes", keySecret: "NOTES_KEY", keyEnv: NOTES_ENV, aliases: ["secure-core"] },
        { name: "openclaw", keySecret: "OPENCLAW_KEY", keyEnv: OPENCLAW_ENV, aliases: OPENCLAW_ALIASES },
      ],
      clientEndpoints: CLIENT_ENDPOINTS,
      masterEndpoints: MASTER_ENDPOINTS,
    },
    internalGroups: ["gw-fallback-mini"],
    lanes: [],
    ledger: { maxBytes: 1048576, keep: 1 },
    alerts: [],
    routes: [
      { alias: "general-smart", lane: "general", privacy: "cloud-allowed", model: "smart", fallbacks: [], primaryDeploymentId: "general-smart:smart", fallbackGroups: [], allowedDeploymentIds: ["general-smart:smart"], cloudBackends: ["cloud"], maxPrice: price, timeoutSeconds: 300 },
      { alias: "routine-router", lane: "routine", privacy: "local-first", model: "router", fallbacks: ["mini"], primaryDeploymentId: "routine-router:router", fallbackGroups: ["gw-fallback-mini"], allowedDeploymentIds: ["routine-router:router", "gw-fallback-mini:mini"], cloudBackends: ["cloud"], maxPrice: price, timeoutSeconds: 300 },
      { alias: "secure-core", lane: "private", privacy: "local-only", model: "core", fallbacks: [], primaryDeploymentId: "secure-core:core", fallbackGroups: [], allowedDeploymentIds: ["secure-core:core"], cloudBackends: [], maxPrice: price, timeoutSeconds: 300 },
    ],
    deployments: [
      deployment("general-smart", "smart", "cloud"),
      deployment("routine-router", "router", "local"),
      deployment("secure-core", "core", "local"),
      deployment("gw-fallback-mini", "mini", "cloud"),
    ],
  };
}

/** Every refused class of path (front-door issue): each must be closed for a client key and for the master key. */
const REFUSED_PATHS = [
  "/queue/chat/completions",
  "/openai/v1/chat/completions",
  "/openai/chat/completions",
  "/anthropic/v1/messages",
  "/v1/files",
  "/v1/batches",
  "/policy/templates/x",
  "/usage/ai/chat",
  "/key/generate",
  "/model/new",
  "/engines/secure-core/chat/completions",
  "/openai/deployments/secure-core/chat/completions",
  "/ui",
];

/**
 * Inside LiteLLM's Python: for each scenario set the key variables, import the front door afresh from its directory,
 * and call user_api_key_auth on a real Starlette Request per case. One interpreter for every scenario, because
 * importing litellm takes seconds.
 */
const RUNNER = `
import asyncio, importlib.util, json, os, sys
from fastapi import HTTPException
from starlette.requests import Request
from litellm.proxy._types import UserAPIKeyAuth
spec_in = json.load(sys.stdin)
out = []
for index, sc in enumerate(spec_in):
    for name in sc["allEnv"]:
        os.environ.pop(name, None)
    os.environ.update(sc["env"])
    try:
        spec = importlib.util.spec_from_file_location("gatewayctl_auth_%d" % index, os.path.join(sc["dir"], "gatewayctl_auth.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception as e:
        out.append({"importError": "%s: %s" % (type(e).__name__, e)})
        continue
    results = {}
    for name, c in sc["cases"].items():
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in c.get("headers", {}).items()]
        scope = {"type": "http", "method": c.get("method", "POST"), "path": c["path"], "raw_path": c["path"].encode(),
                 "root_path": c.get("rootPath", ""), "query_string": c.get("query", "").encode(), "headers": headers,
                 "scheme": "http", "server": ("127.0.0.1", 4000), "client": ("127.0.0.1", 50000)}
        try:
            r = asyncio.run(module.user_api_key_auth(Request(scope), c.get("apiKey")))
            results[name] = {"status": 200, "isUserAPIKeyAuth": isinstance(r, UserAPIKeyAuth), "api_key": r.api_key,
                             "token": r.token, "key_alias": r.key_alias, "models": list(r.models), "metadata": r.metadata,
                             "user_role": r.user_role.value if r.user_role is not None else None,
                             "dump": r.model_dump_json(exclude={"parent_otel_span"})}
        except HTTPException as e:
            results[name] = {"status": e.status_code, "detail": str(e.detail)}
    out.append({"results": results})
print(json.dumps(out))
`;

interface Admitted {
  status: 200;
  isUserAPIKeyAuth: boolean;
  api_key: string;
  token: string;
  key_alias: string;
  models: string[];
  metadata: Record<string, unknown>;
  user_role: string | null;
  dump: string;
}
interface Refused {
  status: number;
  detail: string;
}
type Decision = Admitted | Refused;
interface AuthRun {
  importError?: string;
  results: Record<string, Decision>;
}
interface Case {
  path: string;
  method?: string;
  query?: string;
  rootPath?: string;
  headers?: Record<string, string>;
  /** what LiteLLM passes as api_key (null: no key header at all) */
  apiKey?: string | null;
}
interface Scenario {
  dir: string;
  env: Record<string, string>;
  cases: Record<string, Case>;
}

let dir: string;
let cleanup: () => Promise<void>;

async function runScenarios(scenarios: Scenario[]): Promise<AuthRun[]> {
  const r = await execa(PYTHON, ["-c", RUNNER], {
    input: JSON.stringify(scenarios.map((s) => ({ ...s, allEnv: Object.keys(KEYS) }))),
    env: { LITELLM_LOCAL_MODEL_COST_MAP: "True", PATH: process.env.PATH ?? "" },
    extendEnv: false,
    reject: false,
    timeout: 120_000,
  });
  if (r.exitCode !== 0) throw new Error(`the front-door runner failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as AuthRun[];
}

async function authDir(name: string, routeMap: unknown | null): Promise<string> {
  const d = join(dir, name);
  await mkdir(d, { recursive: true });
  await writeFile(join(d, AUTH_FILE), AUTH_MODULE_SOURCE);
  if (routeMap !== null) await writeFile(join(d, ROUTE_MAP_FILE), JSON.stringify(routeMap));
  return d;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

const CASES: Record<string, Case> = {
  "client chat": { path: "/v1/chat/completions", apiKey: OPENCLAW_KEY },
  "client Bearer-prefixed": { path: "/v1/chat/completions", apiKey: `Bearer ${OPENCLAW_KEY}` },
  "client x-api-key": { path: "/v1/messages", apiKey: null, headers: { "x-api-key": OPENCLAW_KEY } },
  "client x-api-key with an empty api_key": { path: "/v1/messages", apiKey: "", headers: { "x-api-key": OPENCLAW_KEY } },
  "client models": { path: "/v1/models", method: "GET", apiKey: OPENCLAW_KEY },
  "client trailing slash": { path: "/v1/chat/completions/", apiKey: OPENCLAW_KEY },
  "client models trailing slash": { path: "/models/", method: "GET", apiKey: OPENCLAW_KEY },
  "second client": { path: "/chat/completions", apiKey: NOTES_KEY },
  "master on a client endpoint": { path: "/v1/chat/completions", apiKey: MASTER_KEY },
  "master on a master endpoint": { path: "/health/readiness/details", method: "GET", apiKey: MASTER_KEY },
  "client on readiness details": { path: "/health/readiness/details", method: "GET", apiKey: OPENCLAW_KEY },
  "unknown key": { path: "/v1/chat/completions", apiKey: "sk-openclaw-8d2e71a4c09b5f6" },
  "unknown key, one character longer": { path: "/v1/chat/completions", apiKey: `${OPENCLAW_KEY}0` },
  "missing key": { path: "/v1/chat/completions", apiKey: null },
  "empty key": { path: "/v1/chat/completions", apiKey: "" },
  "blank Bearer": { path: "/v1/chat/completions", apiKey: "Bearer " },
  "unknown key on a refused path": { path: "/key/generate", apiKey: "sk-nobody" },
  "client ?model=": { path: "/v1/chat/completions", query: "model=secure-core", apiKey: OPENCLAW_KEY },
  "client empty ?model=": { path: "/v1/chat/completions", query: "stream=true&model=", apiKey: OPENCLAW_KEY },
  "master ?model=": { path: "/v1/chat/completions", query: "model=general-smart", apiKey: MASTER_KEY },
  "other query parameters": { path: "/v1/models", method: "GET", query: "return_wildcard_routes=false", apiKey: OPENCLAW_KEY },
  "Host header cannot change the path": { path: "/key/generate", headers: { host: "x/v1/models?" }, apiKey: OPENCLAW_KEY },
  "root_path stripped as FastAPI routes": { path: "/gw/key/generate", rootPath: "/gw", apiKey: MASTER_KEY },
};
for (const path of REFUSED_PATHS) {
  CASES[`client ${path}`] = { path, apiKey: OPENCLAW_KEY };
  CASES[`master ${path}`] = { path, apiKey: MASTER_KEY };
  CASES[`client ${path}/`] = { path: `${path}/`, apiKey: OPENCLAW_KEY };
}

let run: AuthRun;
let noMap: AuthRun;
let noFrontDoor: AuthRun;
let noMasterEnv: AuthRun;
let noClientEnv: AuthRun;
let emptyClientEnv: AuthRun;
let sharedKey: AuthRun;
let strayAlias: AuthRun;

const admitted = (name: string): Admitted => {
  const d = run.results[name]!;
  expect(d.status, `${name}: ${JSON.stringify(d)}`).toBe(200);
  return d as Admitted;
};
const refused = (name: string): Refused => {
  const d = run.results[name]!;
  expect(d.status, `${name}: ${JSON.stringify(d)}`).not.toBe(200);
  return d as Refused;
};

beforeAll(async () => {
  await access(PYTHON).catch(() => {
    throw new Error(`${PYTHON} is missing: run scripts/setup-litellm.sh to install the pinned LiteLLM into .venv-litellm`);
  });
  ({ dir, cleanup } = await tempDir("gatewayctl-auth-"));
  const routeMap = makeRouteMap("http://127.0.0.1:9/v1");
  const { frontDoor: _omitted, ...withoutFrontDoor } = routeMap;
  const withStrayAlias = {
    ...routeMap,
    frontDoor: { ...routeMap.frontDoor, clients: [{ name: "stray", keySecret: "S", keyEnv: NOTES_ENV, aliases: ["gw-fallback-mini"] }] },
  };
  const prod = await authDir("prod", routeMap);
  const without = { ...KEYS } as Record<string, string>;
  const omit = (name: string) => Object.fromEntries(Object.entries(without).filter(([k]) => k !== name));
  [run, noMap, noFrontDoor, noMasterEnv, noClientEnv, emptyClientEnv, sharedKey, strayAlias] = (await runScenarios([
    { dir: prod, env: KEYS, cases: CASES },
    { dir: await authDir("nomap", null), env: KEYS, cases: {} },
    { dir: await authDir("nofrontdoor", withoutFrontDoor), env: KEYS, cases: {} },
    { dir: prod, env: omit(MASTER_ENV), cases: {} },
    { dir: prod, env: omit(OPENCLAW_ENV), cases: {} },
    { dir: prod, env: { ...KEYS, [OPENCLAW_ENV]: "  " }, cases: {} },
    { dir: prod, env: { ...KEYS, [NOTES_ENV]: OPENCLAW_KEY }, cases: {} },
    { dir: await authDir("stray", withStrayAlias), env: KEYS, cases: {} },
  ])) as AuthRun[] as [AuthRun, AuthRun, AuthRun, AuthRun, AuthRun, AuthRun, AuthRun, AuthRun];
}, 120_000);
afterAll(async () => {
  await cleanup?.();
});

describe("gatewayctl_auth.py decisions in LiteLLM's Python", () => {
  it("imports with every key present", () => {
    expect(run.importError).toBeUndefined();
  });

  it("admits a client on its endpoints with exactly its aliases, its name, and a hash in place of its key", () => {
    const d = admitted("client chat");
    expect(d.isUserAPIKeyAuth).toBe(true);
    expect(d.models).toEqual(OPENCLAW_ALIASES);
    expect(d.key_alias).toBe("openclaw");
    expect(d.metadata).toMatchObject({ gatewayctl_client: "openclaw" });
    expect(d.api_key).toBe(sha256(OPENCLAW_KEY));
    expect(d.api_key).toMatch(/^[0-9a-f]{64}$/);
    expect(d.token).toBe(d.api_key);
    expect(d.user_role).toBe("internal_user");
    for (const key of ALL_KEY_VALUES) expect(d.dump).not.toContain(key);
    for (const name of ["client Bearer-prefixed", "client x-api-key", "client x-api-key with an empty api_key", "client models", "client trailing slash", "client models trailing slash", "other query parameters"]) {
      const other = admitted(name);
      expect(other.key_alias, name).toBe("openclaw");
      expect(other.models, name).toEqual(OPENCLAW_ALIASES);
      expect(other.api_key, name).toBe(sha256(OPENCLAW_KEY));
    }
  });

  it("gives each client its own aliases, and the master key every route alias but no internal group", () => {
    const notes = admitted("second client");
    expect(notes).toMatchObject({ key_alias: "notes", models: ["secure-core"], api_key: sha256(NOTES_KEY) });
    for (const name of ["master on a client endpoint", "master on a master endpoint"]) {
      const m = admitted(name);
      expect(m.key_alias, name).toBe("gatewayctl");
      expect([...m.models].sort(), name).toEqual(ROUTE_ALIASES);
      expect(m.models, name).not.toContain("gw-fallback-mini");
      expect(m.api_key, name).toBe(sha256(MASTER_KEY));
      expect(m.dump, name).not.toContain(MASTER_KEY);
    }
  });

  it("answers 401 without a key and for an unknown key, never echoing what was sent", () => {
    for (const name of ["missing key", "empty key", "blank Bearer"]) {
      expect(refused(name), name).toEqual({ status: 401, detail: expect.stringMatching(/^gatewayctl front door: no key/) });
    }
    for (const name of ["unknown key", "unknown key, one character longer", "unknown key on a refused path"]) {
      const d = refused(name);
      expect(d, name).toEqual({ status: 401, detail: "gatewayctl front door: unknown key" });
    }
  });

  it("refuses the master endpoint to a client key", () => {
    expect(refused("client on readiness details")).toEqual({
      status: 403,
      detail: "gatewayctl front door: /health/readiness/details is not an endpoint this gateway admits",
    });
  });

  it.each(REFUSED_PATHS)("refuses %s with 403 for a client key and for the master key, with or without a trailing slash", (path) => {
    const expected = { status: 403, detail: `gatewayctl front door: ${path} is not an endpoint this gateway admits` };
    expect(refused(`client ${path}`)).toEqual(expected);
    expect(refused(`master ${path}`)).toEqual(expected);
    expect(refused(`client ${path}/`)).toEqual(expected);
    for (const key of ALL_KEY_VALUES) expect(refused(`client ${path}`).detail).not.toContain(key);
  });

  it("refuses a model query parameter (the URL's model beats the body's), even an empty one, for every key", () => {
    for (const name of ["client ?model=", "client empty ?model=", "master ?model="]) {
      const d = refused(name);
      expect(d.status, name).toBe(403);
      expect(d.detail, name).toMatch(/^gatewayctl front door: a `model` query parameter is not admitted on \/v1\/chat\/completions/);
    }
  });

  it("decides on the path FastAPI dispatches on: not the Host header, root_path stripped", () => {
    expect(refused("Host header cannot change the path")).toEqual({
      status: 403,
      detail: "gatewayctl front door: /key/generate is not an endpoint this gateway admits",
    });
    expect(refused("root_path stripped as FastAPI routes")).toEqual({
      status: 403,
      detail: "gatewayctl front door: /key/generate is not an endpoint this gateway admits",
    });
  });
});

describe("front door loading", () => {
  it("fails to import without route-map.json or without its frontDoor section", () => {
    expect(noMap.importError).toMatch(/^RuntimeError: gatewayctl front door: cannot read .*route-map\.json/);
    expect(noFrontDoor.importError).toMatch(/^RuntimeError: gatewayctl front door: .*has no frontDoor section/);
  });

  it("fails to import when a key variable is unset or blank, naming the variable and never a key", () => {
    expect(noMasterEnv.importError).toMatch(new RegExp(`^RuntimeError: gatewayctl front door: environment variable ${MASTER_ENV} \\(the key of gatewayctl\\) is not set`));
    expect(noClientEnv.importError).toMatch(new RegExp(`^RuntimeError: gatewayctl front door: environment variable ${OPENCLAW_ENV} \\(the key of openclaw\\) is not set`));
    expect(emptyClientEnv.importError).toContain(OPENCLAW_ENV);
    for (const r of [noMasterEnv, noClientEnv, emptyClientEnv]) {
      for (const key of ALL_KEY_VALUES) expect(r.importError).not.toContain(key);
    }
  });

  it("fails to import when two variables carry the same key, naming both and not the key", () => {
    expect(sharedKey.importError).toMatch(/carry the same key/);
    expect(sharedKey.importError).toContain(OPENCLAW_ENV);
    expect(sharedKey.importError).toContain(NOTES_ENV);
    expect(sharedKey.importError).not.toContain(OPENCLAW_KEY);
  });

  it("fails to import when a client may use something that is not a route alias (an internal group)", () => {
    expect(strayAlias.importError).toMatch(/client 'stray' may use 'gw-fallback-mini', which is not a route alias/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The real proxy: LiteLLM 1.108.7 with both modules, over HTTP.

const CONFIG_YAML = (apiBase: string) => `model_list:
${["general-smart:smart", "routine-router:router", "secure-core:core", "gw-fallback-mini:mini"]
  .map((entry) => {
    const [group, model] = entry.split(":");
    return `  - model_name: ${group}
    litellm_params:
      model: openai/${model}
      api_base: ${apiBase}
      api_key: upstream-test-key
    model_info:
      id: "${group}:${model}"`;
  })
  .join("\n")}
litellm_settings:
  callbacks: [gatewayctl_guard.proxy_handler_instance]
general_settings:
  master_key: os.environ/${MASTER_ENV}
  custom_auth: gatewayctl_auth.user_api_key_auth
`;

describe("the real LiteLLM proxy behind the front door", () => {
  let proxy: ResultPromise | undefined;
  let output = "";
  let base: string;
  let cloud: RecordingBackend;
  let proxyDir: string;
  let proxyCleanup: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    await requireLitellm();
    cloud = await startRecordingCloud({ models: ["smart", "router", "core", "mini"], reply: "from the test backend" });
    ({ dir: proxyDir, cleanup: proxyCleanup } = await tempDir("gatewayctl-auth-proxy-"));
    await writeFile(join(proxyDir, "config.yaml"), CONFIG_YAML(cloud.url));
    await writeFile(join(proxyDir, ROUTE_MAP_FILE), JSON.stringify(makeRouteMap(cloud.url)));
    await writeFile(join(proxyDir, AUTH_FILE), AUTH_MODULE_SOURCE);
    await writeFile(join(proxyDir, GUARD_FILE), GUARD_MODULE_SOURCE);
    // LiteLLM serves its admin UI as static files at /ui without any auth (custom_auth never sees it). Pointing
    // LITELLM_UI_PATH at a directory without the UI (it must hold something and a _next/ folder) closes it: 404.
    await mkdir(join(proxyDir, "no-ui", "_next"), { recursive: true });
    await writeFile(join(proxyDir, "no-ui", "NO-UI.txt"), "gatewayctl: LiteLLM's admin UI is not served\n");
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    proxy = execa(LITELLM, ["--config", join(proxyDir, "config.yaml"), "--host", "127.0.0.1", "--port", String(port)], {
      cwd: proxyDir,
      env: { ...KEYS, LITELLM_LOCAL_MODEL_COST_MAP: "True", LITELLM_UI_PATH: join(proxyDir, "no-ui"), PATH: process.env.PATH ?? "" },
      extendEnv: false,
      reject: false,
      all: true,
      detached: true,
    });
    proxy.all?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    let exited = false;
    void proxy.then(() => {
      exited = true;
    });
    const deadline = Date.now() + 150_000;
    for (;;) {
      if (exited) throw new Error(`LiteLLM exited before answering:\n${output.slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`LiteLLM did not answer /health/liveliness within 150 s:\n${output.slice(-4000)}`);
      const up = await fetch(`${base}/health/liveliness`).then((r) => r.ok, () => false);
      if (up) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 180_000);

  afterAll(async () => {
    if (proxy?.pid !== undefined && proxy.exitCode === null) {
      try {
        process.kill(-proxy.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const stopped = await Promise.race([proxy.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
      if (!stopped) {
        try {
          process.kill(-proxy.pid, "SIGKILL");
        } catch {
          // already gone
        }
        await proxy;
      }
    }
    await cloud?.stop();
    await proxyCleanup?.();
  }, 30_000);

  const call = async (path: string, init: { method?: string; key?: string | null; headers?: Record<string, string>; body?: unknown } = {}) => {
    const headers: Record<string, string> = { ...(init.key ? bearer(init.key) : {}), ...init.headers };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    const r = await fetch(`${base}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await r.text();
    return { status: r.status, text, json: (() => { try { return JSON.parse(text) as unknown; } catch { return undefined; } })() };
  };
  const modelIds = (json: unknown) => ((json as { data: Array<{ id: string }> }).data ?? []).map((m) => m.id).sort();
  const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: "user", content: "hi" }], ...extra });

  it("lists exactly a client's aliases on /v1/models (Bearer and x-api-key), and every route alias for the master key", async () => {
    const claw = await call("/v1/models", { key: OPENCLAW_KEY });
    expect(claw.status, claw.text).toBe(200);
    expect(modelIds(claw.json)).toEqual(OPENCLAW_ALIASES);
    const viaHeader = await call("/v1/models", { headers: { "x-api-key": OPENCLAW_KEY } });
    expect(viaHeader.status, viaHeader.text).toBe(200);
    expect(modelIds(viaHeader.json)).toEqual(OPENCLAW_ALIASES);
    const notes = await call("/models", { key: NOTES_KEY });
    expect(modelIds(notes.json)).toEqual(["secure-core"]);
    const master = await call("/v1/models", { key: MASTER_KEY });
    expect(modelIds(master.json)).toEqual(ROUTE_ALIASES);
  });

  it("answers 401 to an unknown key and to no key, before any backend is asked", async () => {
    cloud.clear();
    for (const key of ["sk-nobody", null]) {
      for (const [path, body] of [["/v1/models", undefined], ["/v1/chat/completions", chat("general-smart")], ["/key/generate", {}]] as const) {
        const r = await call(path, { key, body });
        expect(r.status, `${path} ${key}: ${r.text}`).toBe(401);
        expect(r.text).toContain("gatewayctl front door:");
        expect(r.text).not.toContain("sk-nobody");
      }
    }
    expect(cloud.requests).toEqual([]);
  });

  it("serves a client's own alias, and the guard refuses it any other model with 403", async () => {
    cloud.clear();
    const ok = await call("/v1/chat/completions", { key: OPENCLAW_KEY, body: chat("general-smart") });
    expect(ok.status, ok.text).toBe(200);
    expect(cloud.modelCalls()).toHaveLength(1);
    cloud.clear();
    const other = await call("/v1/chat/completions", { key: OPENCLAW_KEY, body: chat("secure-core") });
    expect(other.status, other.text).toBe(403);
    expect(other.text).toContain("gatewayctl guard: openclaw may not use model 'secure-core'");
    const prefixed = await call("/v1/chat/completions", { key: MASTER_KEY, body: chat("openai/general-smart") });
    expect(prefixed.status, prefixed.text).toBe(403);
    expect(prefixed.text).toContain("gatewayctl guard: gatewayctl may not use model 'openai/general-smart'");
    const emptyKey = await call("/v1/chat/completions", { key: OPENCLAW_KEY, body: chat("openai/routine-router", { api_key: "" }) });
    expect(emptyKey.status, emptyKey.text).toBe(403);
    expect(emptyKey.text).toContain("request field 'api_key' is not allowed for route 'routine-router'");
    const queryModel = await call("/v1/chat/completions?model=secure-core", { key: OPENCLAW_KEY, body: chat("general-smart") });
    expect(queryModel.status, queryModel.text).toBe(403);
    expect(cloud.requests).toEqual([]);
  });

  it("passes plain requests for protected routes: LiteLLM puts no routing field into the body before the guard", async () => {
    cloud.clear();
    const local = await call("/v1/chat/completions", { key: OPENCLAW_KEY, body: chat("routine-router") });
    expect(local.status, local.text).toBe(200);
    const bare = await call("/chat/completions", { key: NOTES_KEY, body: chat("secure-core") });
    expect(bare.status, bare.text).toBe(200);
    const master = await call("/v1/chat/completions", { key: MASTER_KEY, body: chat("secure-core") });
    expect(master.status, master.text).toBe(200);
    const anthropic = await call("/v1/messages", {
      headers: { "x-api-key": OPENCLAW_KEY, "anthropic-version": "2023-06-01" },
      body: { model: "routine-router", max_tokens: 16, messages: [{ role: "user", content: "hi" }] },
    });
    // the guard let it through: LiteLLM sends /v1/messages for an openai/ model to the backend's /v1/responses, which
    // the recording backend does not serve (so LiteLLM passes its 404 on); what matters is that it got there
    expect([401, 403], anthropic.text).not.toContain(anthropic.status);
    expect(cloud.modelCalls()).toHaveLength(3);
    expect(cloud.requests.filter((r) => r.method === "POST").map((r) => [r.path, (r.body as { model?: string }).model])).toEqual([
      ["/v1/chat/completions", "router"],
      ["/v1/chat/completions", "core"],
      ["/v1/chat/completions", "core"],
      ["/v1/responses", "router"],
    ]);
  });

  it.each(REFUSED_PATHS)("closes %s to a client key and to the master key (403 or 404, never 2xx or 5xx)", async (path) => {
    cloud.clear();
    for (const key of [OPENCLAW_KEY, MASTER_KEY]) {
      const method = path === "/ui" ? "GET" : "POST";
      const r = await call(path, { key, method, body: method === "POST" ? chat("secure-core", { input: "hi" }) : undefined });
      expect([403, 404], `${path} (${key === MASTER_KEY ? "master" : "client"}): ${r.status} ${r.text.slice(0, 300)}`).toContain(r.status);
      if (r.status === 403) expect(r.text).toContain(`gatewayctl front door: ${path} is not an endpoint this gateway admits`);
      for (const k of ALL_KEY_VALUES) expect(r.text).not.toContain(k);
    }
    expect(cloud.requests).toEqual([]);
  });

  it("closes the routes that exist under the refused classes with 403 (not 404: the front door, not a missing route)", async () => {
    for (const [path, method] of [["/policy/templates/test", "POST"], ["/policy/templates", "GET"], ["/v1/files", "GET"], ["/health", "GET"], ["/model/info", "GET"], ["/v1/models/general-smart", "GET"]] as const) {
      const r = await call(path, { key: OPENCLAW_KEY, method, body: method === "POST" ? {} : undefined });
      expect(r.status, `${method} ${path}: ${r.text.slice(0, 300)}`).toBe(403);
    }
    const details = await call("/health/readiness/details", { key: OPENCLAW_KEY });
    expect(details.status, details.text).toBe(403);
  });

  it("keeps the health endpoints public, and readiness details open to the master key", async () => {
    expect((await call("/health/liveliness")).status).toBe(200);
    expect((await call("/health/readiness")).status).toBe(200);
    const details = await call("/health/readiness/details", { key: MASTER_KEY });
    expect(details.status, details.text).toBe(200);
    expect(details.text).toContain("GatewayctlGuard");
  });
});
