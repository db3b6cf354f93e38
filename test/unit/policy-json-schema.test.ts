import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { POLICY_SCHEMA_FILE, POLICY_SCHEMA_ID, policyJsonSchema, policyJsonSchemaText } from "../../src/policy/json-schema.js";
import { PolicySchema } from "../../src/policy/schema.js";
import { loadPolicy } from "../../src/policy/load-policy.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const HOMELAB = join(ROOT, "test/fixtures/policies/homelab.yaml");

type JsonSchema = Record<string, unknown>;

/**
 * A validator for the subset of draft-07 the generated schema uses. It throws on any keyword it does not know,
 * so a schema feature it cannot check fails the test instead of passing silently.
 */
const ANNOTATIONS = new Set(["$schema", "$id", "title", "description", "default", "format"]);
function validate(schema: JsonSchema, value: unknown, path = "$"): string[] {
  const errors: string[] = [];
  for (const key of Object.keys(schema)) {
    if (
      !ANNOTATIONS.has(key) &&
      !["type", "properties", "required", "additionalProperties", "propertyNames", "enum", "const", "pattern", "minimum", "maximum", "exclusiveMinimum", "minLength", "items"].includes(key)
    ) {
      throw new Error(`validator does not know keyword ${key} at ${path}`);
    }
  }
  const type = schema.type as string | undefined;
  const actual = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  if (type === "integer") {
    if (typeof value !== "number" || !Number.isInteger(value)) return [`${path}: expected integer`];
  } else if (type !== undefined && type !== actual) {
    return [`${path}: expected ${type}, got ${actual}`];
  }
  if ("const" in schema && schema.const !== value) errors.push(`${path}: expected ${String(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: not in enum`);
  if (typeof value === "string") {
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value)) errors.push(`${path}: pattern`);
    if (typeof schema.minLength === "number" && value.length < schema.minLength) errors.push(`${path}: too short`);
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) errors.push(`${path}: below minimum`);
    if (typeof schema.maximum === "number" && value > schema.maximum) errors.push(`${path}: above maximum`);
    if (typeof schema.exclusiveMinimum === "number" && value <= schema.exclusiveMinimum) errors.push(`${path}: not above minimum`);
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => errors.push(...validate(schema.items as JsonSchema, v, `${path}[${i}]`)));
  if (actual === "object") {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) errors.push(`${path}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      if (schema.propertyNames) errors.push(...validate(schema.propertyNames as JsonSchema, k, `${path} key ${k}`));
      if (props[k]) errors.push(...validate(props[k], v, `${path}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${path}.${k}: additional property`);
      else if (typeof schema.additionalProperties === "object") {
        errors.push(...validate(schema.additionalProperties as JsonSchema, v, `${path}.${k}`));
      }
    }
  }
  return errors;
}

describe("the shipped JSON Schema", () => {
  const committed = readFileSync(join(ROOT, POLICY_SCHEMA_FILE), "utf8");

  it("is exactly what the emitter produces (run npm run build to refresh it)", () => {
    expect(committed).toBe(policyJsonSchemaText());
    expect(policyJsonSchemaText()).toBe(policyJsonSchemaText());
  });

  it("describes the policy: id, title, top-level sections, strict objects, optional defaults", () => {
    const schema = JSON.parse(committed) as JsonSchema;
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.$id).toBe(POLICY_SCHEMA_ID);
    expect(schema.title).toContain("gatewayctl policy");
    expect(Object.keys(schema.properties as object)).toEqual(["version", "gateway", "secrets", "runtime", "backends", "models", "lanes", "routes", "clients", "ledger", "alerts", "scale"]);
    expect(schema.required).toEqual(["version", "backends", "models", "lanes", "routes"]);
    expect(schema.additionalProperties).toBe(false);
    // every object with named properties rejects unknown keys, so editors flag typos
    const objects: JsonSchema[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object") {
        const n = node as JsonSchema;
        if (n.type === "object" && n.properties) objects.push(n);
        Object.values(n).forEach(walk);
      }
    };
    walk(schema);
    expect(objects.length).toBeGreaterThanOrEqual(10);
    expect(objects.every((o) => o.additionalProperties === false)).toBe(true);
    const route = ((schema.properties as Record<string, JsonSchema>).routes?.additionalProperties ?? {}) as JsonSchema;
    expect(route.required).toEqual(["lane", "model"]);
  });

  it("accepts the issue's example policy and rejects typos in it", () => {
    const schema = policyJsonSchema();
    const example = parse(readFileSync(HOMELAB, "utf8")) as Record<string, unknown>;
    expect(validate(schema, example)).toEqual([]);
    expect(PolicySchema.safeParse(example).success).toBe(true);

    const typo = parse(readFileSync(HOMELAB, "utf8").replace("lane: private, model: llama }", "lane: private, modle: llama }"));
    expect(validate(schema, typo)).toEqual(["$.routes.secure-core.model: required", "$.routes.secure-core.modle: additional property"]);
    const badEnum = parse(readFileSync(HOMELAB, "utf8").replace("type: ollama", "type: olama"));
    expect(validate(schema, badEnum)).toEqual(["$.backends.ollama.type: not in enum"]);
    const badAlias = parse(readFileSync(HOMELAB, "utf8").replace("secure-core:", "Secure/Core:"));
    expect(validate(schema, badAlias)).toEqual(["$.routes key Secure/Core: pattern"]);
  });

  it.each([HOMELAB, join(ROOT, "examples/homelab/gateway.policy.yaml")])(
    "is what the yaml-language-server line of %s points at, and that policy loads cleanly",
    async (file) => {
      const first = readFileSync(file, "utf8").split("\n")[0] ?? "";
      const match = /^# yaml-language-server: \$schema=(.+)$/.exec(first);
      expect(match).not.toBeNull();
      expect(existsSync(resolve(dirname(file), match?.[1] ?? ""))).toBe(true);
      expect(resolve(dirname(file), match?.[1] ?? "")).toBe(join(ROOT, POLICY_SCHEMA_FILE));
      const loaded = await loadPolicy(file);
      expect(loaded.warnings).toEqual([]);
      expect(validate(policyJsonSchema(), parse(loaded.source))).toEqual([]);
    },
  );
});
