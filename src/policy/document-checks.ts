/**
 * Checks on the YAML document itself, before and independent of the schema: syntax errors, duplicate keys,
 * and credential literals anywhere in the text (values, keys, comments). Pure.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type YAMLError } from "yaml";
import { findCredentials, isKeyLikeField, looksLikeSecretValue, redactCredentials } from "./credentials.js";
import { formatPath, type PathSegment, type Position, type SourceLocator } from "./locate.js";
import { SECRET_NAME } from "./schema.js";

/** A finding with its position already known (document-level checks work on offsets). */
export interface PositionedFinding {
  severity: "error" | "warning";
  position: Position;
  path?: string;
  message: string;
  hint?: string;
}

const YAML_MESSAGES: Record<string, string> = {
  MULTIPLE_DOCS: "the file holds more than one YAML document (a second `---`); a policy is a single document",
  TAB_AS_INDENT: "tabs are not allowed as indentation in YAML; indent with spaces",
  DUPLICATE_KEY: "duplicate key",
};

/** The first line of a YAML library message, without long quoted source text (it could hold a credential). */
function cleanYamlMessage(error: YAMLError): string {
  const known = YAML_MESSAGES[error.code];
  if (known) return known;
  const first = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
  const shortened = first.replace(/"([^"]{25,})"/g, '"..."');
  return shortened.charAt(0).toLowerCase() + shortened.slice(1);
}

export function yamlProblems(source: string, doc: Document, locator: SourceLocator): PositionedFinding[] {
  const out: PositionedFinding[] = [];
  for (const e of doc.errors) {
    // point a second document at its `---` marker
    const marker = e.code === "MULTIPLE_DOCS" ? source.lastIndexOf("---", e.pos[0]) : -1;
    out.push({
      severity: "error",
      position: locator.positionOfOffset(marker >= 0 ? marker : e.pos[0]),
      message: `YAML syntax: ${cleanYamlMessage(e)}`,
      hint: "fix the YAML at this place; a YAML-aware editor (see schema/gateway.policy.schema.json) marks such errors as you type",
    });
  }
  for (const w of doc.warnings) {
    out.push({
      severity: "warning",
      position: locator.positionOfOffset(w.pos[0]),
      message: `YAML: ${cleanYamlMessage(w)}`,
    });
  }
  return out;
}

/** A path built as a chain while walking (cheap), turned into an array only when a finding needs it. */
interface Trail {
  parent: Trail | undefined;
  seg: PathSegment;
}

function trailPath(trail: Trail | undefined): PathSegment[] {
  const out: PathSegment[] = [];
  for (let t = trail; t; t = t.parent) out.push(t.seg);
  return out.reverse();
}

/** A scalar in the document with where it sits. */
interface ScalarEntry {
  start: number;
  end: number;
  trail: Trail | undefined;
  /** true for a mapping key */
  isKey: boolean;
  /** the nearest mapping key above a value (the field name) */
  field: string | undefined;
  text: string | undefined;
}

function collectScalars(doc: Document): ScalarEntry[] {
  const out: ScalarEntry[] = [];
  const seen = new Set<Node>();
  const visit = (node: unknown, trail: Trail | undefined, field: string | undefined, depth: number): void => {
    if (!node || depth > 200 || isAlias(node)) return;
    const n = node as Node;
    if (seen.has(n)) return;
    seen.add(n);
    if (isScalar(n)) {
      const range = n.range;
      if (range) {
        out.push({
          start: range[0],
          end: range[1],
          trail,
          isKey: false,
          field,
          text: typeof n.value === "string" ? n.value : undefined,
        });
      }
    } else if (isMap(n)) {
      for (const pair of n.items) {
        const k = pair.key as Node | null;
        const keyText = isScalar(k) ? String(k.value) : undefined;
        const child: Trail = { parent: trail, seg: keyText ?? "?" };
        if (isScalar(k) && k.range) {
          out.push({
            start: k.range[0],
            end: k.range[1],
            trail: child,
            isKey: true,
            field: undefined,
            text: typeof k.value === "string" ? k.value : undefined,
          });
        } else if (k) {
          visit(k, child, undefined, depth + 1);
        }
        visit(pair.value, child, keyText ?? field, depth + 1);
      }
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => visit(item, { parent: trail, seg: i }, field, depth + 1));
    }
  };
  visit(doc.contents, undefined, undefined, 0);
  return out;
}

const SECTION_NOUN: Record<string, string> = {
  backends: "backend name",
  models: "model name",
  lanes: "lane name",
  routes: "route alias",
};

/** Every mapping key that appears twice in the same mapping (YAML would silently keep the last one). */
export function duplicateKeys(doc: Document, locator: SourceLocator): PositionedFinding[] {
  const out: PositionedFinding[] = [];
  const seen = new Set<Node>();
  const visit = (node: unknown, trail: Trail | undefined, depth: number): void => {
    if (!node || depth > 200 || isAlias(node)) return;
    const n = node as Node;
    if (seen.has(n)) return;
    seen.add(n);
    if (isMap(n)) {
      const first = new Map<string, number>();
      for (const pair of n.items) {
        const k = pair.key as Node | null;
        const keyText = isScalar(k) ? String(k.value) : undefined;
        if (keyText !== undefined && isScalar(k) && k.range) {
          const previous = first.get(keyText);
          if (previous !== undefined) {
            const path = trailPath(trail);
            const noun = path.length === 1 ? SECTION_NOUN[String(path[0])] : undefined;
            const firstLine = locator.positionOfOffset(previous).line;
            out.push({
              severity: "error",
              position: locator.positionOfOffset(k.range[0]),
              path: formatPath([...path, keyText]),
              message: `${formatPath(path)}: duplicate ${noun ?? "key"} "${keyText}" (first defined on line ${firstLine})`,
              hint: "YAML would silently keep only the last one; remove or rename one of them",
            });
          } else {
            first.set(keyText, k.range[0]);
          }
        }
        if (isMap(pair.value) || isSeq(pair.value)) visit(pair.value, { parent: trail, seg: keyText ?? "?" }, depth + 1);
      }
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => {
        if (isMap(item) || isSeq(item)) visit(item, { parent: trail, seg: i }, depth + 1);
      });
    }
  };
  visit(doc.contents, undefined, 0);
  return out;
}

const CREDENTIAL_HINT =
  "delete it from the file and rotate it (it may already be in version control or on a share); keep the value with the secrets provider and refer to it as { secret: NAME }";

/**
 * Credential literals anywhere in the policy: known key formats, bearer tokens and URLs with passwords in the
 * whole text (values, keys, comments, even where the YAML is broken), and long high-entropy strings under
 * key-like field names. Returns the findings (which never contain the value) and the flagged values, so
 * every other message can be redacted.
 */
export function credentialProblems(
  source: string,
  doc: Document,
  locator: SourceLocator,
): { findings: PositionedFinding[]; values: string[] } {
  const findings: PositionedFinding[] = [];
  const values: string[] = [];
  const scalars = collectScalars(doc);
  const containing = (offset: number): ScalarEntry | undefined => {
    let best: ScalarEntry | undefined;
    for (const s of scalars) {
      if (s.start <= offset && offset < Math.max(s.end, s.start + 1) && (!best || s.end - s.start < best.end - best.start)) best = s;
    }
    return best;
  };
  const covered: { start: number; end: number }[] = [];
  for (const m of findCredentials(source)) {
    values.push(source.slice(m.start, m.end));
    const scalar = containing(m.start);
    if (scalar?.text) values.push(scalar.text);
    if (scalar) covered.push({ start: scalar.start, end: scalar.end });
    const lineStart = source.lastIndexOf("\n", m.start - 1) + 1;
    const inComment = !scalar && /(^|\s)#/.test(source.slice(lineStart, m.start));
    const scalarPath = scalar ? formatPath(trailPath(scalar.trail)) : undefined;
    const where = scalar
      ? `${scalarPath}${scalar.isKey ? " (a key)" : ""}`
      : inComment
        ? "a comment"
        : "the text";
    findings.push({
      severity: "error",
      position: locator.positionOfOffset(m.start),
      ...(scalarPath ? { path: scalarPath } : {}),
      message: `${where}: looks like ${m.kind}; the policy must never contain secret values`,
      hint: CREDENTIAL_HINT,
    });
  }
  for (const s of scalars) {
    if (s.isKey || s.text === undefined || s.field === undefined || !isKeyLikeField(s.field)) continue;
    if (covered.some((c) => c.start < s.end && s.start < c.end)) continue;
    if (s.field === "secret" && SECRET_NAME.test(s.text)) continue;
    if (!looksLikeSecretValue(s.text)) continue;
    values.push(s.text);
    const path = formatPath(trailPath(s.trail));
    findings.push({
      severity: "error",
      position: locator.positionOfOffset(s.start),
      path,
      message: `${path}: looks like a secret value (a long random string under "${s.field}"); the policy must never contain secret values`,
      hint: CREDENTIAL_HINT,
    });
  }
  return { findings, values };
}

/** Remove every flagged credential value from a finding's texts (defence in depth for messages built elsewhere). */
export function redactFinding<T extends { message: string; hint?: string; path?: string }>(f: T, values: string[]): T {
  const copy = { ...f, message: redactCredentials(f.message, values) };
  if (copy.hint !== undefined) copy.hint = redactCredentials(copy.hint, values);
  if (copy.path !== undefined) copy.path = redactCredentials(copy.path, values);
  return copy;
}

/** Aliases (`*name`) with no anchor (`&name`) before them: YAML cannot build the document. */
export function unresolvedAliases(doc: Document, locator: SourceLocator): PositionedFinding[] {
  const out: PositionedFinding[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (!node || depth > 200) return;
    if (isAlias(node)) {
      if (node.resolve(doc) === undefined) {
        out.push({
          severity: "error",
          position: locator.positionOfOffset(node.range?.[0] ?? 0),
          message: `YAML: the alias *${node.source} refers to no anchor &${node.source} defined before it`,
          hint: "define the anchor (&name) before using the alias (*name), or write the value out",
        });
      }
    } else if (isMap(node)) {
      for (const pair of node.items) {
        visit(pair.key, depth + 1);
        visit(pair.value, depth + 1);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) visit(item, depth + 1);
    }
  };
  visit(doc.contents, 0);
  return out;
}
