import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { buildGateway } from "../../src/compile/index.js";
import { parsePolicy } from "../../src/policy/load-policy.js";
import type { InitAnswers } from "../../src/wizard/answers.js";
import { CLOUD_PROVIDERS, INIT_CLIENT_CHOICES, INIT_CLIENTS, LANE_KEYS } from "../../src/wizard/catalog.js";
import { buildPolicy, keyFromName, renderPolicyYaml, secretNames } from "../../src/wizard/policy-document.js";
import {
  appendGitignore,
  envExampleContent,
  generateMasterKey,
  secretsFileContent,
  validateLocalUrl,
  validateModelName,
} from "../../src/wizard/project-files.js";

const FILE = "/tmp/project/gateway.policy.yaml";

function answers(over: Partial<InitAnswers> = {}): InitAnswers {
  const lanes = over.lanes ?? [...LANE_KEYS];
  return {
    lanes,
    cloudLanes: ["routine", "web", "premium"],
    local: { type: "ollama", url: "http://127.0.0.1:11434" },
    laneModels: Object.fromEntries(lanes.map((l) => [l, l === "coding" ? "qwen2.5-coder:7b" : "llama3.1:8b"])),
    cloud: [],
    secrets: { provider: "env-file", file: "secrets.env" },
    runtime: "docker",
    ...over,
  };
}

/** The policy init writes, through the real loader and the real compiler with its privacy proof. */
function build(a: InitAnswers) {
  const source = renderPolicyYaml(a);
  const { policy, warnings } = parsePolicy(source, FILE);
  const compiled = buildGateway({ policy, file: FILE, dir: "/tmp/project", source, warnings });
  return { source, policy, compiled };
}

describe("the policy init writes", () => {
  it("with no cloud provider: every lane local-only, nothing can reach the cloud", () => {
    const { policy, compiled } = build(answers());
    expect(Object.values(policy.lanes).map((l) => l.privacy)).toEqual(LANE_KEYS.map(() => "local-only"));
    expect(Object.keys(policy.routes)).toEqual(["secure-core", "local-model", "routine-router", "coding", "web-model", "general-smart"]);
    expect(compiled.routeMap.routes.every((r) => r.cloudBackends.length === 0)).toBe(true);
    expect(Object.values(policy.backends).every((b) => b.location === "local")).toBe(true);
  });

  it("with cloud providers: private stays local-only, routine local-first with a cheap priced fallback, premium cloud", () => {
    const { policy, compiled } = build(answers({ cloud: ["anthropic", "openai"] }));
    const byAlias = Object.fromEntries(compiled.routeMap.routes.map((r) => [r.alias, r]));
    expect(byAlias["secure-core"]).toMatchObject({ privacy: "local-only", cloudBackends: [] });
    expect(byAlias["local-model"]).toMatchObject({ privacy: "local-only", cloudBackends: [] });
    expect(byAlias["routine-router"]).toMatchObject({ privacy: "local-first", cloudBackends: ["anthropic"] });
    expect(byAlias.coding).toMatchObject({ privacy: "local-only", cloudBackends: [] });
    expect(byAlias["general-smart"]?.privacy).toBe("cloud-allowed");
    expect(policy.routes["general-smart"]?.fallbacks).toEqual(["openai-gpt-4.1", "local-llama3.1-8b"]);
    for (const m of Object.values(policy.models)) {
      if (policy.backends[m.backend]?.location === "cloud") expect(m.price, m.name).toBeDefined();
    }
    expect(policy.backends.anthropic?.apiKey).toEqual({ secret: "ANTHROPIC_API_KEY" });
  });

  it("is accepted by the loader and proven by the compiler for every combination of lanes, clouds and open lanes", () => {
    fc.assert(
      fc.property(
        fc.subarray([...LANE_KEYS], { minLength: 1 }),
        fc.subarray([...CLOUD_PROVIDERS]),
        fc.subarray([...LANE_KEYS]),
        fc.constantFrom("ollama" as const, "openai-compatible" as const),
        fc.constantFrom("env" as const, "env-file" as const, "command" as const),
        fc.subarray([...INIT_CLIENT_CHOICES]),
        (lanes, cloud, cloudLanes, type, provider, clients) => {
          const a = answers({
            lanes,
            cloud,
            cloudLanes,
            clients,
            local: { type, url: type === "ollama" ? "http://127.0.0.1:11434" : "http://192.168.1.5:8000/v1" },
            secrets: provider === "env-file" ? { provider, file: "secrets.env" } : provider === "command" ? { provider, command: "pass show gateway/{name}" } : { provider },
          });
          const { compiled, source } = build(a);
          const local = compiled.routeMap.routes.filter((r) => r.lane === "private" || !cloudLanes.includes(r.lane as never) || cloud.length === 0);
          for (const r of local) expect(r.cloudBackends, r.alias).toEqual([]);
          expect(renderPolicyYaml(a)).toBe(source);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("--clients: each chosen client its own key and lanes, and the file `build` writes for its kind reads that key", () => {
    const a = answers({ cloud: ["openai"], clients: [...INIT_CLIENT_CHOICES] });
    const { policy, compiled } = build(a);
    expect(Object.keys(policy.clients)).toEqual(["openclaw", "openclaw-private", ...INIT_CLIENT_CHOICES.slice(1)]);
    expect(policy.clients.aider?.lanes).toEqual(["private", "coding"]);
    expect(policy.clients["open-webui"]?.lanes).toEqual([...LANE_KEYS]);
    expect(policy.clients.openclaw?.lanes).toEqual(["routine", "web", "premium"]);
    const secrets = Object.values(policy.clients).map((c) => c.key.secret);
    expect(new Set(secrets).size).toBe(secrets.length);
    const fileOf: Record<(typeof INIT_CLIENT_CHOICES)[number], string> = {
      openclaw: "clients/openclaw.json",
      scripts: "clients/env.sh",
      aider: "clients/aider.conf.yml",
      continue: "clients/continue.yaml",
      codex: "clients/codex.toml",
      "claude-code": "clients/claude-code.settings.json",
      opencode: "clients/opencode.json",
      "open-webui": "clients/open-webui.env",
      librechat: "clients/librechat.yaml",
      llm: "clients/llm.extra-openai-models.yaml",
    };
    for (const kind of INIT_CLIENT_CHOICES) {
      const file = compiled.files.find((f) => f.path === fileOf[kind]);
      expect(file?.content, kind).toContain(INIT_CLIENTS[kind].secret);
      expect(file?.content, kind).not.toContain("LITELLM_API_KEY");
    }
    expect(compiled.clientProof?.ok).toBe(true);
    // every chosen client's key is generated into the secrets file
    const text = secretsFileContent(a, generateMasterKey());
    for (const s of secrets) expect(text).toMatch(new RegExp(`^${s}=sk-`, "m"));
    // the default stays OpenClaw and scripts
    expect(Object.keys(build(answers()).policy.clients)).toEqual(["openclaw", "scripts"]);
  });

  it("is commented and holds secret names, never values", () => {
    const key = generateMasterKey();
    const a = answers({ cloud: ["openai"] });
    const { source } = build(a);
    expect(source).toMatch(/^# gatewayctl policy/);
    expect(source).toMatch(/\n# Route aliases: what clients send as `model`/);
    expect(source).toContain("secret: OPENAI_API_KEY");
    expect(source).not.toContain(key);
    expect(source).not.toMatch(/sk-[A-Za-z0-9_-]{10,}/);
    expect(secretsFileContent(a, key)).toContain(`LITELLM_MASTER_KEY=${key}\n`);
    expect(secretsFileContent(a, key)).toContain("OPENAI_API_KEY=\n");
    expect(envExampleContent(a)).not.toContain(key);
    expect(envExampleContent(a)).toMatch(/^LITELLM_MASTER_KEY=$/m);
  });

  it("asks only for the keys of cloud providers some route can reach, and every client's own key", () => {
    const clients = (names: string[]) => names.filter((n) => n.endsWith("_GATEWAY_KEY") || n === "OPENCLAW_PRIVATE_KEY");
    const cloudOnly = (names: string[]) => names.filter((n) => !clients(names).includes(n));
    expect(cloudOnly(secretNames(answers({ cloud: ["openai", "anthropic"] })))).toEqual(["LITELLM_MASTER_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"]);
    // only coding may leave: its fallback uses the first provider; the second serves nothing
    expect(cloudOnly(secretNames(answers({ cloud: ["openai", "anthropic"], cloudLanes: ["coding"] })))).toEqual(["LITELLM_MASTER_KEY", "OPENAI_API_KEY"]);
    expect(cloudOnly(secretNames(answers({ cloud: ["openai"], cloudLanes: [] })))).toEqual(["LITELLM_MASTER_KEY"]);
    expect(clients(secretNames(answers({ cloud: ["openai", "anthropic"] })))).toEqual(["OPENCLAW_GATEWAY_KEY", "OPENCLAW_PRIVATE_KEY", "SCRIPTS_GATEWAY_KEY"]);
    // the clients' keys are generated into the secrets file, each different from the master key
    const file = secretsFileContent(answers({ cloud: ["openai"] }), "sk-master-x");
    const keys = [...file.matchAll(/^(OPENCLAW_GATEWAY_KEY|OPENCLAW_PRIVATE_KEY|SCRIPTS_GATEWAY_KEY)=(sk-\S{40,})$/gm)].map((m) => m[2]);
    expect(new Set(keys).size).toBe(3);
    expect(secretsFileContent(answers({ cloud: ["openai"], cloudLanes: [] }), "sk-x")).not.toContain("OPENAI_API_KEY");
  });

  it("model keys are valid policy keys", () => {
    expect(keyFromName("llama3.1:8b")).toBe("llama3.1-8b");
    expect(keyFromName("hf.co/bartowski/Qwen:Q4_K_M")).toBe("hf.co-bartowski-Qwen-Q4_K_M");
    expect(buildPolicy(answers()).models).toHaveProperty("local-qwen2.5-coder-7b");
  });
});

describe("init helpers", () => {
  it("master key: sk- and 48 URL-safe characters, different every time", () => {
    const a = generateMasterKey();
    expect(a).toMatch(/^sk-[A-Za-z0-9_-]{48}$/);
    expect(generateMasterKey()).not.toBe(a);
  });

  it(".gitignore: appends only what is missing, once", () => {
    const first = appendGitignore("node_modules/\n/secrets.env", ["secrets.env", ".env", ".gatewayctl/"]);
    expect(first?.added).toEqual([".env", ".gatewayctl/"]);
    expect(first?.content).toBe(
      "node_modules/\n/secrets.env\n\n# gatewayctl: secrets and local state (generated/ is meant to be committed)\n.env\n.gatewayctl/\n",
    );
    expect(appendGitignore(first?.content, ["secrets.env", ".env", ".gatewayctl/"])).toBeUndefined();
    expect(appendGitignore(undefined, [".env"])?.content).toMatch(/^# gatewayctl/);
    expect(first?.content).not.toMatch(/^generated/m);
  });

  it("validation as you type", () => {
    expect(validateModelName("llama3.1:8b")).toBe(true);
    expect(validateModelName("")).toMatch(/type the model's name/);
    expect(validateModelName("llama 3")).toMatch(/no spaces/);
    expect(validateLocalUrl("http://127.0.0.1:11434")).toBe(true);
    expect(validateLocalUrl("http://nas.lan:11434")).toBe(true);
    expect(validateLocalUrl("localhost:11434")).toMatch(/http/);
    expect(validateLocalUrl("https://api.example.com")).toMatch(/not a local address/);
  });
});
