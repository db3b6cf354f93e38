import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/compile/index.js";
import { proveRoutes } from "../../src/privacy/prove.js";
import { cloudDeploymentIds, expectationsFromRouteMap } from "../../src/artifact/prove.js";
import { parseLiteLLMConfig } from "../../src/artifact/parse-config.js";
import { GatewayctlError } from "../../src/lib/errors.js";
import { isLocalHost, hostOfUrl } from "../../src/lib/hosts.js";
import { PolicySchema, type Policy } from "../../src/policy/schema.js";

const keys = fc.constantFrom("a", "b", "c");
const urls = fc.constantFrom(
  "http://127.0.0.1:11434",
  "http://localhost:8000/v1",
  "http://192.168.1.20:8000/v1",
  "http://gpu.lan:8000/v1",
  "https://llm.example.com/v1",
  "http://[::1]:9000/v1",
);
const backend = fc.record(
  {
    type: fc.constantFrom("ollama", "openai-compatible", "openai", "anthropic", "openrouter"),
    url: urls,
    location: fc.constantFrom("local", "cloud"),
    apiKey: fc.constant({ secret: "SOME_KEY" }),
  },
  { requiredKeys: ["type", "location"] },
);
const policyInput = fc.record({
  version: fc.constant(1),
  gateway: fc.record({ runtime: fc.constantFrom("docker", "process"), litellmVersion: fc.constantFrom("1.108.7", "1.83.0", "1.82.7") }),
  backends: fc.dictionary(keys, backend, { minKeys: 1 }),
  models: fc.dictionary(keys, fc.record({ backend: keys, name: fc.constantFrom("llama3.1:8b", "gpt-4o-mini", "x"), price: fc.constant({ input: 1, output: 2 }) }, { requiredKeys: ["backend", "name"] }), { minKeys: 1 }),
  lanes: fc.dictionary(keys, fc.record({ privacy: fc.constantFrom("local-only", "local-first", "cloud-allowed"), description: fc.constant("d") }), { minKeys: 1 }),
  routes: fc.dictionary(
    fc.constantFrom("secure-core", "routine", "web", "on", "1.5"),
    fc.record(
      { lane: keys, model: keys, fallbacks: fc.array(keys, { maxLength: 3 }), privacy: fc.constantFrom("local-only", "local-first", "cloud-allowed") },
      { requiredKeys: ["lane", "model"] },
    ),
  ),
});

/** Whether the proof should see a model as local: a self-hosted type on a local backend whose host is local. */
function isLocalModel(policy: Policy, modelKey: string): boolean {
  const backend = policy.backends[policy.models[modelKey]!.backend]!;
  if (backend.location !== "local" || !(backend.type === "ollama" || backend.type === "openai-compatible")) return false;
  const host = hostOfUrl(backend.url ?? "");
  return host !== undefined && isLocalHost(host);
}

describe("compiling arbitrary schema-valid policies", () => {
  it("gives a clean PolicyError or a config whose proof agrees with the policy, never a crash", () => {
    const seen = { compiled: 0, refused: 0, leaking: 0 };
    fc.assert(
      fc.property(policyInput, (input) => {
        const policy = PolicySchema.parse(input);
        let compiled;
        try {
          compiled = compilePolicy(policy, { policyFile: "p.yaml" });
        } catch (err) {
          expect(err).toBeInstanceOf(GatewayctlError);
          expect((err as GatewayctlError).exitCode).toBe(2);
          seen.refused++;
          return;
        }
        seen.compiled++;
        const text = compiled.files.find((f) => f.path === "config.yaml")!.content;
        const report = proveRoutes(parseLiteLLMConfig(text, "config.yaml"), expectationsFromRouteMap(compiled.routeMap), {
          cloudDeploymentIds: cloudDeploymentIds(compiled.routeMap),
        });
        if (!report.ok) seen.leaking++;
        for (const route of compiled.routeMap.routes) {
          const leaked = report.leaks.some((l) => l.alias === route.alias);
          if (route.privacy === "local-only") {
            expect(leaked, route.alias).toBe(![route.model, ...route.fallbacks].every((m) => isLocalModel(policy, m)));
          } else if (route.privacy === "local-first") {
            expect(leaked, route.alias).toBe(!isLocalModel(policy, route.model));
          } else {
            expect(leaked).toBe(false);
          }
          // the alias survives YAML as the proxy reads it
          expect(report.verdicts.find((v) => v.alias === route.alias)!.reachable[0]?.id).toBe(route.primaryDeploymentId);
        }
      }),
      { numRuns: 300, seed: 20261125 },
    );
    // the generator exercises all three outcomes
    expect(seen.compiled).toBeGreaterThan(20);
    expect(seen.refused).toBeGreaterThan(20);
    expect(seen.leaking).toBeGreaterThan(5);
  });
});
