import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { parsePolicy } from "../../src/policy/load-policy.js";
import { PolicyError, formatDiagnostic } from "../../src/lib/errors.js";
import { findCredentials, isKeyLikeField, looksLikeSecretValue, redactCredentials, shannonEntropy } from "../../src/policy/credentials.js";
import { BASE, FILE, expectAt, only, problems, valid } from "./policy-support.js";

/** Random characters from an alphabet (fake credentials are made at run time, never committed). */
function random(length: number, alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"): string {
  const bytes = randomBytes(length);
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[(bytes[i] ?? 0) % alphabet.length];
  // make sure both digits and letters appear, as in real keys
  return `${out.slice(0, -2)}7q`;
}
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const b64url = (n: number) => random(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

const KINDS: [string, () => string][] = [
  ["an OpenAI API key", () => `sk-${random(48)}`],
  ["an OpenAI project API key", () => `sk-proj-${b64url(60)}`],
  ["an Anthropic API key", () => `sk-ant-api03-${b64url(80)}`],
  ["an OpenRouter API key", () => `sk-or-v1-${random(64, "0123456789abcdef")}`],
  ["an AWS access key id", () => `AKIA${random(16, UPPER)}`.replace(/7q$/, "7Q")],
  ["an AWS access key id", () => `ASIA${random(16, UPPER)}`.replace(/7q$/, "7Q")],
  ["a GitHub token", () => `ghp_${random(36)}`],
  ["a GitHub token", () => `gho_${random(36)}`],
  ["a GitHub fine-grained token", () => `github_pat_${random(22)}_${random(59)}`],
  ["a Slack token", () => `xoxb-${random(11, "0123456789")}-${random(24)}`],
  ["a Google API key", () => `AIza${b64url(35)}`],
  ["a JSON Web Token", () => `eyJ${b64url(30)}.eyJ${b64url(40)}.${b64url(43)}`],
  ["a bearer token", () => `Bearer ${b64url(40)}`],
];

/** Everything the CLI prints for a PolicyError (same lines as src/cli.ts writes to stderr). */
function rendered(err: PolicyError): string {
  return [...err.diagnostics.map(formatDiagnostic), `error: ${err.message}`, `hint: ${err.hint}`].join("\n");
}

function rejected(source: string): PolicyError {
  try {
    parsePolicy(source, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error("expected a PolicyError");
}

describe("credential literals in the policy", () => {
  it.each(KINDS.map(([kind, make], i) => [i, kind, make] as const))("#%i %s in a description is an error that never repeats it", (_i, kind, make) => {
    const secret = make();
    const source = BASE.replace('description: "Anything"', `description: "call it with ${secret} please"`);
    const err = rejected(source);
    const d = only(err.diagnostics, "looks like");
    expect(d.message).toBe(`lanes.web.description: looks like ${kind}; the policy must never contain secret values`);
    expectAt(d, source, secret);
    expect(d.hint).toContain("{ secret: NAME }");
    expect(d.hint).toContain("rotate");
    const text = rendered(err);
    expect(text).not.toContain(secret);
    // not even a long piece of it
    expect(text).not.toContain(secret.slice(-16));
  });

  it.each(KINDS.map(([kind, make], i) => [i, kind, make] as const))("#%i %s as an apiKey value is reported without the value", (_i, kind, make) => {
    const secret = make();
    const source = BASE.replace("apiKey: { secret: OPENAI_API_KEY }", `apiKey: "${secret}"`);
    const err = rejected(source);
    const ds = err.diagnostics.filter((d) => d.path === "backends.openai.apiKey");
    expect(ds.map((d) => d.message).sort()).toEqual([
      "backends.openai.apiKey: a secret is written as { secret: NAME }, never as a value",
      `backends.openai.apiKey: looks like ${kind}; the policy must never contain secret values`,
    ]);
    expect(only(ds, "a secret is written as").hint).toBe(
      "keep the value with the secrets provider and write apiKey: { secret: OPENAI_API_KEY }",
    );
    // the credential finding points into the quoted value, where the key starts
    expectAt(only(ds, "looks like"), source, secret);
    expect(rendered(err)).not.toContain(secret);
  });

  it("a credential in a comment", () => {
    const secret = `sk-proj-${b64url(50)}`;
    const source = BASE.replace("models:\n", `# old key: ${secret}\nmodels:\n`);
    const err = rejected(source);
    const d = only(err.diagnostics, "looks like");
    expect(d.message).toBe("a comment: looks like an OpenAI project API key; the policy must never contain secret values");
    expectAt(d, source, secret);
    expect(rendered(err)).not.toContain(secret);
  });

  it("a credential used as a key", () => {
    const secret = `ghp_${random(36)}`;
    const source = BASE.replace("  web: {", `  ${secret}: { privacy: web, description: x }\n  web: {`);
    const err = rejected(source);
    expect(only(err.diagnostics, "looks like").message).toContain("(a key): looks like a GitHub token");
    expect(rendered(err)).not.toContain(secret);
  });

  it("a credential in a file that is not even valid YAML", () => {
    const secret = `sk-ant-api03-${b64url(80)}`;
    const source = `version: 1\nbackends:\n  a: { apiKey: "${secret}\n  b: [\n`;
    const err = rejected(source);
    expect(err.diagnostics.some((d) => d.message.startsWith("YAML syntax:"))).toBe(true);
    expectAt(only(err.diagnostics, "looks like an Anthropic API key"), source, secret);
    expect(rendered(err)).not.toContain(secret);
  });

  it("a credential as an unknown lane name or model is not echoed by the reference error", () => {
    const secret = `sk-${random(48)}`;
    const source = BASE.replace("{ lane: web, model: mini }", `{ lane: web, model: mini, fallbacks: ["${secret}"] }`);
    const err = rejected(source);
    expect(err.diagnostics.map((d) => d.message)).toContain("routes.web-model.fallbacks[0]: unknown model \"[redacted]\"");
    expect(rendered(err)).not.toContain(secret);
  });

  it("a URL with a user and password", () => {
    const password = random(16);
    const source = BASE.replace('url: "http://127.0.0.1:11434"', `url: "http://admin:${password}@127.0.0.1:11434"`);
    const err = rejected(source);
    const d = only(err.diagnostics, "looks like");
    expect(d.message).toBe("backends.ollama.url: looks like a URL with a password in it; the policy must never contain secret values");
    expectAt(d, source, "http://admin");
    expect(rendered(err)).not.toContain(password);
  });

  it("a URL carrying a key in its query", () => {
    const key = random(32);
    const source = BASE.replace('url: "http://127.0.0.1:11434"', `url: "http://127.0.0.1:11434/?api_key=${key}"`);
    const err = rejected(source);
    expect(only(err.diagnostics, "looks like").message).toContain("a URL query parameter carrying a credential");
    expect(rendered(err)).not.toContain(key);
  });

  it("a long high-entropy string under a key-like field", () => {
    const token = randomBytes(24).toString("hex");
    const source = BASE.replace("apiKey: { secret: OPENAI_API_KEY }", `apiKey: { secret: OPENAI_API_KEY, token: "${token}" }`);
    const err = rejected(source);
    const d = only(err.diagnostics, "looks like a secret value");
    expect(d.message).toBe(
      'backends.openai.apiKey.token: looks like a secret value (a long random string under "token"); the policy must never contain secret values',
    );
    expectAt(d, source, `"${token}"`);
    expect(rendered(err)).not.toContain(token);
  });

  it("masterKey as a plain password is caught", () => {
    const password = `${random(12)}-${random(12)}`;
    const source = BASE.replace("version: 1\n", `version: 1\ngateway:\n  masterKey: "${password}"\n`);
    const err = rejected(source);
    expect(err.diagnostics.map((d) => d.message)).toEqual([
      'gateway.masterKey: looks like a secret value (a long random string under "masterKey"); the policy must never contain secret values',
      "gateway.masterKey: a secret is written as { secret: NAME }, never as a value",
    ]);
    expect(err.diagnostics[1]?.hint).toContain("masterKey: { secret: LITELLM_MASTER_KEY }");
    expect(rendered(err)).not.toContain(password);
  });

  it("secret names, model names, URLs and paths are not mistaken for credentials", () => {
    const source = BASE.replace("OPENAI_API_KEY", "OPENAI_API_KEY_FOR_THE_HOME_PROJECT")
      .replace("version: 1\n", "version: 1\nsecrets:\n  provider: command\n  command: pass show gateway/{name}\n  timeoutSeconds: 5\n")
      .replace('description: "Anything"', 'description: "Research tasks: summarise the sk-learn docs and the desk-lamp manual; Bearer authentication"');
    expect(valid(source).warnings).toEqual([]);
    expect(problems(source.replace("provider: command", "provider: commmand")).length).toBe(1);
  });
});

describe("credential helpers", () => {
  it("findCredentials returns positions and kinds, most specific first", () => {
    const key = `sk-ant-${b64url(40)}`;
    const text = `a ${key} b`;
    expect(findCredentials(text)).toEqual([{ start: 2, end: 2 + key.length, kind: "an Anthropic API key" }]);
    expect(findCredentials("task-abcdefghijklmnopqrstuvwxyz0123")).toEqual([]);
  });

  it("redactCredentials removes patterns and listed values", () => {
    const key = `sk-${random(40)}`;
    expect(redactCredentials(`x ${key} y plain-secret-value`, ["plain-secret-value"])).toBe("x [redacted] y [redacted]");
  });

  it("entropy and key-like field names", () => {
    expect(shannonEntropy("aaaa")).toBe(0);
    expect(shannonEntropy("abcd")).toBe(2);
    expect(looksLikeSecretValue(randomBytes(16).toString("hex"))).toBe(true);
    expect(looksLikeSecretValue("short")).toBe(false);
    expect(looksLikeSecretValue("a".repeat(40))).toBe(false);
    for (const name of ["apiKey", "token", "client_secret", "password", "Authorization", "auth"]) expect(isKeyLikeField(name)).toBe(true);
    for (const name of ["description", "url", "name", "keep"]) expect(isKeyLikeField(name)).toBe(false);
  });
});
