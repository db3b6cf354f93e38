import { readFileSync } from "node:fs";
import { join } from "node:path";
import JSON5 from "json5";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/compile/index.js";
import { parsePolicy } from "../../src/policy/load-policy.js";
import { renderClient, renderClients, CLIENT_NAMES } from "../../src/clients/index.js";
import { clientBaseUrl } from "../../src/artifact/gateway.js";
import { openClawSettings } from "../../src/clients/openclaw.js";
import { ROOT } from "../support/cli.js";

const FIXTURE = join(ROOT, "test/fixtures/clients/gateway.policy.yaml");
const { policy } = parsePolicy(readFileSync(FIXTURE, "utf8"), FIXTURE);
const compiled = compilePolicy(policy, { policyFile: FIXTURE });
const map = compiled.routeMap;
const ALIASES = ["secure-core", "private-coder", "routine-router", "coding", "general-smart"];
const VENDOR_IDS = ["llama3.1:8b", "qwen2.5-coder:7b", "gpt-4.1-mini", "claude-sonnet-4-5"];

describe("client configs", () => {
  it("point at loopback when the gateway binds 0.0.0.0, with the policy's port and /v1", () => {
    expect(clientBaseUrl(policy.gateway)).toBe("http://127.0.0.1:4123/v1");
    expect(clientBaseUrl({ ...policy.gateway, bind: "192.168.1.10" })).toBe("http://192.168.1.10:4123/v1");
    expect(clientBaseUrl({ ...policy.gateway, bind: "::1" })).toBe("http://[::1]:4123/v1");
  });

  it("build writes one file per client format under clients/, sorted, deterministic", () => {
    const files = renderClients(map).files;
    expect(files.map((f) => f.path)).toEqual([
      "clients/aider.conf.yml",
      "clients/aider.model.metadata.json",
      "clients/aider.model.settings.yml",
      "clients/aider.private.conf.yml",
      "clients/claude-code.private.settings.json",
      "clients/claude-code.settings.json",
      "clients/codex.private.config.toml",
      "clients/codex.toml",
      "clients/continue.private.yaml",
      "clients/continue.yaml",
      "clients/env.sh",
      "clients/librechat.yaml",
      "clients/llm.extra-openai-models.yaml",
      "clients/open-webui.env",
      "clients/openclaw.json",
      "clients/opencode.json",
      "clients/opencode.private.json",
    ]);
    expect(renderClients(map).files).toEqual(files);
    expect(compiled.files.filter((f) => f.path.startsWith("clients/")).map((f) => f.path)).toEqual(files.map((f) => f.path));
  });

  it("never name a vendor model id or a secret name other than the client key", () => {
    for (const f of renderClients(map).files) {
      for (const id of VENDOR_IDS) expect(f.content, `${f.path} names ${id}`).not.toContain(id);
      expect(f.content).not.toMatch(/(OPENAI|ANTHROPIC)_API_KEY=[A-Za-z0-9]|ANTHROPIC_API_KEY|sk-[A-Za-z0-9]/);
      if (!f.path.includes("aider.model.")) expect(f.content).toContain("127.0.0.1:4123");
    }
  });

  it("openclaw: one model per alias with readable privacy names, context window, price of the primary", () => {
    const s = openClawSettings(map, "http://127.0.0.1:4123/v1");
    const p = s.models.providers.litellm;
    expect(p.api).toBe("openai-completions");
    expect(p.apiKey).toEqual({ source: "env", provider: "default", id: "LITELLM_API_KEY" });
    expect(p.models.map((m) => m.id)).toEqual(ALIASES);
    const byId = Object.fromEntries(p.models.map((m) => [m.id, m]));
    expect(byId["secure-core"]).toMatchObject({ name: "secure-core (local only)", contextWindow: 32768, maxTokens: 2048 });
    expect(byId["secure-core"]?.cost).toEqual({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });
    expect(byId["routine-router"]?.name).toBe("routine-router (local first; cloud fallback: openai)");
    expect(byId["general-smart"]?.cost).toMatchObject({ input: 3, output: 15 });
    expect(byId.coding?.maxTokens).toBeUndefined();
  });

  it("openclaw: default agent on routine-router; the private agent only on local-only aliases, no command/file/network tools, no sandbox needed", () => {
    const s = openClawSettings(map, "http://x/v1");
    expect(s.agents.defaults?.model).toEqual({ primary: "litellm/routine-router", fallbacks: [] });
    const priv = s.agents.entries?.private;
    expect(priv?.model).toEqual({ primary: "litellm/secure-core", fallbacks: [] });
    expect(priv?.modelPolicy.allow).toEqual(["litellm/secure-core", "litellm/private-coder"]);
    expect(priv?.utilityModel).toBe("litellm/secure-core");
    expect(priv?.sandbox.mode).toBe("off");
    expect(priv?.tools.profile).toBe("minimal");
    for (const g of ["group:runtime", "group:fs", "group:web", "group:memory", "group:messaging"]) expect(priv?.tools.deny).toContain(g);
    expect(priv?.memory).toEqual({ search: { enabled: false } });
    expect(priv?.subagents).toEqual({ model: "litellm/secure-core", allowAgents: [] });
    // image/pdf/voice/media models serve every agent: left unset
    expect(Object.keys(s.agents.defaults ?? {})).toEqual(["model", "systemAgent", "heartbeat"]);
    // two agents: ownership stated, main owns the ambient surfaces
    expect(s.agents.ownership).toBe("explicit");
    expect(s.agents.defaults?.systemAgent).toEqual({ agentId: "main" });
    expect(Object.keys(s.agents.entries ?? {})).toEqual(["main", "private"]);
  });

  it("openclaw: no private agent when the policy has no local-only alias; default falls back to a local-first route", () => {
    const routes = map.routes.filter((r) => r.privacy !== "local-only" && r.alias !== "routine-router");
    const s = openClawSettings({ ...map, routes }, "http://x/v1");
    expect(s.agents.entries).toBeUndefined();
    expect(s.agents.defaults?.model.primary).toBe("litellm/coding");
  });

  it("openclaw file is JSON5 with a header comment", () => {
    const file = renderClient("openclaw", map, "http://127.0.0.1:4123/v1").files[0]!;
    expect(file.content.startsWith("// Generated by gatewayctl")).toBe(true);
    expect(JSON5.parse(file.content)).toEqual(openClawSettings(map, "http://127.0.0.1:4123/v1"));
  });

  it("continue: valid YAML, provider openai, alias as model, key as a Continue secret, autocomplete only on a local-only coder", () => {
    const text = renderClient("continue", map, "http://127.0.0.1:4123/v1").files[0]!.content;
    expect(text.startsWith("# Generated by gatewayctl")).toBe(true);
    const doc = parseYaml(text) as { name: string; schema: string; models: Array<Record<string, unknown>> };
    expect(doc.schema).toBe("v1");
    expect(doc.models.map((m) => m.model)).toEqual(ALIASES);
    for (const m of doc.models) {
      expect(m).toMatchObject({ provider: "openai", apiBase: "http://127.0.0.1:4123/v1", apiKey: "${{ secrets.LITELLM_API_KEY }}" });
    }
    const auto = doc.models.filter((m) => (m.roles as string[]).includes("autocomplete")).map((m) => m.model);
    // autocomplete reads every open file, private ones included: a local-only alias, the coder among them
    expect(auto).toEqual(["private-coder"]);
    expect(doc.models[0]?.defaultCompletionOptions).toEqual({ contextLength: 32768, maxTokens: 2048 });
  });

  it("open-webui: env file with base URL, empty key, Ollama hidden, local task model, PersistentConfig caveat", () => {
    const text = renderClient("open-webui", map, "http://127.0.0.1:4123/v1").files[0]!.content;
    const env = Object.fromEntries(
      text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    expect(env).toEqual({
      OPENAI_API_BASE_URL: "http://127.0.0.1:4123/v1",
      OPENAI_API_KEY: "",
      ENABLE_OLLAMA_API: "false",
      DEFAULT_MODELS: "routine-router",
      TASK_MODEL_EXTERNAL: "secure-core",
    });
    expect(text).toMatch(/PersistentConfig/);
  });

  it("aider: openai/<alias>; weak and editor models follow --model (settings file); private preset; metadata per alias", () => {
    const r = renderClient("aider", map, "http://127.0.0.1:4123/v1");
    const conf = parseYaml(r.files[0]!.content) as Record<string, string>;
    expect(conf).toEqual({
      "openai-api-base": "http://127.0.0.1:4123/v1",
      model: "openai/coding",
      "model-settings-file": ".aider.model.settings.yml",
      "model-metadata-file": ".aider.model.metadata.json",
    });
    expect(r.files[0]!.content).toContain("weak-model and editor-model are left unset on purpose");
    const settings = parseYaml(r.files[2]!.content) as Array<Record<string, string>>;
    expect(settings).toContainEqual({ name: "openai/coding", weak_model_name: "openai/coding", editor_model_name: "openai/coding" });
    expect(settings.every((s) => s.weak_model_name === s.name && s.editor_model_name === s.name)).toBe(true);
    const priv = parseYaml(r.files[3]!.content) as Record<string, string>;
    expect(r.files[3]!.path).toBe("clients/aider.private.conf.yml");
    expect(priv).toMatchObject({ model: "openai/secure-core", "weak-model": "openai/secure-core", "editor-model": "openai/secure-core" });
    const meta = JSON.parse(r.files[1]!.content) as Record<string, Record<string, number | string>>;
    expect(Object.keys(meta)).toEqual(ALIASES.map((a) => `openai/${a}`));
    expect(meta["openai/general-smart"]).toMatchObject({ input_cost_per_token: 3e-6, max_input_tokens: 200000, litellm_provider: "openai" });
  });

  it("env: exports base URL and a key taken from LITELLM_API_KEY, never a value", () => {
    const text = renderClient("env", map, "http://127.0.0.1:4123/v1").files[0]!.content;
    expect(text).toContain('export OPENAI_BASE_URL="http://127.0.0.1:4123/v1"');
    expect(text).toContain('export OPENAI_API_KEY="${LITELLM_API_KEY:?');
  });

  it("clientAliasUsage says which file uses which alias", () => {
    const usage = renderClients(map).usage;
    expect([...new Set(usage.map((u) => u.client))]).toEqual([...CLIENT_NAMES]);
    expect(usage.find((u) => u.client === "openclaw")).toMatchObject({ file: "clients/openclaw.json", aliases: ALIASES });
    expect(usage.find((u) => u.client === "aider")?.aliases).toEqual(["coding"]);
    expect(usage.find((u) => u.client === "open-webui")?.aliases).toEqual(["routine-router", "secure-core"]);
    for (const u of usage) for (const a of u.aliases) expect(ALIASES).toContain(a);
  });
});

describe("client configs of a policy with clients", () => {
  const withClients = parsePolicy(
    `${readFileSync(FIXTURE, "utf8")}\nclients:\n  scripts: { key: { secret: SCRIPTS_KEY }, routes: [routine-router] }\n  openclaw: { key: { secret: OPENCLAW_KEY }, lanes: [routine, coding] }\n`,
    FIXTURE,
  ).policy;
  const map2 = compilePolicy(withClients, { policyFile: FIXTURE }).routeMap;

  it("env.sh reads its policy client's own key and names only that client's aliases", () => {
    const text = renderClient("env", map2, "http://127.0.0.1:4123/v1").files[0]!.content;
    expect(text).toContain('export OPENAI_API_KEY="${SCRIPTS_KEY:?set SCRIPTS_KEY to your gateway key first}"');
    expect(text).toContain("routine-router");
    for (const other of ["secure-core", "private-coder", "general-smart", "coding "]) expect(text).not.toContain(other);
    expect(text).not.toContain("LITELLM_MASTER_KEY");
  });

  it("openclaw.json uses the openclaw client's key and lists exactly its aliases", () => {
    const settings = JSON5.parse(renderClient("openclaw", map2, "http://127.0.0.1:4123/v1").files[0]!.content) as {
      models: { providers: { litellm: { apiKey: { id: string }; models: Array<{ id: string }> } } };
    };
    expect(settings.models.providers.litellm.apiKey.id).toBe("OPENCLAW_KEY");
    expect(settings.models.providers.litellm.models.map((m) => m.id).sort()).toEqual(["coding", "routine-router"]);
  });

  it("a client kind without a policy client keeps the generic key variable and every alias", () => {
    const text = renderClient("continue", map2, "http://127.0.0.1:4123/v1").files[0]!.content;
    expect(text).toContain("LITELLM_API_KEY");
    expect(text).toContain("general-smart");
  });
});
