// Helpers for the policy tests (not a test file itself).
import { expect } from "vitest";
import { parsePolicy } from "../../src/policy/load-policy.js";
import { PolicyError, type Diagnostic } from "../../src/lib/errors.js";
import type { Policy } from "../../src/policy/schema.js";

export const FILE = "gateway.policy.yaml";

/** A small valid policy: one local and one cloud backend, one local-only and one cloud-allowed route. */
export const BASE = `version: 1
backends:
  ollama: { type: ollama, url: "http://127.0.0.1:11434", location: local }
  openai: { type: openai, apiKey: { secret: OPENAI_API_KEY }, location: cloud }
models:
  llama: { backend: ollama, name: "llama3.1:8b" }
  mini: { backend: openai, name: gpt-4o-mini, price: { input: 0.15, output: 0.6 } }
lanes:
  private: { privacy: local-only, description: "Stays home" }
  web: { privacy: cloud-allowed, description: "Anything" }
routes:
  secure-core: { lane: private, model: llama }
  web-model: { lane: web, model: mini }
`;

/** Parses text that must be valid; returns the policy and its warnings. */
export function valid(source: string): { policy: Policy; warnings: Diagnostic[] } {
  try {
    return parsePolicy(source, FILE);
  } catch (err) {
    if (err instanceof PolicyError) {
      throw new Error(`expected a valid policy, got:\n${err.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join("\n")}`);
    }
    throw err;
  }
}

/** Parses text that must be invalid; returns every diagnostic (errors and warnings). */
export function problems(source: string): Diagnostic[] {
  try {
    parsePolicy(source, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    const e = err as PolicyError;
    expect(e.exitCode).toBe(2);
    return e.diagnostics;
  }
  throw new Error("expected the policy to be rejected, but it parsed");
}

export function errorsOf(source: string): Diagnostic[] {
  return problems(source).filter((d) => d.severity === "error");
}

/** 1-based line and column of the n-th occurrence (from 0) of `needle` in `source`. */
export function positionOf(source: string, needle: string, occurrence = 0): { line: number; column: number } {
  let index = -1;
  for (let i = 0; i <= occurrence; i++) {
    index = source.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`"${needle}" (occurrence ${occurrence}) not in source`);
  }
  const before = source.slice(0, index);
  const line = before.split("\n").length;
  const column = index - before.lastIndexOf("\n");
  return { line, column };
}

/** The single diagnostic whose message contains `text`. */
export function only(diagnostics: Diagnostic[], text: string): Diagnostic {
  const matching = diagnostics.filter((d) => d.message.includes(text));
  if (matching.length !== 1) {
    throw new Error(
      `expected exactly one diagnostic containing "${text}", got ${matching.length}:\n${diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join("\n")}`,
    );
  }
  return matching[0] as Diagnostic;
}

/** Asserts the diagnostic points at `needle` in `source`. */
export function expectAt(d: Diagnostic, source: string, needle: string, occurrence = 0): void {
  expect({ line: d.line, column: d.column }).toEqual(positionOf(source, needle, occurrence));
  expect(d.file).toBe(FILE);
}
