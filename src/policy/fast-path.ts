/**
 * The fast path for the common case, a clean policy. js-yaml reads YAML about ten times faster than the
 * position-keeping parser, so a policy with no problem at all is read with it, validated by the same schema and
 * rules, and returned. Anything else (a YAML error, a duplicate key, an anchor, a credential-looking literal, a
 * schema or rule finding, even a warning) returns undefined, and the positioned path reads the file again to
 * report every problem with file:line:column. The two paths accept exactly the same clean policies
 * (test/unit/policy-fast-path.test.ts checks that on the example and on generated ones).
 */
import { CORE_SCHEMA, load } from "js-yaml";
import { findCredentials, isKeyLikeField, looksLikeSecretValue } from "./credentials.js";
import type { PathSegment } from "./locate.js";
import { checkPolicyRules } from "./rules.js";
import { PolicySchema, SECRET_NAME, type Policy } from "./schema.js";

/** `&name` anchors and `*name` aliases: left to the positioned parser, which bounds alias expansion. */
const ANCHOR_OR_ALIAS = /(^|[\s[{,:-])[&*][^\s,\]}]/m;

export function parseCleanPolicy(source: string): Policy | undefined {
  if (ANCHOR_OR_ALIAS.test(source)) return undefined;
  if (findCredentials(source).length > 0) return undefined;
  let data: unknown;
  try {
    // CORE_SCHEMA: YAML 1.2 core types only (no timestamps, no merge keys), like the positioned parser
    data = load(source, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) return undefined;
  if (hasSecretLookingValue(data, undefined)) return undefined;
  const result = PolicySchema.safeParse(data);
  if (!result.success) return undefined;
  const findings = checkPolicyRules(result.data, (path) => isWritten(data, path));
  return findings.length === 0 ? result.data : undefined;
}

/** A long random string under a key-like field (the same test the positioned path reports). */
function hasSecretLookingValue(node: unknown, field: string | undefined): boolean {
  if (typeof node === "string") {
    if (field === undefined || !isKeyLikeField(field)) return false;
    if (field === "secret" && SECRET_NAME.test(node)) return false;
    return looksLikeSecretValue(node);
  }
  if (Array.isArray(node)) return node.some((item) => hasSecretLookingValue(item, field));
  if (node !== null && typeof node === "object") {
    return Object.entries(node).some(([k, v]) => hasSecretLookingValue(v, k));
  }
  return false;
}

function isWritten(data: unknown, path: readonly PathSegment[]): boolean {
  let node: unknown = data;
  for (const seg of path) {
    if (node === null || typeof node !== "object") return false;
    if (!Object.prototype.hasOwnProperty.call(node, seg)) return false;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return true;
}
