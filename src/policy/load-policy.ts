// TEMPORARY minimal loader so other stages can be built in parallel; the policy helper replaces this file
// (line:column diagnostics, cross-field rules, credential detection). Keep the exported signatures.
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse } from "yaml";
import { PolicySchema, type Policy } from "./schema.js";
import { PolicyError, type Diagnostic } from "../lib/errors.js";

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

/** Parse and validate a policy text. Pure. Throws PolicyError listing every problem. */
export function parsePolicy(source: string, file: string): { policy: Policy; warnings: Diagnostic[] } {
  const data = parse(source);
  const result = PolicySchema.safeParse(data);
  if (!result.success) {
    throw new PolicyError(
      file,
      result.error.issues.map((i) => ({ file, path: i.path.join("."), message: i.message, severity: "error" as const })),
    );
  }
  return { policy: result.data, warnings: [] };
}

export async function loadPolicy(file: string): Promise<LoadedPolicy> {
  const abs = resolve(file);
  const source = await readFile(abs, "utf8");
  const { policy, warnings } = parsePolicy(source, file);
  return { policy, file, dir: dirname(abs), source, warnings };
}
