import { describe, expect, it } from "vitest";
import { buildGateway } from "../../src/compile/index.js";
import { parsePolicy, type LoadedPolicy } from "../../src/policy/load-policy.js";
import { PolicyError } from "../../src/lib/errors.js";
import { basePolicyInput, policyFrom } from "../fixtures/compile/policies.js";

function loaded(policy = policyFrom()): LoadedPolicy {
  return { policy, file: "gateway.policy.yaml", dir: "/nowhere", source: "", warnings: [] };
}

describe("buildGateway: compile, then prove on the emitted config.yaml", () => {
  it("returns the files with the proof of every route", () => {
    const built = buildGateway(loaded());
    expect(built.proof?.ok).toBe(true);
    expect(built.proof?.guard).toBe(true);
    expect(built.proof?.verdicts.map((v) => v.alias)).toEqual(["secure-core", "local-gemma", "routine-router", "web-model"]);
  });

  it("throws a PolicyError naming the alias, the mechanism and the path when the artifact leaks", () => {
    const input = basePolicyInput();
    // a policy the validator would reject; the proof on the artifact must catch it too
    input.routes["secure-core"] = { lane: "private", model: "llama", fallbacks: ["qwen", "mini"] };
    input.routes["local-gemma"] = { lane: "routine", model: "mini" };
    let error: unknown;
    try {
      buildGateway(loaded(policyFrom(input)));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PolicyError);
    const messages = (error as PolicyError).diagnostics.map((d) => d.message);
    expect(messages).toEqual([
      "privacy proof failed: secure-core (local-only) leaks via router_settings.fallbacks: secure-core → [router_settings.fallbacks] → gw-fallback-mini (openai/gpt-4o-mini @ https://api.openai.com/v1, cloud)",
      "privacy proof failed: local-gemma (local-first) leaks via model group: local-gemma (openai/gpt-4o-mini @ https://api.openai.com/v1, cloud)",
    ]);
    expect((error as PolicyError).diagnostics.map((d) => d.path)).toEqual(["routes.secure-core", "routes.local-gemma"]);
  });

  it("counts a backend the policy declares cloud as cloud even on a loopback URL", () => {
    const input = basePolicyInput();
    input.backends.ollama = { type: "ollama", url: "http://127.0.0.1:11434", location: "cloud" };
    try {
      buildGateway(loaded(policyFrom(input)));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      expect((err as PolicyError).diagnostics[0]!.message).toContain(
        "secure-core (local-only) leaks via model group: secure-core (ollama_chat/llama3.1:8b @ http://host.docker.internal:11434, cloud)",
      );
    }
  });

  it("accepts a trustAsLocal backend on a public-looking host, through the real loader", () => {
    const { policy, warnings } = parsePolicy(
      [
        "version: 1",
        "backends:",
        '  gpu: { type: openai-compatible, url: "http://gpu.example.net:8000/v1", location: local, trustAsLocal: true }',
        "models:",
        "  big: { backend: gpu, name: qwen }",
        "lanes:",
        '  private: { privacy: local-only, description: "Private" }',
        "routes:",
        "  secure-core: { lane: private, model: big }",
        "",
      ].join("\n"),
      "trusted.yaml",
    );
    const built = buildGateway({ policy, file: "trusted.yaml", dir: "/nowhere", source: "", warnings });
    expect(built.proof?.verdicts[0]).toMatchObject({ alias: "secure-core", ok: true, reachable: [{ id: "secure-core:big", location: "local" }] });
  });
});
