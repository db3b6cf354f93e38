/**
 * The `command` provider against the real `pass` (Debian package `pass`) with a throwaway GPG key in a temp
 * GNUPGHOME and a temp PASSWORD_STORE_DIR. Fails (never skips) when pass or gpg is missing.
 */
import { execa } from "execa";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OperationError } from "../../src/lib/errors.js";
import { redact } from "../../src/lib/output.js";
import { PolicySchema, type Policy } from "../../src/policy/schema.js";
import { resolveSecrets } from "../../src/runtime/secrets.js";
import { tempDir } from "../support/cli.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;

function policy(command: string): Policy {
  return PolicySchema.parse({
    version: 1,
    secrets: { provider: "command", command, timeoutSeconds: 20 },
    backends: { home: { type: "ollama", url: "http://127.0.0.1:11434", location: "local" } },
    models: { llama: { backend: "home", name: "llama3" } },
    lanes: { private: { privacy: "local-only", description: "private work" } },
    routes: { "local-chat": { lane: "private", model: "llama" } },
  });
}

async function insert(name: string, value: string): Promise<void> {
  await execa("pass", ["insert", "-m", `gateway/${name}`], { env, extendEnv: false, input: `${value}\n` });
}

beforeAll(async () => {
  for (const tool of ["pass", "gpg"]) {
    const r = await execa(tool, ["--version"], { reject: false });
    if (r.exitCode !== 0) throw new Error(`${tool} is required for this test: apt-get install -y pass gnupg`);
  }
  tmp = await tempDir("gw-pass-");
  const gnupg = join(tmp.dir, "g");
  await mkdir(gnupg, { mode: 0o700 });
  env = { PATH: process.env.PATH, HOME: tmp.dir, GNUPGHOME: gnupg, PASSWORD_STORE_DIR: join(tmp.dir, "store") };
  await execa("gpg", ["--batch", "--passphrase", "", "--quick-gen-key", "gatewayctl test <gatewayctl-test@example.invalid>", "default", "default", "never"], {
    env,
    extendEnv: false,
  });
  const keys = await execa("gpg", ["--list-keys", "--with-colons"], { env, extendEnv: false });
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(keys.stdout)?.[1];
  if (!fpr) throw new Error(`no fingerprint in gpg output:\n${keys.stdout}`);
  await execa("pass", ["init", fpr], { env, extendEnv: false });
  await insert("LITELLM_MASTER_KEY", "sk-pass-master-7f3a9c\nsecond line is ignored");
  await insert("OPENAI_API_KEY", "  sk-pass-openai-51be  ");
}, 60_000);

afterAll(async () => {
  if (env) await execa("gpgconf", ["--kill", "gpg-agent"], { env, extendEnv: false, reject: false });
  await tmp?.cleanup();
});

describe("command provider with the real pass", () => {
  it("resolves every name with `pass show gateway/{name}`: first line, trimmed", async () => {
    const out = await resolveSecrets(policy("pass show gateway/{name}"), ["OPENAI_API_KEY", "LITELLM_MASTER_KEY"], { policyDir: tmp.dir, env });
    expect(out).toEqual({ LITELLM_MASTER_KEY: "sk-pass-master-7f3a9c", OPENAI_API_KEY: "sk-pass-openai-51be" });
    expect(redact("auth sk-pass-master-7f3a9c / sk-pass-openai-51be")).toBe("auth *** / ***");
  });

  it("names the secret that is not in the store, `pass` and its exit code, and none of the values", async () => {
    let err: unknown;
    try {
      await resolveSecrets(policy("pass show gateway/{name}"), ["LITELLM_MASTER_KEY", "ANTHROPIC_API_KEY"], { policyDir: tmp.dir, env });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OperationError);
    const e = err as OperationError;
    expect(e.message).toBe("missing secret ANTHROPIC_API_KEY (secrets provider command: ANTHROPIC_API_KEY: `pass` exited with code 1)");
    expect(`${e.message} ${e.hint}`).not.toContain("sk-pass-master");
    expect(e.hint).toContain("pass show gateway/{name}");
  });
});
