import { describe, expect, it } from "vitest";
import { buildPolicy } from "../../src/wizard/policy-document.js";
import { LANE_KEYS } from "../../src/wizard/catalog.js";
import type { InitAnswers } from "../../src/wizard/answers.js";

const answers = (cloud: InitAnswers["cloud"], cloudLanes: InitAnswers["cloudLanes"], port?: number): InitAnswers => ({
  lanes: [...LANE_KEYS],
  cloudLanes,
  local: { type: "ollama", url: "http://127.0.0.1:11434" },
  laneModels: Object.fromEntries(LANE_KEYS.map((l) => [l, "llama3.1:8b"])),
  cloud,
  secrets: { provider: "env" },
  runtime: "docker",
  ...(port !== undefined ? { port } : {}),
});

describe("init's lanes say what their privacy allows", () => {
  it("without a cloud provider every lane is local-only and no description mentions a cloud fallback", () => {
    const policy = buildPolicy(answers([], ["routine", "web", "premium"]));
    for (const [key, lane] of Object.entries(policy.lanes)) {
      expect(lane.privacy, key).toBe("local-only");
      expect(lane.description ?? "", key).not.toMatch(/cloud|fallback|paying/i);
    }
  });

  it("with a cloud provider, an open lane says local first / cloud, a closed one says local only", () => {
    const policy = buildPolicy(answers(["openai"], ["routine"]));
    expect(policy.lanes.routine).toMatchObject({ privacy: "local-first" });
    expect(policy.lanes.routine?.description).toContain("a cheap cloud model only as fallback");
    expect(policy.lanes.web).toMatchObject({ privacy: "local-only" });
    expect(policy.lanes.web?.description).toContain("on the local model only");
  });

  it("writes the port it was given (default 4000)", () => {
    expect(buildPolicy(answers([], [], 4555)).gateway?.port).toBe(4555);
    expect(buildPolicy(answers([], [])).gateway?.port).toBe(4000);
  });
});
