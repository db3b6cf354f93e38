import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCleanPolicy } from "../../src/policy/fast-path.js";
import { parsePolicy, parsePolicyWithPositions } from "../../src/policy/load-policy.js";
import { PolicyError } from "../../src/lib/errors.js";
import { ROOT } from "../support/cli.js";

const example = readFileSync(join(ROOT, "examples/homelab/gateway.policy.yaml"), "utf8");

/** What the thorough path says of a text: the policy when it is clean (no error, no warning), else undefined. */
function thorough(source: string): { clean: boolean; policy?: unknown } {
  try {
    const { policy, warnings } = parsePolicyWithPositions(source, "p.yaml");
    return warnings.length === 0 ? { clean: true, policy } : { clean: false };
  } catch (err) {
    if (err instanceof PolicyError) return { clean: false };
    throw err;
  }
}

describe("the fast path for clean policies", () => {
  it("reads the example exactly as the positioned parser does", () => {
    const fast = parseCleanPolicy(example);
    expect(fast).toBeDefined();
    expect(fast).toEqual(thorough(example).policy);
  });

  it("leaves every policy with a warning or an error to the positioned parser", () => {
    const warned = example.replace("bind: 127.0.0.1", "bind: 0.0.0.0");
    expect(parseCleanPolicy(warned)).toBeUndefined();
    expect(parsePolicy(warned, "p.yaml").warnings.some((w) => w.path === "gateway.bind" && w.message.includes("every network interface"))).toBe(true);

    const broken = example.replace("fallbacks: [mini] }\n  openai-fast", "fallbacks: [minii] }\n  openai-fast");
    expect(parseCleanPolicy(broken)).toBeUndefined();
    expect(() => parsePolicy(broken, "p.yaml")).toThrow(PolicyError);

    const duplicate = example.replace("  local-model:    { lane: private, model: llama }", "  secure-core:    { lane: private, model: llama }");
    expect(parseCleanPolicy(duplicate)).toBeUndefined();

    const leaked = example.replace("{ secret: OPENAI_API_KEY }", `"sk-proj-${"a1B2c3D4e5".repeat(4)}"`);
    expect(parseCleanPolicy(leaked)).toBeUndefined();

    const anchored = example.replace("llama:  { backend: ollama", "llama: &l { backend: ollama");
    expect(parseCleanPolicy(anchored)).toBeUndefined();
  });

  it("never accepts a text the positioned parser rejects, and agrees on what it accepts (random edits of the example)", () => {
    const lines = example.split("\n");
    const edit = fc.record({
      line: fc.nat({ max: lines.length - 1 }),
      column: fc.nat({ max: 80 }),
      text: fc.oneof(
        fc.constantFrom("", " ", "#", ":", "-", "[", "]", "{", "}", ",", "'", '"', "0", "1_000", "0o17", "yes", "~", "\t", "  ", "x: 1", "*a", "&a"),
        fc.string({ maxLength: 6 }),
      ),
      remove: fc.nat({ max: 4 }),
    });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        const copy = [...lines];
        for (const e of edits) {
          const l = copy[e.line] ?? "";
          const c = Math.min(e.column, l.length);
          copy[e.line] = l.slice(0, c) + e.text + l.slice(c + e.remove);
        }
        const source = copy.join("\n");
        const fast = parseCleanPolicy(source);
        if (fast === undefined) return;
        const slow = thorough(source);
        expect(slow.clean).toBe(true);
        expect(fast).toEqual(slow.policy);
      }),
      { numRuns: 600, seed: 20261125 },
    );
  });
});
