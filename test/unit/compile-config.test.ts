import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { compilePolicy } from "../../src/compile/index.js";
import { GUARD_CALLBACK, LEDGER_CALLBACK } from "../../src/artifact/types.js";
import { plainDecimal } from "../../src/artifact/yaml.js";
import { dockerReachableUrl } from "../../src/compile/route-map.js";
import { PolicyError } from "../../src/lib/errors.js";
import type { LiteLLMConfig } from "../../src/artifact/types.js";
import { basePolicyInput, policyFrom } from "../fixtures/compile/policies.js";

const file = "policies/gateway.policy.yaml";

function compiled(input = basePolicyInput()) {
  return compilePolicy(policyFrom(input), { policyFile: file });
}

function fileText(c: ReturnType<typeof compiled>, path: string): string {
  const f = c.files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path}`);
  return f.content;
}

/** config.yaml as the proxy reads it (the text, not the object). */
function configOf(c: ReturnType<typeof compiled>): LiteLLMConfig {
  return parse(fileText(c, "config.yaml")) as LiteLLMConfig;
}

function entry(config: LiteLLMConfig, group: string) {
  const entries = config.model_list.filter((m) => m.model_name === group);
  expect(entries).toHaveLength(1);
  return entries[0]!;
}

describe("config.yaml model groups", () => {
  it("has one group per alias with exactly its primary deployment, plus one internal group per fallback model", () => {
    const config = configOf(compiled());
    const groups = config.model_list.map((m) => m.model_name);
    expect(groups).toEqual([
      "secure-core",
      "local-gemma",
      "routine-router",
      "web-model",
      "gw-fallback-deepseek",
      "gw-fallback-mini",
      "gw-fallback-qwen",
      "gw-fallback-sonnet",
    ]);
    expect(entry(config, "secure-core").litellm_params.model).toBe("ollama_chat/llama3.1:8b");
    expect(entry(config, "gw-fallback-qwen").litellm_params.model).toBe("openai/qwen2.5-32b");
  });

  it("ids deployments <group>:<modelKey>", () => {
    const config = configOf(compiled());
    for (const m of config.model_list) expect(m.model_info?.id).toMatch(new RegExp(`^${m.model_name}:[a-z]+$`));
    expect(entry(config, "gw-fallback-mini").model_info?.id).toBe("gw-fallback-mini:mini");
  });

  it("lists explicit fallbacks per alias, in order, to internal groups only", () => {
    const config = configOf(compiled());
    expect(config.router_settings?.fallbacks).toEqual([
      { "secure-core": ["gw-fallback-qwen"] },
      { "routine-router": ["gw-fallback-mini", "gw-fallback-sonnet"] },
      { "web-model": ["gw-fallback-sonnet", "gw-fallback-deepseek"] },
    ]);
    expect(config.router_settings?.num_retries).toBeLessThanOrEqual(2);
  });

  it("never puts a local and a cloud deployment in the same group", () => {
    const c = compiled();
    const byGroup = new Map<string, Set<string>>();
    for (const d of c.routeMap.deployments) byGroup.set(d.group, (byGroup.get(d.group) ?? new Set()).add(d.location));
    for (const [group, locations] of byGroup) expect(locations.size, group).toBe(1);
  });

  it("gives every self-hosted deployment an explicit api_base; ollama_chat without /v1 and the trailing slash", () => {
    const config = configOf(compilePolicy(policyFrom({ ...basePolicyInput(), gateway: { runtime: "process" } }), { policyFile: file }));
    expect(entry(config, "secure-core").litellm_params.api_base).toBe("http://127.0.0.1:11434");
    expect(entry(config, "gw-fallback-qwen").litellm_params.api_base).toBe("http://192.168.1.20:8000/v1");
    expect(entry(config, "local-gemma").litellm_params.api_base).toBe("http://localhost:8080/v1");
    const input = basePolicyInput();
    input.backends.ollama = { type: "ollama", url: "http://ollama.lan:11434/v1", location: "local" };
    expect(entry(configOf(compiled(input)), "secure-core").litellm_params.api_base).toBe("http://ollama.lan:11434");
  });

  it("gives openai-compatible servers their key as os.environ/NAME, else a placeholder the SDK accepts", () => {
    const config = configOf(compiled());
    expect(entry(config, "local-gemma").litellm_params.api_key).toBe("os.environ/GATEWAYCTL_SECRET_LLAMACPP_KEY");
    expect(entry(config, "gw-fallback-qwen").litellm_params.api_key).toBe("no-key");
    expect(entry(config, "secure-core").litellm_params.api_key).toBeUndefined();
  });

  it("emits cloud providers with their prefix, explicit public api_base for openai and openrouter, and keys only from the environment", () => {
    const config = configOf(compiled());
    expect(entry(config, "web-model").litellm_params).toMatchObject({
      model: "openai/gpt-4o-mini",
      api_base: "https://api.openai.com/v1",
      api_key: "os.environ/GATEWAYCTL_SECRET_OPENAI_API_KEY",
    });
    expect(entry(config, "gw-fallback-sonnet").litellm_params).toMatchObject({
      model: "anthropic/claude-sonnet-4-5",
      api_key: "os.environ/GATEWAYCTL_SECRET_ANTHROPIC_API_KEY",
    });
    expect(entry(config, "gw-fallback-deepseek").litellm_params).toMatchObject({
      model: "openrouter/deepseek/deepseek-chat",
      api_base: "https://openrouter.ai/api/v1",
      api_key: "os.environ/GATEWAYCTL_SECRET_OPENROUTER_API_KEY",
    });
    for (const m of config.model_list) {
      const key = m.litellm_params.api_key;
      if (key !== undefined) expect(String(key)).toMatch(/^(os\.environ\/[A-Z_][A-Z0-9_]*|no-key)$/);
    }
  });

  it("takes the master key from the environment and loads the guard callback", () => {
    const input = basePolicyInput();
    input.gateway = { masterKey: { secret: "GATEWAY_KEY" } };
    const c = compiled(input);
    const config = configOf(c);
    expect(config.general_settings?.master_key).toBe("os.environ/GATEWAYCTL_SECRET_GATEWAY_KEY");
    expect(config.general_settings?.custom_auth).toBe("gatewayctl_auth.user_api_key_auth");
    expect(config.litellm_settings?.callbacks).toEqual([GUARD_CALLBACK, LEDGER_CALLBACK]);
    expect(c.routeMap.gateway.secretNames).toEqual(["ANTHROPIC_API_KEY", "GATEWAY_KEY", "LLAMACPP_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY"]);
  });

  it("sets per-token costs from the per-million price (0 for unpriced local models), as plain decimals PyYAML reads as floats", () => {
    const c = compiled();
    const config = configOf(c);
    expect(entry(config, "web-model").litellm_params.input_cost_per_token).toBe(0.00000015);
    expect(entry(config, "web-model").litellm_params.output_cost_per_token).toBe(0.0000006);
    expect(entry(config, "gw-fallback-sonnet").litellm_params.output_cost_per_token).toBe(0.000015);
    expect(entry(config, "secure-core").litellm_params.input_cost_per_token).toBe(0);
    // unpriced cloud model: LiteLLM's own cost map applies
    expect(entry(config, "gw-fallback-deepseek").litellm_params.input_cost_per_token).toBeUndefined();
    const text = fileText(c, "config.yaml");
    expect(text).toContain("input_cost_per_token: 0.00000015");
    expect(text).not.toMatch(/cost_per_token: [0-9.]+e/);
  });

  it("never emits a mechanism that routes beyond the listed fallbacks", () => {
    const text = fileText(compiled(), "config.yaml");
    for (const forbidden of [
      "default_fallbacks",
      "model_group_alias",
      "model_alias_map",
      "completion_model",
      "allow_client_side_credentials",
      "auto_router",
      "complexity_router",
      "context_window_fallbacks",
      "content_policy_fallbacks",
    ]) {
      expect(text).not.toContain(forbidden);
    }
    const config = configOf(compiled());
    expect(config.model_list.some((m) => m.model_name.includes("*") || String(m.litellm_params.model).includes("*"))).toBe(false);
    expect(config.litellm_settings?.api_base).toBeUndefined();
    expect(Object.keys(config).sort()).toEqual(["general_settings", "litellm_settings", "model_list", "router_settings"]);
  });

  it("rewrites loopback backend URLs to host.docker.internal for the docker runtime only", () => {
    const docker = configOf(compiled());
    expect(entry(docker, "secure-core").litellm_params.api_base).toBe("http://host.docker.internal:11434");
    expect(entry(docker, "local-gemma").litellm_params.api_base).toBe("http://host.docker.internal:8080/v1");
    expect(entry(docker, "gw-fallback-qwen").litellm_params.api_base).toBe("http://192.168.1.20:8000/v1");
    expect(dockerReachableUrl("http://[::1]:8000/v1")).toBe("http://host.docker.internal:8000/v1");
    expect(dockerReachableUrl("https://api.openai.com/v1")).toBe("https://api.openai.com/v1");
    const proc = configOf(compilePolicy(policyFrom({ ...basePolicyInput(), gateway: { runtime: "process" } }), { policyFile: file }));
    expect(entry(proc, "local-gemma").litellm_params.api_base).toBe("http://localhost:8080/v1");
  });

  it("writes model context window and output limit into model_info", () => {
    expect(entry(configOf(compiled()), "secure-core").model_info).toMatchObject({ max_input_tokens: 131072, max_output_tokens: 4096 });
  });
});

describe("route map", () => {
  it("plans each alias with effective privacy, allowed deployments, cloud backends and max price", () => {
    const input = basePolicyInput();
    input.routes["strict-web"] = { lane: "web", model: "llama", privacy: "local-only" };
    input.routes["loose-private"] = { lane: "private", model: "llama", privacy: "cloud-allowed" };
    const map = compiled(input).routeMap;
    const r = (alias: string) => map.routes.find((x) => x.alias === alias)!;
    expect(r("routine-router")).toMatchObject({
      lane: "routine",
      privacy: "local-first",
      primaryDeploymentId: "routine-router:llama",
      fallbackGroups: ["gw-fallback-mini", "gw-fallback-sonnet"],
      allowedDeploymentIds: ["routine-router:llama", "gw-fallback-mini:mini", "gw-fallback-sonnet:sonnet"],
      cloudBackends: ["anthropic", "openai"],
      maxPrice: { input: 3, output: 15 },
    });
    expect(r("secure-core").cloudBackends).toEqual([]);
    expect(r("secure-core").contextWindow).toBe(131072);
    // a route may be stricter than its lane, never looser
    expect(r("strict-web").privacy).toBe("local-only");
    expect(r("loose-private").privacy).toBe("local-only");
    expect(map.internalGroups).toEqual(["gw-fallback-deepseek", "gw-fallback-mini", "gw-fallback-qwen", "gw-fallback-sonnet"]);
    expect(map.generatedBy).toMatch(/^gatewayctl \d+\.\d+\.\d+ from gateway\.policy\.yaml \(policy sha256:[0-9a-f]{16}\)/);
  });

  it("is written as route-map.json with a generatedBy field", () => {
    const c = compiled();
    expect(JSON.parse(fileText(c, "route-map.json"))).toEqual(c.routeMap);
  });
});

describe("generated files", () => {
  it("writes exactly the documented files, sorted, each with a header naming gatewayctl and the policy file name", () => {
    const c = compiled();
    const paths = c.files.map((f) => f.path);
    for (const p of [".env.example", "config.yaml", "docker-compose.yml", "gatewayctl_guard.py", "route-map.json", "routes.md"]) {
      expect(paths).toContain(p);
    }
    expect(paths).toEqual([...paths].sort());
    for (const name of ["config.yaml", "docker-compose.yml", ".env.example", "gatewayctl_guard.py"]) {
      expect(fileText(c, name).split("\n")[0]).toMatch(/^# Generated by gatewayctl \S+ from gateway\.policy\.yaml \(policy sha256:[0-9a-f]{16}\)\.$/);
    }
    expect(fileText(c, "routes.md").startsWith("<!--\nGenerated by gatewayctl")).toBe(true);
    // the directory the policy was given with never leaks into the output
    for (const f of c.files) expect(f.content).not.toContain("policies/");
  });

  it("is byte-identical for the same policy whatever path it was loaded from, and changes with the policy", () => {
    const a = compilePolicy(policyFrom(), { policyFile: "/home/a/gateway.policy.yaml" });
    const b = compilePolicy(policyFrom(), { policyFile: "gateway.policy.yaml" });
    expect(b.files).toEqual(a.files);
    const input = basePolicyInput();
    input.gateway = { port: 4001 };
    const c = compiled(input);
    expect(fileText(c, "config.yaml")).not.toBe(fileText(b, "config.yaml"));
  });

  it(".env.example names every secret the config needs, with a comment each and no values", () => {
    const text = fileText(compiled(), ".env.example");
    const assignments = text.split("\n").filter((l) => l.includes("="));
    expect(assignments).toEqual(["ANTHROPIC_API_KEY=", "LITELLM_MASTER_KEY=", "LLAMACPP_KEY=", "OPENAI_API_KEY=", "OPENROUTER_API_KEY="]);
    expect(text).toMatch(/# LiteLLM proxy master key.*\nLITELLM_MASTER_KEY=/);
    expect(text).toMatch(/# API key of backend "openai" \(openai\)\nOPENAI_API_KEY=/);
  });

  it("routes.md shows alias, lane, privacy, model, fallbacks, reachable cloud providers and price", () => {
    const text = fileText(compiled(), "routes.md");
    expect(text).toContain(
      "| `routine-router` | routine | local-first | `llama` (ollama_chat/llama3.1:8b on ollama, local) | `mini` (openai/gpt-4o-mini on openai, cloud), `sonnet` (anthropic/claude-sonnet-4-5 on anthropic, cloud) | anthropic, openai | $3 in / $15 out |",
    );
    expect(text).toMatch(/\| `secure-core` \| private \| local-only \| .* \| none \| free \|/);
    expect(text).toContain("| `gw-fallback-mini:mini` | `gw-fallback-mini` | openai/gpt-4o-mini | https://api.openai.com/v1 | cloud |");
  });
});

describe("docker-compose.yml", () => {
  function compose(input = basePolicyInput()) {
    return parse(fileText(compiled(input), "docker-compose.yml")) as { services: Record<string, Record<string, unknown>> };
  }

  it("runs the pinned image with the generations directory mounted read-only beside /app and the config read through its current link", () => {
    const svc = compose().services.litellm!;
    expect(svc.image).toBe("ghcr.io/berriai/litellm:1.108.7");
    expect(svc.volumes).toEqual(["/var/lib/gatewayctl/runtime.generations:/etc/gatewayctl/generations:ro", "/var/lib/gatewayctl/runtime.state/ledger:/var/lib/gatewayctl/ledger"]);
    expect(svc.command).toEqual(["--config", "/etc/gatewayctl/generations/current/config.yaml", "--port", "4000"]);
    for (const v of svc.volumes as string[]) expect(v.split(":")[1]).not.toMatch(/^\/app(\/|$)/);
    expect(svc.restart).toBe("unless-stopped");
    expect(svc.extra_hosts).toEqual(["host.docker.internal:host-gateway"]);
    expect(JSON.stringify(svc.healthcheck)).toContain("/health/liveliness");
    // the LiteLLM image has python3 and no wget or curl
    expect((svc.healthcheck as { test: string[] }).test.slice(0, 2)).toEqual(["CMD", "python3"]);
    expect(JSON.stringify(svc.healthcheck)).not.toMatch(/wget|curl/);
    expect(svc.environment).toMatchObject({ LITELLM_LOCAL_MODEL_COST_MAP: "True", LITELLM_MODE: "PRODUCTION" });
  });

  it("publishes the port on the bind address only", () => {
    const input = basePolicyInput();
    input.gateway = { bind: "192.168.1.5", port: 4123 };
    expect(compose(input).services.litellm!.ports).toEqual(["192.168.1.5:4123:4000"]);
    expect(compose().services.litellm!.ports).toEqual(["127.0.0.1:4000:4000"]);
  });

  it("passes secrets under gatewayctl's own names, interpolated by compose; never a value, never a well-known name", () => {
    const input = basePolicyInput();
    input.secrets = { provider: "env-file", file: "~/.config/gatewayctl/secrets.env" };
    const text = fileText(compiled(input), "docker-compose.yml");
    const svc = (parse(text) as { services: Record<string, Record<string, unknown>> }).services.litellm!;
    // an env_file would put OPENAI_API_KEY itself into the container, where provider SDKs fall back to it
    expect(svc.env_file).toBeUndefined();
    const env = svc.environment as Record<string, unknown>;
    expect(env.GATEWAYCTL_SECRET_OPENAI_API_KEY).toBe("${OPENAI_API_KEY:?set OPENAI_API_KEY (gatewayctl secrets)}");
    expect(Object.keys(env)).not.toContain("OPENAI_API_KEY");
    expect(text).toContain("docker-compose --env-file ~/.config/gatewayctl/secrets.env -f docker-compose.yml up -d");
    // a relative secrets file is the policy directory's: compose resolves --env-file from where it runs (this directory)
    input.secrets = { provider: "env-file", file: "./secrets.env" };
    expect(fileText(compiled(input), "docker-compose.yml")).toContain("docker-compose --env-file ../secrets.env -f docker-compose.yml up -d");
  });

  it("uses the policy's image when it sets one", () => {
    const input = basePolicyInput();
    input.gateway = { image: "registry.lan/litellm@sha256:abc" };
    expect(compose(input).services.litellm!.image).toBe("registry.lan/litellm@sha256:abc");
  });
});

describe("refusals", () => {
  it("leaves the LiteLLM version to the policy rules (one judgement, one wording): compile adds no version warning", () => {
    const input = basePolicyInput();
    input.gateway = { litellmVersion: "1.83.14" };
    expect(compiled(input).warnings).toEqual([]);
  });

  it("lists every dangling reference as a PolicyError instead of crashing", () => {
    const input = basePolicyInput();
    input.routes["bad-lane"] = { lane: "nope", model: "llama" };
    input.routes["bad-model"] = { lane: "private", model: "nope" };
    input.routes["bad-fallback"] = { lane: "private", model: "llama", fallbacks: ["ghost"] };
    input.models.orphan = { backend: "missing", name: "x" };
    input.routes["bad-backend"] = { lane: "private", model: "orphan" };
    input.backends.nourl = { type: "ollama", location: "local" };
    input.models.nourl = { backend: "nourl", name: "x" };
    input.routes["no-url"] = { lane: "private", model: "nourl" };
    try {
      compiled(input);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      const paths = (err as PolicyError).diagnostics.map((d) => d.path);
      expect(paths).toEqual(
        expect.arrayContaining(["routes.bad-lane.lane", "routes.bad-model.model", "routes.bad-fallback.fallbacks[0]", "models.orphan.backend", "backends.nourl.url"]),
      );
      for (const d of (err as PolicyError).diagnostics) expect(d.file).toBe(file);
    }
  });
});

describe("plainDecimal", () => {
  it.each([
    [1.5e-7, "0.00000015"],
    [3e-7, "0.0000003"],
    [0.000015, "0.000015"],
    [2.5, "2.5"],
    [1.2e21, "1200000000000000000000"],
  ])("%s → %s", (n, text) => {
    expect(plainDecimal(n)).toBe(text);
    expect(Number(text)).toBe(n);
  });
});

describe("runtime notes", () => {
  it("warns about a relative runtime.dir and notes the process runtime in the compose file", () => {
    const input = basePolicyInput();
    input.runtime = { dir: "./runtime" };
    input.gateway = { runtime: "process" };
    const c = compilePolicy(policyFrom(input), { policyFile: "gateway.policy.yaml" });
    expect(c.warnings).toEqual([expect.objectContaining({ path: "runtime.dir", severity: "warning" })]);
    expect(c.files.find((f) => f.path === "docker-compose.yml")!.content).toContain("gateway.runtime: process");
    const home = basePolicyInput();
    home.runtime = { dir: "~/.local/state/gatewayctl/runtime" };
    expect(compilePolicy(policyFrom(home), { policyFile: "gateway.policy.yaml" }).warnings).toEqual([]);
  });
});
