import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { compilePolicy } from "../../src/compile/index.js";
import { GUARD_MODULE_SOURCE } from "../../src/compile/guard-source.js";
import { parsePolicy } from "../../src/policy/load-policy.js";
import { artifactFromTexts } from "../../src/artifact/read.js";
import { checkRuntimeArtifact } from "../../src/probe/config-checks.js";

const POLICY = `
version: 1
gateway: { runtime: process }
backends:
  ollama: { type: ollama, url: "http://127.0.0.1:11434", location: local }
  cloud: { type: openai-compatible, url: "http://127.0.0.1:9999/v1", location: cloud, apiKey: { secret: CLOUD_API_KEY } }
models:
  llama: { backend: ollama, name: "llama3.1:8b" }
  mini: { backend: cloud, name: gpt-4o-mini }
lanes:
  private: { privacy: local-only, description: "Private records" }
  routine: { privacy: local-first, description: "Drafting" }
routes:
  secure-core: { lane: private, model: llama }
  routine-router: { lane: routine, model: llama, fallbacks: [mini] }
`;

const compiled = compilePolicy(parsePolicy(POLICY, "p.yaml").policy, { policyFile: "p.yaml" });
const configText = compiled.files.find((f) => f.path === "config.yaml")!.content;
const guardText = compiled.files.find((f) => f.path === "gatewayctl_guard.py")!.content;
const routeMapText = compiled.files.find((f) => f.path === "route-map.json")!.content;
const check = (text: string, guard: string | null = guardText) =>
  checkRuntimeArtifact(
    artifactFromTexts("runtime", { config: text, routeMap: routeMapText, modules: guard !== null ? { gatewayctl_guard: guard } : {} }),
  );
const edit = (fn: (c: Record<string, Record<string, unknown>>) => void): string => {
  const c = parse(configText) as Record<string, Record<string, unknown>>;
  fn(c);
  return stringify(c);
};
const status = (checks: ReturnType<typeof check>, name: string) => checks.find((c) => c.name === name)?.status;

describe("runtime config checks", () => {
  it("pass on the generated config and guard", () => {
    const checks = check(configText);
    expect(checks.every((c) => c.status === "pass"), JSON.stringify(checks, null, 1)).toBe(true);
    expect(guardText.endsWith(GUARD_MODULE_SOURCE)).toBe(true);
  });
  it("fail when the guard callback is removed or its file is missing, warn when the file was edited", () => {
    expect(status(check(edit((c) => delete c.litellm_settings!.callbacks)), "config guard")).toBe("fail");
    expect(status(check(configText, null), "config guard")).toBe("fail");
    expect(status(check(configText, guardText.replace("self.refuse(", "pass  # self.refuse(")), "config guard")).toBe("warn");
  });
  it("fail when the production config carries the mock-testing switch", () => {
    const text = edit((c) => {
      c.general_settings!.dangerously_allow_mock_testing_request_params = true;
    });
    expect(status(check(text), "config mock-testing switch")).toBe("fail");
  });
  it("fail when a local-only route can reach a deployment the route map declares cloud, even on a loopback host", () => {
    const text = edit((c) => {
      const r = c.router_settings!;
      r.fallbacks = [...(r.fallbacks as unknown[]), { "secure-core": ["gw-fallback-mini"] }];
    });
    const checks = check(text);
    // the route map declares the deployment cloud, so the proof itself reports the leak (the host is loopback)
    const leak = checks.find((c) => c.name.startsWith("config privacy proof secure-core") && c.name.endsWith("gw-fallback-mini:mini"));
    expect(leak?.status).toBe("fail");
    expect(leak?.message).toMatch(/^PRIVACY VIOLATION/);
    expect(status(checks, "config privacy proof")).toBeUndefined();
  });
  it("fail on default_fallbacks that send every route to the cloud", () => {
    const checks = check(edit((c) => {
      c.router_settings!.default_fallbacks = ["gw-fallback-mini"];
    }));
    expect(checks.filter((c) => c.status === "fail").map((c) => c.name)).toContain("config privacy proof secure-core router_settings.default_fallbacks gw-fallback-mini:mini");
  });
});
