/**
 * Loading and validating the policy file: YAML with positions → duplicate keys and credential literals →
 * schema (zod) → cross-field rules. Every problem is reported at once, each with file:line:column and a hint.
 */
import { INPUT_LIMITS, readTextWithin } from "../lib/read-limited.js";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument, type Document } from "yaml";
import { InputError, PolicyError, type Diagnostic } from "../lib/errors.js";
import {
  credentialProblems,
  duplicateKeys,
  redactFinding,
  unresolvedAliases,
  yamlProblems,
  type PositionedFinding,
} from "./document-checks.js";
import { parseCleanPolicy } from "./fast-path.js";
import { formatPath, SourceLocator } from "./locate.js";
import { checkPolicyRules, type Finding } from "./rules.js";
import { PolicySchema, type Policy } from "./schema.js";
import { findingsFromIssue } from "./zod-issues.js";

export interface LoadedPolicy {
  policy: Policy;
  /** path as given by the user (used in messages) */
  file: string;
  /** absolute directory of the policy file (relative paths in the policy resolve against it) */
  dir: string;
  /** raw text of the file */
  source: string;
  warnings: Diagnostic[];
}

function positionFinding(f: Finding, locator: SourceLocator): PositionedFinding {
  const position =
    f.at === "key" ? locator.keyPosition(f.path) : f.at === "missing" ? locator.missingPosition(f.path) : locator.valuePosition(f.path);
  return {
    severity: f.severity,
    position,
    path: formatPath(f.path),
    message: f.message,
    ...(f.hint ? { hint: f.hint } : {}),
  };
}

function toDiagnostic(f: PositionedFinding, file: string): Diagnostic {
  return {
    file,
    line: f.position.line,
    column: f.position.column,
    ...(f.path ? { path: f.path } : {}),
    message: f.message,
    ...(f.hint ? { hint: f.hint } : {}),
    severity: f.severity,
  };
}

/** Diagnostics in file order (line, then column); errors before warnings at the same place. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort(
      (a, b) =>
        (a.d.line ?? 0) - (b.d.line ?? 0) ||
        (a.d.column ?? 0) - (b.d.column ?? 0) ||
        (a.d.severity === b.d.severity ? 0 : a.d.severity === "error" ? -1 : 1) ||
        a.i - b.i,
    )
    .map(({ d }) => d);
}

function isEmptyDocument(doc: Document): boolean {
  const c = doc.contents as { value?: unknown } | null;
  return c === null || (c !== undefined && "value" in c && (c.value === null || c.value === undefined));
}

/** Parse and validate a policy text. Pure. Throws PolicyError listing every problem. */
export function parsePolicy(source: string, file: string): { policy: Policy; warnings: Diagnostic[] } {
  const clean = parseCleanPolicy(source);
  if (clean) return { policy: clean, warnings: [] };
  return parsePolicyWithPositions(source, file);
}

/** The thorough path: every problem and warning, each with file:line:column. Pure. */
export function parsePolicyWithPositions(source: string, file: string): { policy: Policy; warnings: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const locator = new SourceLocator(doc, lineCounter);
  const found: PositionedFinding[] = [];

  found.push(...yamlProblems(source, doc, locator));
  found.push(...duplicateKeys(doc, locator));
  const credentials = credentialProblems(source, doc, locator);
  found.push(...credentials.findings);

  let policy: Policy | undefined;
  const aliases = doc.errors.length === 0 ? unresolvedAliases(doc, locator) : [];
  found.push(...aliases);
  if (doc.errors.length === 0 && aliases.length === 0) {
    if (isEmptyDocument(doc)) {
      found.push({
        severity: "error",
        position: { line: 1, column: 1 },
        message: "the policy file is empty",
        hint: "run gatewayctl init to write one, or start from examples/homelab/gateway.policy.yaml",
      });
    } else {
      let data: unknown;
      let converted = true;
      try {
        data = doc.toJS({ maxAliasCount: 100 });
      } catch (err) {
        converted = false;
        found.push({
          severity: "error",
          position: { line: 1, column: 1 },
          message: `YAML: ${(err as Error).message.split("\n")[0] ?? "cannot read the document"}`,
          hint: "check the anchors (&name) and aliases (*name) in the file",
        });
      }
      if (converted) {
        const result = PolicySchema.safeParse(data);
        if (!result.success) {
          for (const issue of result.error.issues) {
            for (const f of findingsFromIssue(issue, data, PolicySchema)) found.push(positionFinding(f, locator));
          }
        } else {
          policy = result.data;
          for (const f of checkPolicyRules(result.data, (p) => locator.has(p))) found.push(positionFinding(f, locator));
        }
      }
    }
  }

  const diagnostics = sortDiagnostics(found.map((f) => toDiagnostic(redactFinding(f, credentials.values), file)));
  const hasErrors = diagnostics.some((d) => d.severity === "error");
  if (hasErrors || policy === undefined) throw new PolicyError(file, diagnostics);
  return { policy, warnings: diagnostics };
}

/** Read and validate the policy file. Throws InputError when it cannot be read, PolicyError when it is invalid. */
export async function loadPolicy(file: string): Promise<LoadedPolicy> {
  const abs = resolve(file);
  let source: string;
  try {
    source = await readTextWithin(abs, INPUT_LIMITS.policy, "policy file");
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new InputError(`${file}: policy file not found`, {
        code: "POLICY_NOT_FOUND",
        hint: "run gatewayctl init to write one, or point --policy at your policy file",
      });
    }
    const reason =
      code === "EACCES" || code === "EPERM"
        ? "permission denied"
        : code === "EISDIR"
          ? "it is a directory, not a file"
          : (err as Error).message;
    throw new InputError(`${file}: cannot read the policy file (${reason})`, {
      code: "POLICY_UNREADABLE",
      hint: code === "EISDIR" ? "pass the policy file itself, for example --policy gateway.policy.yaml" : "check the path and the file's permissions",
    });
  }
  const { policy, warnings } = parsePolicy(source, file);
  return { policy, file, dir: dirname(abs), source, warnings };
}
