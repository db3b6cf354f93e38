import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { parsePolicy } from "../../src/policy/load-policy.js";
import { PolicyError, type Diagnostic } from "../../src/lib/errors.js";
import { BASE } from "./policy-support.js";

const HOMELAB = readFileSync(fileURLToPath(new URL("../fixtures/policies/homelab.yaml", import.meta.url)), "utf8");
const SEEDS = [HOMELAB, BASE];

/** Values from the policy's own vocabulary, so mutations reach the cross-field rules, not only the schema. */
const DOMAIN = [
  "local", "cloud", "ollama", "openai", "anthropic", "openrouter", "openai-compatible", "llama", "mini", "sonnet", "coder",
  "private", "routine", "web", "local-only", "local-first", "cloud-allowed", "gw-fallback-mini", "0.0.0.0", "::", "localhost",
  "1.82.7", "1.80.0", "http://8.8.8.8:11434", "ftp://127.0.0.1", "http://u:p@127.0.0.1", "env-file", "command", "process",
  "pass show {name}", "OPENAI_API_KEY", "", " ", "Bearer abc123def456", "${HOME}", "~", "*", "&a", "- x", "{", "]", "#",
];

const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...DOMAIN),
  fc.string(),
  fc.integer({ min: -100000, max: 100000 }),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.constantFrom(...DOMAIN), { maxLength: 4 }),
  fc.dictionary(fc.constantFrom("lane", "model", "type", "url", "location", "secret", "price", "input", "x"), fc.constantFrom(...DOMAIN, 1, -1)),
  fc.jsonValue({ maxDepth: 2 }),
);

type Mutation =
  | { op: "delete"; at: number }
  | { op: "rename"; at: number; key: string }
  | { op: "set"; at: number; value: unknown }
  | { op: "insert"; at: number; key: string; value: unknown };

const keyArb = fc.oneof(fc.constantFrom(...DOMAIN, "modle", "lanse", "fallback", "apikey", "__proto__", "constructor"), fc.string({ maxLength: 12 }));
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("rename" as const), at: fc.nat(), key: keyArb }),
  fc.record({ op: fc.constant("set" as const), at: fc.nat(), value: valueArb }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), key: keyArb, value: valueArb }),
);

/** Every (container, key) pair in a JSON-like tree. */
function slots(root: unknown): [Record<string, unknown> | unknown[], string | number][] {
  const out: [Record<string, unknown> | unknown[], string | number][] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach((v, i) => (out.push([node, i]), visit(v)));
    else if (node && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) {
        out.push([node as Record<string, unknown>, k]);
        visit(v);
      }
    }
  };
  visit(root);
  return out;
}

function mutate(data: unknown, mutations: Mutation[]): unknown {
  let root = data;
  for (const m of mutations) {
    const all = slots(root);
    if (all.length === 0) {
      root = m.op === "set" ? m.value : root;
      continue;
    }
    const [container, key] = all[m.at % all.length]!;
    if (Array.isArray(container)) {
      const i = key as number;
      if (m.op === "delete") container.splice(i, 1);
      else if (m.op === "set") container[i] = m.value;
      else if (m.op === "insert") container.splice(i, 0, m.value);
      else container[i] = m.key;
    } else {
      const k = key as string;
      if (m.op === "delete") delete container[k];
      else if (m.op === "set") container[k] = m.value;
      else if (m.op === "insert") Object.defineProperty(container, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
      else {
        const v = container[k];
        delete container[k];
        Object.defineProperty(container, m.key, { value: v, enumerable: true, writable: true, configurable: true });
      }
    }
  }
  return root;
}

/** parsePolicy either returns a policy or throws a PolicyError whose every diagnostic is well formed. */
function assertCleanOutcome(source: string): "valid" | "invalid" {
  const check = (d: Diagnostic): void => {
    expect(typeof d.message).toBe("string");
    expect(d.message.length).toBeGreaterThan(0);
    expect(["error", "warning"]).toContain(d.severity);
    expect(d.file).toBe("p.yaml");
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.message).not.toMatch(/\bat [\w.<>]+ \(|node_modules|TypeError|undefined/);
  };
  let result: ReturnType<typeof parsePolicy>;
  try {
    result = parsePolicy(source, "p.yaml");
  } catch (err) {
    if (!(err instanceof PolicyError)) throw new Error(`not a PolicyError: ${String((err as Error)?.stack ?? err)}\n--- source ---\n${source}`);
    expect(err.exitCode).toBe(2);
    expect(err.diagnostics.some((d) => d.severity === "error")).toBe(true);
    err.diagnostics.forEach(check);
    return "invalid";
  }
  expect(result.policy.version).toBe(1);
  result.warnings.forEach((w) => {
    check(w);
    expect(w.severity).toBe("warning");
  });
  return "valid";
}

describe("parsePolicy on mutated policies never crashes", () => {
  it("structural mutations: delete, rename, retype, insert, break references (400 cases)", () => {
    const outcomes = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...SEEDS), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (seed, mutations) => {
        const data = mutate(parse(seed), mutations);
        outcomes[assertCleanOutcome(stringify(data))]++;
      }),
      { numRuns: 400 },
    );
    // the mutations reach both outcomes, so the property is not vacuous
    expect(outcomes.invalid).toBeGreaterThan(50);
    expect(outcomes.valid).toBeGreaterThan(0);
  });

  it("text mutations: duplicated lines, cut files, inserted characters (300 cases)", () => {
    const textMutation = fc.oneof(
      fc.record({ op: fc.constant("dup" as const), line: fc.nat() }),
      fc.record({ op: fc.constant("cut" as const), at: fc.nat() }),
      fc.record({ op: fc.constant("insert" as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(":", "- ", "\t", "\n  ", "{", "&x ", "*x", "!!str ", "? ", "---\n", "'", '"')) }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...SEEDS), fc.array(textMutation, { minLength: 1, maxLength: 3 }), (seed, mutations) => {
        let text = seed;
        for (const m of mutations) {
          if (m.op === "dup") {
            const lines = text.split("\n");
            const i = m.line % lines.length;
            lines.splice(i, 0, lines[i] ?? "");
            text = lines.join("\n");
          } else if (m.op === "cut") text = text.slice(0, m.at % (text.length + 1));
          else {
            const at = m.at % (text.length + 1);
            text = text.slice(0, at) + m.text + text.slice(at);
          }
        }
        assertCleanOutcome(text);
      }),
      { numRuns: 300 },
    );
  });

  it("random YAML-ish text (200 cases)", () => {
    const token = fc.constantFrom("version: 1\n", "routes:\n", "  a: ", "{ lane: x }", "[", "]", "- ", ": ", "&a ", "*a", "\n", "  ", "#c\n", "'", '"', "!!int ", "<<: *a\n", "? ", "|\n  x\n");
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.array(token, { maxLength: 30 }).map((t) => t.join(""))), (text) => {
        assertCleanOutcome(text);
      }),
      { numRuns: 200 },
    );
  });
});
