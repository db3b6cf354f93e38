import { readFileSync } from "node:fs";
import { join } from "node:path";
import JSON5 from "json5";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/compile/index.js";
import { parsePolicy } from "../../src/policy/load-policy.js";
import { renderClients, CLIENT_NAMES } from "../../src/clients/index.js";
import { clientSlots, isClientFile, proveClientFiles, type ClientFile } from "../../src/clients/proof.js";
import { ROOT } from "../support/cli.js";

const FIXTURE = join(ROOT, "test/fixtures/clients/gateway.policy.yaml");
const fixtureText = readFileSync(FIXTURE, "utf8");
const mapOf = (text: string, file = FIXTURE) => compilePolicy(parsePolicy(text, file).policy, { policyFile: file }).routeMap;
const map = mapOf(fixtureText);
const EXAMPLE = join(ROOT, "examples/homelab/gateway.policy.yaml");
const example = mapOf(readFileSync(EXAMPLE, "utf8"), EXAMPLE);
/** the fixture with a client for every kind: each config then reads its own key and names only its aliases */
const withClients = mapOf(
  `${fixtureText}\nclients:\n` +
    [
      "  aider: { key: { secret: AIDER_KEY }, lanes: [coding, private] }",
      "  continue: { key: { secret: CONTINUE_KEY }, lanes: [coding, private] }",
      "  openclaw: { key: { secret: OPENCLAW_KEY }, lanes: [routine, coding] }",
      "  openclaw-private: { key: { secret: OPENCLAW_PRIVATE_KEY }, lanes: [private] }",
      "  open-webui: { key: { secret: WEBUI_KEY }, lanes: [routine, premium, private] }",
      "  scripts: { key: { secret: SCRIPTS_KEY }, routes: [routine-router] }",
      "  llm: { key: { secret: LLM_KEY }, routes: [routine-router, secure-core] }",
      "  codex: { key: { secret: CODEX_KEY }, lanes: [coding, private] }",
      "  claude-code: { key: { secret: CLAUDE_KEY }, lanes: [coding, private] }",
      "  opencode: { key: { secret: OPENCODE_KEY }, lanes: [coding] }",
      "  librechat: { key: { secret: LIBRECHAT_KEY }, lanes: [routine, private] }",
    ].join("\n") +
    "\n",
);

const filesOf = (m: typeof map): ClientFile[] => renderClients(m).files;
const edit = (files: ClientFile[], path: string, f: (s: string) => string): ClientFile[] =>
  files.map((x) => (x.path === path ? { ...x, content: f(x.content) } : x));

describe("the client proof on what build writes", () => {
  for (const [name, m] of [["the fixture", map], ["the homelab example", example], ["a policy with a client for every kind", withClients]] as const) {
    it(`${name}: every model slot of every client file holds`, () => {
      const files = filesOf(m);
      const proof = proveClientFiles(m, files);
      expect(proof.problems).toEqual([]);
      // every client kind's main file is recognised and has at least one slot
      for (const f of files.filter((x) => !x.path.includes("metadata"))) {
        expect(isClientFile(f.path), f.path).toBe(true);
        if (!f.path.includes("model.settings")) expect(proof.slots.some((s) => s.file === f.path), `${f.path} has no slot`).toBe(true);
      }
    });
  }

  it("finds every slot a client has: aider main/weak/editor, OpenClaw's private agent, Continue's roles, Claude Code's env", () => {
    const slots = clientSlots(withClients, filesOf(withClients));
    const at = (file: string) => slots.filter((s) => s.file === file).map((s) => `${s.slot}=${s.alias}`);
    expect(at("clients/aider.private.conf.yml")).toEqual(["model=secure-core", "weak-model=secure-core", "editor-model=secure-core"]);
    expect(at("clients/openclaw.json")).toEqual(
      expect.arrayContaining([
        "agents.defaults.model.primary=routine-router",
        "agents.entries.private.model.primary=secure-core",
        "agents.entries.private.utilityModel=secure-core",
        "agents.entries.private.decisionModel=secure-core",
        "agents.entries.private.modelPolicy.allow[1]=private-coder",
      ]),
    );
    // the private agent's slots go with its own key, the default agent's with the openclaw key
    expect(slots.find((s) => s.slot === "agents.entries.private.model.primary")?.keySecret).toBe("OPENCLAW_PRIVATE_KEY");
    expect(slots.find((s) => s.slot === "agents.defaults.model.primary")?.keySecret).toBe("OPENCLAW_KEY");
    expect(at("clients/continue.private.yaml")).toEqual(expect.arrayContaining(["models[0] (chat)=secure-core", "models[1] (autocomplete)=private-coder", "models[1] (summarize)=private-coder"]));
    expect(at("clients/claude-code.private.settings.json")).toEqual(expect.arrayContaining(["env.ANTHROPIC_MODEL=secure-core", "env.ANTHROPIC_DEFAULT_HAIKU_MODEL=secure-core"]));
    expect(at("clients/codex.toml")).toEqual(["model=coding", "review_model=secure-core"]);
    expect(at("clients/codex.private.config.toml")).toEqual(["model=secure-core", "review_model=secure-core"]);
    expect(at("clients/llm.extra-openai-models.yaml")).toEqual(["[0].model_name=secure-core", "[1].model_name=routine-router"]);
    expect(at("clients/librechat.yaml")).toEqual([
      "endpoints.custom[0].models.default[0]=routine-router",
      "endpoints.custom[0].models.default[1]=secure-core",
      "endpoints.custom[0].models.default[2]=private-coder",
      "endpoints.custom[0].titleModel=secure-core",
    ]);
    expect(slots.find((s) => s.slot === "endpoints.custom[0].titleModel")?.mustBeLocal).toContain("reads every conversation");
  });
});

describe("the client proof refuses", () => {
  const files = filesOf(map);

  it("today's aider config: weak-model and editor-model pinned to a local-first alias while --model may be private", () => {
    const leaky = edit(files, "clients/aider.conf.yml", (s) => `${s}weak-model: openai/coding\neditor-model: openai/coding\n`);
    const proof = proveClientFiles(map, leaky);
    expect(proof.ok).toBe(false);
    expect(proof.problems.map((p) => `${p.file}: ${p.slot}`)).toEqual(["clients/aider.conf.yml: weak-model", "clients/aider.conf.yml: editor-model"]);
    expect(proof.problems[0]?.message).toMatch(/openai\/coding is local-first \(may reach anthropic\), but aider --model replaces only the main model/);
  });

  it("a model settings entry whose weak model is another, non-local alias", () => {
    const leaky = edit(files, "clients/aider.model.settings.yml", (s) => s.replace("weak_model_name: openai/secure-core", "weak_model_name: openai/general-smart"));
    expect(proveClientFiles(map, leaky).problems.map((p) => p.slot)).toEqual(["[0].weak_model_name (of openai/secure-core)"]);
  });

  it("a private preset with one slot on a local-first alias", () => {
    const leaky = edit(files, "clients/continue.private.yaml", (s) => s.replace("model: private-coder", "model: coding"));
    const proof = proveClientFiles(map, leaky);
    expect(proof.problems.map((p) => `${p.file}: ${p.slot}`)).toEqual([
      "clients/continue.private.yaml: models[1] (chat)",
      "clients/continue.private.yaml: models[1] (edit)",
      "clients/continue.private.yaml: models[1] (apply)",
      "clients/continue.private.yaml: models[1] (autocomplete)",
      "clients/continue.private.yaml: models[1] (summarize)",
    ]);
    expect(proof.problems[0]?.message).toContain("the file is a private preset");
  });

  it("OpenClaw: a private agent with a cloud fallback, a shared image model on the cloud, a ref that bypasses the gateway", () => {
    const json = JSON5.parse(files.find((f) => f.path === "clients/openclaw.json")!.content) as Record<string, any>;
    json.agents.entries.private.model.fallbacks = ["litellm/general-smart"];
    json.agents.defaults.imageModel = "litellm/general-smart";
    json.agents.entries.private.utilityModel = "anthropic/claude-haiku";
    json.agents.entries.private.subagents.model = "litellm/coding";
    delete json.agents.entries.private.memory;
    const leaky = edit(files, "clients/openclaw.json", () => JSON.stringify(json));
    const problems = proveClientFiles(map, leaky).problems;
    expect(problems.map((p) => p.slot).sort()).toEqual([
      "agents.defaults.imageModel",
      "agents.entries.private.memory.search",
      "agents.entries.private.model.fallbacks[0]",
      "agents.entries.private.subagents.model",
      "agents.entries.private.utilityModel",
    ]);
    expect(problems.find((p) => p.slot.endsWith("memory.search"))?.message).toContain("the default (OpenAI) embeddings does not go through the gateway");
  });

  it("a slot naming an alias the file's key may not use, or sent with a key no client has", () => {
    const f = filesOf(withClients);
    const wrongAlias = edit(f, "clients/opencode.json", (s) => s.replace('"model": "gatewayctl/coding"', '"model": "gatewayctl/general-smart"'));
    const p1 = proveClientFiles(withClients, wrongAlias).problems;
    expect(p1.map((p) => `${p.file}: ${p.slot}`)).toEqual(["clients/opencode.json: model"]);
    expect(p1[0]?.message).toContain("the key OPENCODE_KEY may not use general-smart");
    const unknownKey = edit(f, "clients/codex.toml", (s) => s.replace('env_key = "CODEX_KEY"', 'env_key = "SOMEONE_ELSES_KEY"'));
    expect(proveClientFiles(withClients, unknownKey).problems[0]?.message).toContain("SOMEONE_ELSES_KEY, which is no client's key");
  });

  it("an alias that does not exist, and a file that cannot be parsed", () => {
    const p = proveClientFiles(map, [
      ...edit(files, "clients/env.sh", (s) => s.replace('GATEWAY_MODEL="routine-router"', 'GATEWAY_MODEL="gpt-4o"')),
      { path: "clients/openclaw.broken.json", content: "{ not json" },
    ]).problems;
    expect(p.map((x) => `${x.file}: ${x.slot}`)).toEqual(["clients/env.sh: GATEWAY_MODEL", "clients/openclaw.broken.json: (file)"]);
  });

  it("LibreChat: a title model on a local-first alias (it reads every conversation)", () => {
    const leaky = edit(files, "clients/librechat.yaml", (s) => s.replace("titleModel: secure-core", "titleModel: coding"));
    const p = proveClientFiles(map, leaky).problems;
    expect(p.map((x) => `${x.file}: ${x.slot}`)).toEqual(["clients/librechat.yaml: endpoints.custom[0].titleModel"]);
  });

  it("knows every client kind build writes", () => {
    const kinds = new Set(renderClients(map).usage.map((u) => u.client));
    expect([...kinds]).toEqual([...CLIENT_NAMES]);
  });
});
