import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../../src/policy/load-policy.js";
import { buildGateway } from "../../src/compile/index.js";
import { ROOT } from "../support/cli.js";

const EXAMPLE = join(ROOT, "examples", "homelab");
const GOLDEN = join(EXAMPLE, "generated");

async function goldenFiles(): Promise<string[]> {
  const entries = await readdir(GOLDEN, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(GOLDEN, join(e.parentPath, e.name)).split("\\").join("/"))
    .sort();
}

describe("the homelab example", async () => {
  const loaded = await loadPolicy(join(EXAMPLE, "gateway.policy.yaml"));
  const compiled = buildGateway(loaded);

  it("builds the committed golden files exactly (update with: npx vitest run test/unit/compile-golden.test.ts -u)", async () => {
    for (const f of compiled.files) {
      await expect(f.content, f.path).toMatchFileSnapshot(join(GOLDEN, f.path));
    }
    expect(await goldenFiles()).toEqual(compiled.files.map((f) => f.path));
  });

  it("reproduces the issue's lanes and aliases", () => {
    const routes = Object.fromEntries(compiled.routeMap.routes.map((r) => [r.alias, [r.lane, r.privacy, r.model, r.fallbacks]]));
    expect(routes).toEqual({
      "secure-core": ["private", "local-only", "llama", []],
      "local-model": ["private", "local-only", "llama", []],
      "routine-router": ["routine", "local-first", "llama", ["mini"]],
      coding: ["coding", "local-first", "coder", ["mini"]],
      "openai-fast": ["web", "cloud-allowed", "mini", []],
      "web-model": ["web", "cloud-allowed", "mini", ["sonnet"]],
      "general-smart": ["premium", "cloud-allowed", "sonnet", ["mini"]],
    });
    expect(Object.keys(loaded.policy.lanes)).toEqual(["private", "routine", "coding", "web", "premium"]);
    expect(loaded.policy.gateway.litellmVersion).toBe("1.108.7");
    expect(loaded.source.split("\n")[0]).toBe("# yaml-language-server: $schema=../../schema/gateway.policy.schema.json");
  });

  it("passes its own privacy proof: private aliases reach only the local Ollama", () => {
    const proof = compiled.proof!;
    expect(proof.ok).toBe(true);
    const reach = Object.fromEntries(proof.verdicts.map((v) => [v.alias, v.reachable.map((r) => `${r.id}/${r.location}`)]));
    expect(reach["secure-core"]).toEqual(["secure-core:llama/local"]);
    expect(reach["local-model"]).toEqual(["local-model:llama/local"]);
    expect(reach["routine-router"]).toEqual(["routine-router:llama/local", "gw-fallback-mini:mini/cloud"]);
    expect(reach.coding).toEqual(["coding:coder/local", "gw-fallback-mini:mini/cloud"]);
    expect(compiled.routeMap.gateway.secretNames).toEqual(["ANTHROPIC_API_KEY", "LITELLM_MASTER_KEY", "OPENAI_API_KEY", "OPENCLAW_GATEWAY_KEY", "OPENCLAW_PRIVATE_KEY", "SCRIPTS_GATEWAY_KEY"]);
  });
});
