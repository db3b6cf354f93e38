/**
 * Zod issues turned into findings a person can act on: readable message, hint, and which part of the
 * document the position should point at. Pure.
 */
import type { z } from "zod";
import { formatPath, type PathSegment } from "./locate.js";
import type { Finding } from "./rules.js";
import { suggestionSuffix } from "./suggest.js";
import { SECRET_NAME } from "./schema.js";
import { findCredentials } from "./credentials.js";

type Issue = z.core.$ZodIssue;

interface LooseDef {
  type: string;
  shape?: Record<string, unknown>;
  valueType?: unknown;
  innerType?: unknown;
  element?: unknown;
  in?: unknown;
}

function defOf(schema: unknown): LooseDef | undefined {
  return (schema as { _zod?: { def?: LooseDef } } | undefined)?._zod?.def;
}

function descriptionOf(schema: unknown): string | undefined {
  const d = (schema as { description?: unknown } | undefined)?.description;
  return typeof d === "string" ? d : undefined;
}

const WRAPPERS = new Set(["optional", "default", "prefault", "nullable", "readonly", "catch", "nonoptional"]);

/** The schema that validates the value at `path`, with wrappers (optional, default) removed, and its description. */
export function schemaAt(root: unknown, path: readonly PropertyKey[]): { schema: unknown; description?: string } | undefined {
  let current: unknown = root;
  let description: string | undefined;
  const unwrap = (): void => {
    description = description ?? descriptionOf(current);
    for (let def = defOf(current); def && (WRAPPERS.has(def.type) || def.type === "pipe"); def = defOf(current)) {
      current = def.type === "pipe" ? def.in : def.innerType;
      description = description ?? descriptionOf(current);
    }
  };
  unwrap();
  for (const seg of path) {
    const def = defOf(current);
    if (!def) return undefined;
    description = undefined;
    if (def.type === "object" && def.shape && typeof seg === "string" && seg in def.shape) current = def.shape[seg];
    else if (def.type === "record") current = def.valueType;
    else if (def.type === "array" && typeof seg === "number") current = def.element;
    else return undefined;
    unwrap();
  }
  return { schema: current, ...(description ? { description } : {}) };
}

/** The keys a strict object at `path` accepts. */
export function allowedKeysAt(root: unknown, path: readonly PropertyKey[]): string[] {
  const def = defOf(schemaAt(root, path)?.schema);
  return def?.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

function isSecretRefSchema(schema: unknown): boolean {
  const def = defOf(schema);
  return def?.type === "object" && !!def.shape && Object.keys(def.shape).join(",") === "secret";
}

function valueAt(data: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let current: unknown = data;
  for (const seg of path) {
    if (current === null || typeof current !== "object" || !Object.prototype.hasOwnProperty.call(current, seg)) {
      return { found: false, value: undefined };
    }
    current = (current as Record<PropertyKey, unknown>)[seg];
  }
  return { found: true, value: current };
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "an empty value";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      return "text";
    case "number":
      return Number.isInteger(value) ? `the number ${value}` : `the number ${value}`;
    case "boolean":
      return `${value}`;
    case "object":
      return "a mapping";
    default:
      return typeof value;
  }
}

const EXPECTED: Record<string, string> = {
  object: "a mapping",
  record: "a mapping",
  array: "a list",
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
};

const RECORD_NOUN: Record<string, string> = {
  backends: "backend name",
  models: "model name",
  lanes: "lane name",
  routes: "route alias",
};

function quote(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  const short = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return JSON.stringify(short);
}

function secretNameFor(path: readonly PropertyKey[]): string {
  const last = String(path[path.length - 1] ?? "");
  if (last === "masterKey") return "LITELLM_MASTER_KEY";
  const owner = path.length >= 2 ? String(path[path.length - 2]) : "SERVICE";
  const base = owner.toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^(?=\d)/, "_");
  return `${base}_API_KEY`;
}

/** One or more findings for one zod issue. `data` is the parsed YAML that was validated. */
export function findingsFromIssue(issue: Issue, data: unknown, rootSchema: unknown): Finding[] {
  const path = issue.path.map((p): PathSegment => (typeof p === "number" ? p : String(p)));
  const where = formatPath(path);
  const err = (p: PathSegment[], at: Finding["at"], message: string, hint?: string): Finding => ({
    severity: "error",
    path: p,
    at,
    message,
    ...(hint ? { hint } : {}),
  });
  const info = schemaAt(rootSchema, path);
  const { found, value } = valueAt(data, path);
  const last = path[path.length - 1];
  if (!found && issue.code !== "unrecognized_keys" && issue.code !== "invalid_key" && path.length > 0) {
    if (path.length === 1 && last === "version") {
      return [err(path, "missing", 'missing "version: 1" (the policy format version)', "add version: 1 as the first key")];
    }
    return [
      err(
        path,
        "missing",
        path.length === 1
          ? `missing required key "${String(last)}" at the top level`
          : `${formatPath(path.slice(0, -1))}: missing required key "${String(last)}"`,
        info?.description ? `${String(last)}: ${info.description}` : undefined,
      ),
    ];
  }
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = allowedKeysAt(rootSchema, path);
      return issue.keys.map((key) => {
        const p = [...path, key];
        return err(
          p,
          "key",
          `${formatPath(p)}: unknown key "${key}"${suggestionSuffix(key, allowed)}`,
          allowed.length > 0 ? `allowed here: ${allowed.join(", ")}` : undefined,
        );
      });
    }
    case "invalid_type": {
      if (isSecretRefSchema(info?.schema) && typeof value === "string") {
        // an UPPER_SNAKE value is probably the secret's name, unless it looks like a credential (AWS key ids do)
        const name = SECRET_NAME.test(value) && findCredentials(value).length === 0 ? value : secretNameFor(path);
        return [
          err(
            path,
            "value",
            `${where}: a secret is written as { secret: NAME }, never as a value`,
            `keep the value with the secrets provider and write ${String(last)}: { secret: ${name} }`,
          ),
        ];
      }
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return [
        err(
          path,
          "value",
          `${where}: expected ${expected}, got ${describeValue(value)}`,
          info?.description ? `${String(last ?? "policy")}: ${info.description}` : undefined,
        ),
      ];
    }
    case "invalid_value": {
      if (path.length === 1 && path[0] === "version") {
        return [
          err(
            path,
            "value",
            `version: this gatewayctl reads policy version 1, not ${quote(value)}`,
            "write version: 1, or upgrade gatewayctl for a newer policy format",
          ),
        ];
      }
      const options = issue.values.map((v) => String(v));
      const suggestion = typeof value === "string" ? suggestionSuffix(value, options) : "";
      return [
        err(
          path,
          "value",
          `${where}: ${quote(value)} is not one of ${options.map((o) => `"${o}"`).join(", ")}${suggestion}`,
          info?.description,
        ),
      ];
    }
    case "invalid_key": {
      const key = String(path[path.length - 1] ?? "");
      const section = String(path[0] ?? "");
      const noun = RECORD_NOUN[section] ?? "name";
      const inner = issue.issues[0];
      const custom = inner && !inner.message.startsWith("Invalid") ? inner.message : undefined;
      return [
        err(
          path,
          "key",
          `${where}: ${quote(key)} is not a valid ${noun}`,
          custom ??
            "use letters, digits, '.', '_' or '-', starting with a letter or digit, at most 63 characters",
        ),
      ];
    }
    case "invalid_format": {
      if (issue.format === "url") {
        return [err(path, "value", `${where}: not a valid URL`, 'write a full URL, for example "http://127.0.0.1:11434"')];
      }
      const custom = !issue.message.startsWith("Invalid") ? issue.message : undefined;
      return [err(path, "value", `${where}: has the wrong form`, custom ?? info?.description)];
    }
    case "too_small": {
      if (issue.origin === "string") return [err(path, "value", `${where}: must not be empty`, info?.description)];
      if (issue.origin === "array") return [err(path, "value", `${where}: needs at least ${issue.minimum} item(s)`)];
      const bound = issue.inclusive === false ? "greater than" : "at least";
      return [err(path, "value", `${where}: must be ${bound} ${issue.minimum}`, info?.description)];
    }
    case "too_big": {
      if (issue.origin === "string") return [err(path, "value", `${where}: is too long (at most ${issue.maximum} characters)`)];
      if (issue.origin === "array") return [err(path, "value", `${where}: has too many items (at most ${issue.maximum})`)];
      const bound = issue.inclusive === false ? "less than" : "at most";
      return [err(path, "value", `${where}: must be ${bound} ${issue.maximum}`, info?.description)];
    }
    default:
      return [err(path, "value", `${where}: ${issue.message}`, info?.description)];
  }
}
