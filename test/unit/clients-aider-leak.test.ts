import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../../src/compile/index.js";
import { parsePolicy } from "../../src/policy/load-policy.js";
import { renderClients } from "../../src/clients/index.js";
import { localOnlyRoutes } from "../../src/clients/routes.js";
import { ROOT } from "../support/cli.js";

/**
 * The aider leak: a user runs `aider --model openai/secure-core` for private work with the generated
 * .aider.conf.yml. aider's command line overrides only the main model; a weak-model (commit messages, summaries:
 * it reads the diff) or editor-model pinned in the file stays where the file says. If that alias is not local-only,
 * the private diff goes where that alias may go (here: a cloud fallback when the local server is down).
 */
const FIXTURE = join(ROOT, "test/fixtures/clients/gateway.policy.yaml");
const { policy } = parsePolicy(readFileSync(FIXTURE, "utf8"), FIXTURE);
const map = compilePolicy(policy, { policyFile: FIXTURE }).routeMap;
const files = renderClients(map).files;
const localOnly = new Set(localOnlyRoutes(map).map((r) => r.alias));

/** The aliases aider uses in each slot when run with `--model <main>` and this config file. */
function effectiveSlots(conf: Record<string, unknown>, main: string): Record<string, string> {
  const strip = (v: unknown) => String(v).replace(/^openai\//, "");
  return {
    model: main,
    // unset weak/editor models: aider uses the main model for a model it has no settings for (our aliases)
    "weak-model": conf["weak-model"] === undefined ? main : strip(conf["weak-model"]),
    "editor-model": conf["editor-model"] === undefined ? main : strip(conf["editor-model"]),
  };
}

describe("aider: a private --model keeps every slot private", () => {
  const conf = parseYaml(files.find((f) => f.path === "clients/aider.conf.yml")!.content) as Record<string, unknown>;

  for (const main of [...localOnly]) {
    it(`aider --model openai/${main} with the generated .aider.conf.yml: weak and editor models stay local-only`, () => {
      const slots = effectiveSlots(conf, main);
      for (const [slot, alias] of Object.entries(slots)) {
        expect(localOnly.has(alias), `${slot} would use ${alias}, which is not local-only`).toBe(true);
      }
    });
  }

  it("the private preset puts every slot on a local-only alias", () => {
    const preset = files.find((f) => f.path === "clients/aider.private.conf.yml");
    expect(preset, "no clients/aider.private.conf.yml").toBeDefined();
    const doc = parseYaml(preset!.content) as Record<string, unknown>;
    for (const slot of ["model", "weak-model", "editor-model"]) {
      expect(localOnly.has(String(doc[slot]).replace(/^openai\//, "")), `${slot}: ${String(doc[slot])}`).toBe(true);
    }
  });
});
