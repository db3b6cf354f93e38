import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLiteLLMConfig } from "../../src/artifact/parse-config.js";
import { proveRoutes } from "../../src/privacy/prove.js";
import { expectationsFromRouteMap } from "../../src/artifact/prove.js";
import { classifyDeployment } from "../../src/privacy/classify.js";
import { compilePolicy } from "../../src/compile/index.js";
import { GUARD_CALLBACK } from "../../src/artifact/types.js";
import { InputError } from "../../src/lib/errors.js";
import type { RouteExpectation } from "../../src/privacy/types.js";
import { ROOT } from "../support/cli.js";
import { basePolicyInput, policyFrom } from "../fixtures/compile/policies.js";

const LEAKY = join(ROOT, "test", "fixtures", "leaky-configs");
const CLEAN = join(ROOT, "test", "fixtures", "compile", "clean-config.yaml");
const privateCore: RouteExpectation[] = [{ alias: "secure-core", privacy: "local-only" }];

function fixture(name: string): { text: string; mechanism: string; path: string } {
  const text = readFileSync(join(LEAKY, name), "utf8");
  return { text, mechanism: /^# mechanism: (.*)$/m.exec(text)![1]!, path: /^# path: (.*)$/m.exec(text)![1]! };
}

const leakyFiles = readdirSync(LEAKY).filter((f) => f.endsWith(".yaml")).sort();

describe("every leak mechanism a config can express", () => {
  it("has one hand-written leaky config per mechanism", () => {
    const mechanisms = new Set(leakyFiles.map((f) => fixture(f).mechanism.replace(/ \(.*\)$|\s"[^"]*"$/, "")));
    for (const m of [
      "router_settings.fallbacks",
      "litellm_settings.fallbacks",
      "router_settings.default_fallbacks",
      "litellm_settings.default_fallbacks",
      "router_settings.context_window_fallbacks",
      "litellm_settings.content_policy_fallbacks",
      "wildcard",
      "router_settings.model_group_alias",
      "litellm_settings.model_alias_map",
      "general_settings.completion_model",
      "auto router",
      "litellm_settings.api_base",
      "missing api_base",
      "api_base from environment",
      "mixed model group",
      "model_info.id",
      "litellm_params.model match",
      "general_settings.allow_client_side_credentials",
      "configurable_clientside_auth_params",
      "STORE_MODEL_IN_DB",
    ]) {
      expect(mechanisms, m).toContain(m);
    }
  });

  it.each(leakyFiles)("%s: the private alias leaks, and the proof names the mechanism and the full path", (name) => {
    const { text, mechanism, path } = fixture(name);
    const report = proveRoutes(parseLiteLLMConfig(text, name), privateCore);
    expect(report.ok).toBe(false);
    expect(report.verdicts[0]).toMatchObject({ alias: "secure-core", ok: false });
    expect(report.leaks.map((l) => [l.mechanism, l.path])).toContainEqual([mechanism, path]);
    for (const leak of report.leaks) {
      expect(leak.alias).toBe("secure-core");
      expect(leak.deployment.location).toBe("cloud");
      expect(leak.path.startsWith("secure-core")).toBe(true);
      expect(leak.mechanisms.length).toBeGreaterThan(0);
    }
  });

  it("the same configs hold for an alias that is allowed to use the cloud", () => {
    for (const name of leakyFiles) {
      const report = proveRoutes(parseLiteLLMConfig(fixture(name).text, name), [{ alias: "secure-core", privacy: "cloud-allowed" }]);
      expect(report.ok, name).toBe(true);
    }
  });
});

describe("a clean config", () => {
  const config = parseLiteLLMConfig(readFileSync(CLEAN, "utf8"), "clean-config.yaml");

  it("keeps its private aliases local over fallbacks, fallbacks of fallbacks and context-window fallbacks", () => {
    const report = proveRoutes(config, [
      { alias: "secure-core", privacy: "local-only" },
      { alias: "notes", privacy: "local-only" },
      { alias: "web-model", privacy: "cloud-allowed" },
    ]);
    expect(report.leaks).toEqual([]);
    expect(report.ok).toBe(true);
    const reach = Object.fromEntries(report.verdicts.map((v) => [v.alias, v.reachable.map((r) => r.id).sort()]));
    expect(reach["secure-core"]).toEqual(["nas-backup:gemma", "notes:qwen", "secure-core:llama"]);
    expect(reach.notes).toEqual(["nas-backup:gemma", "notes:qwen", "secure-core:llama"]);
    expect(reach["web-model"]).toEqual(["premium:sonnet", "web-model:mini"]);
  });

  it("turns into a leak when the same host is public, and back when it is trusted with --local-host", () => {
    const text = readFileSync(CLEAN, "utf8").replace("http://nas:8080/v1", "http://backup.example.com:8080/v1");
    const leaky = parseLiteLLMConfig(text, "x.yaml");
    const report = proveRoutes(leaky, privateCore);
    expect(report.leaks[0]?.path).toBe(
      "secure-core → [router_settings.fallbacks] → nas-backup (openai/gemma-3 @ http://backup.example.com:8080/v1, cloud)",
    );
    expect(proveRoutes(leaky, privateCore, { localHosts: ["backup.example.com"] }).ok).toBe(true);
  });
});

describe("local-first routes", () => {
  const compiled = compilePolicy(policyFrom(), { policyFile: "gateway.policy.yaml" });
  const expectations = expectationsFromRouteMap(compiled.routeMap);

  it("the compiled config proves clean against its own route map", () => {
    expect(proveRoutes(compiled.config, expectations).ok).toBe(true);
  });

  it("fails when a local-first alias reaches a deployment its route does not list", () => {
    const config = structuredClone(compiled.config);
    const fallbacks = config.router_settings!.fallbacks as Array<Record<string, string[]>>;
    fallbacks.find((f) => "routine-router" in f)!["routine-router"]!.push("gw-fallback-deepseek");
    const report = proveRoutes(config, expectations);
    expect(report.ok).toBe(false);
    expect(report.leaks).toHaveLength(1);
    expect(report.leaks[0]).toMatchObject({ alias: "routine-router", privacy: "local-first", mechanism: "router_settings.fallbacks" });
    expect(report.leaks[0]!.path).toBe(
      "routine-router → [router_settings.fallbacks] → gw-fallback-deepseek (openai/deepseek/deepseek-chat @ https://openrouter.ai/api/v1, cloud)".replace(
        "openai/deepseek",
        "openrouter/deepseek",
      ),
    );
  });

  it("fails when a local-first alias's own model is cloud, even with no route map ids", () => {
    const config = structuredClone(compiled.config);
    const own = config.model_list.find((m) => m.model_name === "routine-router")!;
    own.litellm_params = { model: "openai/gpt-4o-mini", api_base: "https://api.openai.com/v1" };
    const report = proveRoutes(config, [{ alias: "routine-router", privacy: "local-first" }]);
    expect(report.leaks.map((l) => l.message)).toEqual([expect.stringContaining("its own model routine-router:llama is cloud")]);
  });

  it("a local-only alias may not gain a cloud fallback in the artifact (the build fails on it)", () => {
    const config = structuredClone(compiled.config);
    (config.router_settings!.fallbacks as unknown[]).push({ "secure-core": ["gw-fallback-mini"] });
    const report = proveRoutes(config, expectations);
    expect(report.leaks.map((l) => l.path)).toEqual([
      "secure-core → [router_settings.fallbacks] → gw-fallback-mini (openai/gpt-4o-mini @ https://api.openai.com/v1, cloud)",
    ]);
  });
});

describe("request-borne mechanisms", () => {
  const base = { model_list: [{ model_name: "secure-core", litellm_params: { model: "ollama_chat/x", api_base: "http://127.0.0.1:11434" } }] };

  it("are warnings with what closes them, open without the guard", () => {
    const report = proveRoutes(base, privateCore);
    expect(report.ok).toBe(true);
    expect(report.guard).toBe(false);
    const mechanisms = report.warnings.map((w) => w.mechanism);
    for (const m of [
      "request fallbacks",
      "request api_base",
      "request user_config",
      "request router_settings_override",
      "request comma-separated model",
      "request direct deployment addressing",
    ]) {
      expect(mechanisms).toContain(m);
    }
    for (const w of report.warnings) {
      expect(w.closed).toBe(false);
      expect(w.closedBy.length).toBeGreaterThan(10);
    }
  });

  it("are closed by the guard when its callback is configured, unless its module is missing", () => {
    const guarded = { ...base, litellm_settings: { callbacks: [GUARD_CALLBACK] } };
    const report = proveRoutes(guarded, privateCore);
    expect(report.guard).toBe(true);
    // every request-borne mechanism is closed by the guard; the front door's absence is a warning of its own
    expect(report.warnings.filter((w) => w.mechanism !== "general_settings.custom_auth").every((w) => w.closed && w.closedBy.includes("guard"))).toBe(true);
    expect(report.warnings.find((w) => w.mechanism === "general_settings.custom_auth")).toMatchObject({ closed: false });
    const withDoor = proveRoutes({ ...guarded, general_settings: { custom_auth: "gatewayctl_auth.user_api_key_auth" } }, privateCore);
    expect(withDoor.warnings.every((w) => w.closed)).toBe(true);
    const missing = proveRoutes(guarded, privateCore, { guardPresent: false });
    expect(missing.guard).toBe(false);
    expect(missing.warnings.some((w) => w.closed)).toBe(false);
  });
});

describe("odd configs", () => {
  it("an alias with no model group is a warning, not a leak (LiteLLM answers 400)", () => {
    const report = proveRoutes({ model_list: [] }, [{ alias: "ghost", privacy: "local-only" }]);
    expect(report.ok).toBe(true);
    expect(report.verdicts[0]!.note).toContain("no model group named ghost");
  });

  it("an unknown alias caught by default_fallbacks leaks", () => {
    const { text } = fixture("router-default-fallbacks.yaml");
    const report = proveRoutes(parseLiteLLMConfig(text, "x"), [{ alias: "typo-core", privacy: "local-only" }]);
    expect(report.leaks.map((l) => l.path)).toEqual([
      "typo-core → [router_settings.default_fallbacks] → gw-fallback-mini (openai/gpt-4o-mini @ https://api.openai.com/v1, cloud)",
    ]);
  });

  it("an auto router whose config is a file counts as reaching the cloud", () => {
    const config = {
      model_list: [
        { model_name: "secure-core", litellm_params: { model: "auto_router/x", auto_router_config_path: "router.json", auto_router_default_model: "secure-core" } },
      ],
    };
    const report = proveRoutes(config, privateCore);
    expect(report.leaks.map((l) => l.mechanism)).toEqual(["auto router"]);
    expect(report.leaks[0]!.path).toContain("router.json");
  });

  it("never throws on garbage shapes", () => {
    for (const config of [null, 42, "text", [], { model_list: "x" }, { model_list: [null, 1, { model_name: 5 }], router_settings: { fallbacks: "x" } }, { router_settings: { fallbacks: [{ a: null }, 3], model_group_alias: [] } }]) {
      expect(() => proveRoutes(config, privateCore)).not.toThrow();
    }
  });

  it("fallback loops terminate", () => {
    const config = {
      model_list: [
        { model_name: "secure-core", litellm_params: { model: "ollama_chat/a", api_base: "http://127.0.0.1:1" } },
        { model_name: "b", litellm_params: { model: "ollama_chat/b", api_base: "http://127.0.0.1:2" } },
      ],
      router_settings: { fallbacks: [{ "secure-core": ["b"] }, { b: ["secure-core"] }] },
    };
    expect(proveRoutes(config, privateCore).verdicts[0]!.reachable).toHaveLength(2);
  });
});

describe("classifyDeployment", () => {
  const ctx = { localHosts: new Set<string>() };
  it.each([
    [{ model: "ollama_chat/x", api_base: "http://127.0.0.1:11434" }, "local"],
    [{ model: "openai/x", api_base: "http://10.0.0.5:8000/v1" }, "local"],
    [{ model: "hosted_vllm/x", api_base: "http://vllm:8000/v1" }, "local"],
    [{ model: "lm_studio/x", api_base: "http://studio.local:1234/v1" }, "local"],
    [{ model: "openai/x", api_base: "http://[fd00::1]:8000/v1" }, "local"],
    [{ model: "openai/x", api_base: "https://api.together.xyz/v1" }, "cloud"],
    [{ model: "openai/x" }, "cloud"],
    [{ model: "ollama/x" }, "cloud"],
    [{ model: "anthropic/claude", api_base: "http://127.0.0.1:9" }, "cloud"],
    [{ model: "gemini/x" }, "cloud"],
    [{ model: "bedrock/x" }, "cloud"],
    [{ model: "some-new-vendor/x", api_base: "http://127.0.0.1:9" }, "cloud"],
    [{ model: "gpt-4o" }, "cloud"],
    [{ model: "openai/x", api_base: "os.environ/X" }, "cloud"],
    [{ model: "openai/x", api_base: "not a url" }, "cloud"],
  ])("%j is %s", (params, location) => {
    expect(classifyDeployment(params, ctx).location).toBe(location);
  });
});

describe("parseLiteLLMConfig", () => {
  it("rejects text that is not YAML or not a mapping with InputError (exit 2)", () => {
    for (const text of ["model_list: [\n", "- a\n- b\n", "just text", "model_list: 3\n"]) {
      let caught: unknown;
      try {
        parseLiteLLMConfig(text, "bad.yaml");
      } catch (err) {
        caught = err;
      }
      expect(caught, text).toBeInstanceOf(InputError);
      expect((caught as InputError).exitCode).toBe(2);
      expect((caught as InputError).message).toContain("bad.yaml");
    }
  });

  it("accepts an empty model_list", () => {
    expect(parseLiteLLMConfig("general_settings: {}\n", "x").model_list).toEqual([]);
  });
});

describe("the proof at scale", () => {
  it("proves 1,000 routes over 3,000 deployments quickly", () => {
    const input = basePolicyInput();
    input.models = {};
    input.routes = {};
    for (let i = 0; i < 3000; i++) input.models[`m${i}`] = { backend: i % 3 === 0 ? "openai" : "ollama", name: `model-${i}` };
    for (let i = 0; i < 1000; i++) {
      input.routes[`r${i}`] = { lane: i % 2 === 0 ? "private" : "web", model: `m${3 * i + 1}`, fallbacks: i % 2 === 0 ? [`m${3 * i + 2}`] : [`m${3 * i}`] };
    }
    const started = performance.now();
    const compiled = compilePolicy(policyFrom(input), { policyFile: "big.yaml" });
    const report = proveRoutes(compiled.config, expectationsFromRouteMap(compiled.routeMap));
    expect(report.ok).toBe(true);
    expect(report.verdicts).toHaveLength(1000);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe("exact LiteLLM semantics where they narrow what is reachable", () => {
  const models = [
    { model_name: "secure-core", litellm_params: { model: "ollama_chat/a", api_base: "http://127.0.0.1:11434" } },
    { model_name: "local-b", litellm_params: { model: "ollama_chat/b", api_base: "http://127.0.0.1:11434" } },
    { model_name: "cloud", litellm_params: { model: "openai/gpt-4o", api_base: "https://api.openai.com/v1" } },
  ];

  it("non-empty router_settings.fallbacks replace litellm_settings.fallbacks", () => {
    const config = {
      model_list: models,
      router_settings: { fallbacks: [{ "secure-core": ["local-b"] }] },
      litellm_settings: { fallbacks: [{ "secure-core": ["cloud"] }] },
    };
    expect(proveRoutes(config, privateCore).ok).toBe(true);
    const emptyRouter = { ...config, router_settings: { fallbacks: [] } };
    expect(proveRoutes(emptyRouter, privateCore).leaks.map((l) => l.mechanism)).toEqual(["litellm_settings.fallbacks"]);
  });

  it("a group's own fallbacks entry wins over a * entry and default_fallbacks", () => {
    const config = {
      model_list: models,
      router_settings: { fallbacks: [{ "secure-core": ["local-b"] }, { "*": ["cloud"] }], default_fallbacks: ["cloud"] },
    };
    const report = proveRoutes(config, privateCore);
    // secure-core has its own entry; local-b does not, so the * entry applies to it: fallbacks of fallbacks
    expect(report.leaks.map((l) => l.path)).toEqual([
      "secure-core → [router_settings.fallbacks] → local-b → [router_settings.fallbacks] → cloud (openai/gpt-4o @ https://api.openai.com/v1, cloud)",
    ]);
  });

  it("a deployment the policy declares cloud counts as cloud whatever its host", () => {
    const config = { model_list: [{ model_name: "secure-core", litellm_params: { model: "openai/x", api_base: "http://127.0.0.1:8080/v1" }, model_info: { id: "secure-core:x" } }] };
    expect(proveRoutes(config, privateCore).ok).toBe(true);
    const report = proveRoutes(config, privateCore, { cloudDeploymentIds: ["secure-core:x"] });
    expect(report.leaks[0]!.deployment.reason).toContain("the policy declares its backend location: cloud");
  });
});

describe("fail-open settings of the front door (refused by build, leaks for audit)", () => {
  const local = {
    model_list: [
      { model_name: "secure-core", litellm_params: { model: "ollama_chat/llama3.1:8b", api_base: "http://127.0.0.1:11434" }, model_info: { id: "secure-core:llama" } },
      { model_name: "web", litellm_params: { model: "openai/gpt-4o-mini", api_base: "https://api.openai.com/v1" }, model_info: { id: "web:mini" } },
    ],
    litellm_settings: { callbacks: [GUARD_CALLBACK] },
  };
  const mechanismsOf = (config: unknown): string[] => proveRoutes(config, privateCore).leaks.map((l) => l.mechanism);

  it("pass_through_endpoints", () => {
    expect(mechanismsOf({ ...local, general_settings: { pass_through_endpoints: [{ path: "/v1/x", target: "https://api.openai.com" }] } })).toContain(
      "general_settings.pass_through_endpoints",
    );
  });
  it("a response cache that stores responses, unless supported_call_types is empty", () => {
    expect(mechanismsOf({ ...local, litellm_settings: { ...local.litellm_settings, cache: true } })).toContain("litellm_settings.cache");
    expect(mechanismsOf({ ...local, litellm_settings: { ...local.litellm_settings, cache: true, cache_params: { supported_call_types: [] } } })).toEqual([]);
  });
  it("background health checks while a cloud deployment exists", () => {
    expect(mechanismsOf({ ...local, general_settings: { background_health_checks: true } })).toContain("general_settings.background_health_checks");
    expect(mechanismsOf({ model_list: [local.model_list[0]], general_settings: { background_health_checks: true } })).toEqual([]);
  });
  it("allow_client_side_credentials and store_model_in_db stay leaks", () => {
    expect(mechanismsOf({ ...local, general_settings: { allow_client_side_credentials: true } })).toContain("general_settings.allow_client_side_credentials");
    expect(mechanismsOf({ ...local, general_settings: { store_model_in_db: true } })).toContain("STORE_MODEL_IN_DB");
  });
});
