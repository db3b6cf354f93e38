import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mergeOpenClawConfig } from "../../src/clients/openclaw-merge.js";
import { openClawSettings } from "../../src/clients/openclaw.js";
import { findStaleAgentModels, openClawStateDir } from "../../src/clients/openclaw-state.js";
import type { RouteMap, RoutePlan } from "../../src/artifact/types.js";
import { tempDir } from "../support/cli.js";
import { TEST_FRONT_DOOR, TEST_GATEWAY_FACTS } from "../support/gateway-facts.js";

function route(alias: string, privacy: RoutePlan["privacy"], cloudBackends: string[] = []): RoutePlan {
  return {
    alias,
    lane: "l",
    privacy,
    model: `${alias}-model`,
    fallbacks: [],
    primaryDeploymentId: `${alias}:${alias}-model`,
    fallbackGroups: [],
    allowedDeploymentIds: [`${alias}:${alias}-model`],
    cloudBackends,
    maxPrice: { input: 0, output: 0 },
    timeoutSeconds: 300,
  };
}
const MAP: RouteMap = {
  generatedBy: "test",
  gateway: TEST_GATEWAY_FACTS,
  frontDoor: TEST_FRONT_DOOR,
  routes: [route("secure-core", "local-only"), route("routine-router", "local-first", ["openai"])],
  deployments: [],
  internalGroups: [],
  lanes: [],
  ledger: { maxBytes: 1048576, keep: 1 },
  alerts: [],
};
const generated = openClawSettings(MAP, "http://127.0.0.1:4000/v1");

describe("mergeOpenClawConfig", () => {
  it("keeps every unrelated key and does not modify its input", () => {
    const user = { gateway: { port: 1 }, channels: { telegram: { enabled: true } }, models: { providers: { x: { baseUrl: "u" } } } };
    const snapshot = structuredClone(user);
    const { config } = mergeOpenClawConfig(user, generated);
    expect(user).toEqual(snapshot);
    expect(config.gateway).toEqual({ port: 1 });
    expect(config.channels).toEqual({ telegram: { enabled: true } });
    expect((config.models as any).providers.x).toEqual({ baseUrl: "u" });
    expect((config.models as any).providers.litellm).toEqual(generated.models.providers.litellm);
    expect((config.models as any).mode).toBe("merge");
  });

  it("keeps the user's models.mode", () => {
    const { config } = mergeOpenClawConfig({ models: { mode: "replace", providers: {} } }, generated);
    expect((config.models as any).mode).toBe("replace");
  });

  it("an empty roster gets main as the default agent, so the private agent does not become the only one", () => {
    const { config, changes } = mergeOpenClawConfig({}, generated);
    const agents = config.agents as any;
    expect(Object.keys(agents.entries)).toEqual(["private", "main"]);
    expect(agents.entries.main).toEqual({ default: true });
    expect(agents.ownership).toBeUndefined();
    expect(changes.join("\n")).toMatch(/added agents\.entries\.main with default: true/);
  });

  it("an explicit-ownership roster gets only the private agent", () => {
    const { config } = mergeOpenClawConfig({ agents: { ownership: "explicit", entries: { a: {}, b: {} } } }, generated);
    expect((config.agents as any).entries).toEqual({ a: {}, b: {}, private: generated.agents.entries?.private });
  });

  it("a marked default agent stays the only marked one", () => {
    const { config } = mergeOpenClawConfig({ agents: { entries: { a: { default: true }, b: {} } } }, generated);
    const e = (config.agents as any).entries;
    expect(Object.entries(e).filter(([, v]) => (v as any).default === true).map(([k]) => k)).toEqual(["a"]);
  });

  it("replaces the default model and warns about shared media models that would serve the private agent", () => {
    const { config, changes, warnings } = mergeOpenClawConfig(
      { agents: { defaults: { model: "openai/gpt-4o", imageModel: "openai/gpt-4o", thinkingDefault: "low" } } },
      generated,
    );
    expect((config.agents as any).defaults).toEqual({
      model: { primary: "litellm/routine-router", fallbacks: [] },
      imageModel: "openai/gpt-4o",
      thinkingDefault: "low",
    });
    expect(changes.join("\n")).toContain("replaced agents.defaults.model (was openai/gpt-4o)");
    expect(warnings.join("\n")).toMatch(/agents\.defaults\.imageModel is set \(openai\/gpt-4o\).*private one too/);
  });

  it("warns when the default model policy would not allow the gateway's aliases", () => {
    const { warnings } = mergeOpenClawConfig({ agents: { defaults: { modelPolicy: { allow: ["openai/*"] } } } }, generated);
    expect(warnings.join("\n")).toMatch(/modelPolicy\.allow does not list litellm\/routine-router; add "litellm\/\*"/);
    expect(mergeOpenClawConfig({ agents: { defaults: { modelPolicy: { allow: ["litellm/*"] } } } }, generated).warnings).toEqual([]);
  });

  it("warns about a legacy agents.list that also defines a private agent", () => {
    const { warnings } = mergeOpenClawConfig({ agents: { list: [{ id: "private", default: true }] } }, generated);
    expect(warnings.join("\n")).toMatch(/agents\.list .* also defines an agent "private"/);
  });
});

describe("findStaleAgentModels (real files)", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir("gatewayctl-ocstate-"));
    const write = async (agent: string, body: string) => {
      await mkdir(join(dir, "agents", agent, "agent"), { recursive: true });
      await writeFile(join(dir, "agents", agent, "agent", "models.json"), body);
    };
    await write("old", JSON.stringify({ providers: { litellm: { baseUrl: "http://nas.lan:4000/v1" } } }));
    await write("same", JSON.stringify({ providers: { litellm: { baseUrl: "http://127.0.0.1:4000/v1/" } } }));
    await write("empty", JSON.stringify({ providers: { litellm: { baseUrl: "" } } }));
    await write("other", JSON.stringify({ providers: { ollama: { baseUrl: "http://x" } } }));
    await write("garbage", "{not json");
  });
  afterAll(async () => cleanup?.());

  it("reports only a non-empty, different litellm baseUrl", async () => {
    const stale = await findStaleAgentModels(dir, "http://127.0.0.1:4000/v1");
    expect(stale).toEqual([{ file: join(dir, "agents", "old", "agent", "models.json"), agentId: "old", baseUrl: "http://nas.lan:4000/v1" }]);
  });

  it("a missing state dir is not an error", async () => {
    expect(await findStaleAgentModels(join(dir, "nope"), "http://x")).toEqual([]);
  });

  it("state dir: OPENCLAW_STATE_DIR, else ~/.openclaw", () => {
    expect(openClawStateDir({ OPENCLAW_STATE_DIR: "/srv/oc" })).toBe("/srv/oc");
    expect(openClawStateDir({})).toMatch(/\.openclaw$/);
  });
});
