import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OperationError, InputError } from "../../src/lib/errors.js";
import { redact } from "../../src/lib/output.js";
import { PolicySchema, type Policy } from "../../src/policy/schema.js";
import { parseDotenv, resolveSecrets, splitCommand } from "../../src/runtime/secrets.js";
import { tempDir } from "../support/cli.js";

function policyWith(secrets: Record<string, unknown>): Policy {
  return PolicySchema.parse({
    version: 1,
    secrets,
    backends: { home: { type: "ollama", url: "http://127.0.0.1:11434", location: "local" } },
    models: { llama: { backend: "home", name: "llama3" } },
    lanes: { private: { privacy: "local-only", description: "private work" } },
    routes: { "local-chat": { lane: "private", model: "llama" } },
  });
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir("gatewayctl-secrets-");
});
afterAll(async () => {
  await tmp.cleanup();
});

describe("parseDotenv", () => {
  it("reads plain, exported, quoted and commented values", () => {
    const text = [
      "# a comment",
      "PLAIN=value-1",
      "export EXPORTED = exported value ",
      "SINGLE='single # not a comment' # but this is",
      'DOUBLE="line1\\nline2 \\"q\\" # kept"',
      "INLINE=abc # trailing comment",
      "HASHED=abc#def",
      "EMPTY=",
      "  SPACED  =  x  ",
      "not a pair",
      'MULTI="first',
      'second"',
      "CRLF=win\r",
    ].join("\n");
    expect(parseDotenv(text)).toEqual({
      PLAIN: "value-1",
      EXPORTED: "exported value",
      SINGLE: "single # not a comment",
      DOUBLE: 'line1\nline2 "q" # kept',
      INLINE: "abc",
      HASHED: "abc#def",
      EMPTY: "",
      SPACED: "x",
      MULTI: "first\nsecond",
      CRLF: "win",
    });
  });

  it("keeps the last of repeated keys", () => {
    expect(parseDotenv("A=1\nA=2\n")).toEqual({ A: "2" });
  });
});

describe("splitCommand", () => {
  it("splits words like a shell without running one", () => {
    expect(splitCommand("pass show gateway/{name}")).toEqual(["pass", "show", "gateway/{name}"]);
    expect(splitCommand(`op read "op://vault/my item/{name}" --no-newline`)).toEqual(["op", "read", "op://vault/my item/{name}", "--no-newline"]);
    expect(splitCommand("a 'b c' d\\ e \"\"")).toEqual(["a", "b c", "d e", ""]);
  });

  it("refuses an unclosed quote as invalid input", () => {
    expect(() => splitCommand("pass show 'gateway/{name}")).toThrow(InputError);
  });
});

describe("resolveSecrets: env provider", () => {
  it("resolves from the given environment and registers values for redaction", async () => {
    const policy = policyWith({ provider: "env" });
    const out = await resolveSecrets(policy, ["LITELLM_MASTER_KEY", "OPENAI_API_KEY"], {
      policyDir: tmp.dir,
      env: { LITELLM_MASTER_KEY: "sk-env-master-0001", OPENAI_API_KEY: "sk-env-openai-0002" },
    });
    expect(out).toEqual({ LITELLM_MASTER_KEY: "sk-env-master-0001", OPENAI_API_KEY: "sk-env-openai-0002" });
    expect(redact("key sk-env-openai-0002 here")).toBe("key *** here");
  });

  it("names every missing or empty secret at once, and the provider", async () => {
    const policy = policyWith({ provider: "env" });
    const err = await rejection(
      resolveSecrets(policy, ["A_KEY", "B_KEY", "C_KEY"], { policyDir: tmp.dir, env: { A_KEY: "sk-present-value-3", B_KEY: "" } }),
    );
    expect(err).toBeInstanceOf(OperationError);
    expect(err.message).toContain("B_KEY, C_KEY");
    expect(err.message).toContain("secrets provider env");
    expect(err.message).not.toContain("A_KEY");
    expect(err.message).not.toContain("sk-present-value-3");
    expect((err as OperationError).hint).toContain("export B_KEY=");
  });
});

describe("resolveSecrets: env-file provider", () => {
  it("reads a 0600 file relative to the policy directory", async () => {
    const file = join(tmp.dir, "ok.env");
    await writeFile(file, "LITELLM_MASTER_KEY='sk-file-master-0003'\nOTHER=sk-file-unused-0004\n");
    await chmod(file, 0o600);
    const out = await resolveSecrets(policyWith({ provider: "env-file", file: "ok.env" }), ["LITELLM_MASTER_KEY"], { policyDir: tmp.dir, env: {} });
    expect(out).toEqual({ LITELLM_MASTER_KEY: "sk-file-master-0003" });
    // every value of the file is secret, also the ones not asked for
    expect(redact("sk-file-unused-0004")).toBe("***");
  });

  it("expands ~ to the home directory", async () => {
    const home = join(tmp.dir, "home");
    await mkdir(join(home, ".config"), { recursive: true });
    const file = join(home, ".config", "gw.env");
    await writeFile(file, "LITELLM_MASTER_KEY=sk-home-master-0005\n", { mode: 0o600 });
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      const out = await resolveSecrets(policyWith({ provider: "env-file", file: "~/.config/gw.env" }), ["LITELLM_MASTER_KEY"], { policyDir: "/nonexistent" });
      expect(out.LITELLM_MASTER_KEY).toBe("sk-home-master-0005");
    } finally {
      process.env.HOME = saved;
    }
  });

  it.each([0o640, 0o604, 0o660, 0o644])("refuses a file with mode %o and says chmod 600", async (mode) => {
    const file = join(tmp.dir, `open-${mode.toString(8)}.env`);
    await writeFile(file, "LITELLM_MASTER_KEY=sk-open-master-0006\n");
    await chmod(file, mode);
    const err = await rejection(resolveSecrets(policyWith({ provider: "env-file", file }), ["LITELLM_MASTER_KEY"], { policyDir: tmp.dir }));
    expect(err).toBeInstanceOf(OperationError);
    expect(err.message).toContain(`refusing secrets file ${file}`);
    expect((err as OperationError).hint).toBe(`chmod 600 ${file}`);
    expect(err.message).not.toContain("sk-open-master-0006");
  });

  it("names the missing secrets and the file", async () => {
    const file = join(tmp.dir, "partial.env");
    await writeFile(file, "LITELLM_MASTER_KEY=sk-partial-0007\nEMPTY_KEY=\n", { mode: 0o600 });
    const err = await rejection(
      resolveSecrets(policyWith({ provider: "env-file", file }), ["LITELLM_MASTER_KEY", "EMPTY_KEY", "ABSENT_KEY"], { policyDir: tmp.dir }),
    );
    expect(err.message).toBe(`missing secrets ABSENT_KEY, EMPTY_KEY (secrets provider env-file: ${file})`);
  });

  it("reports a missing file and an unset secrets.file", async () => {
    const missing = await rejection(resolveSecrets(policyWith({ provider: "env-file", file: "nope.env" }), ["X_KEY"], { policyDir: tmp.dir }));
    expect(missing.message).toContain(join(tmp.dir, "nope.env"));
    const unset = await rejection(resolveSecrets(policyWith({ provider: "env-file" }), ["X_KEY"], { policyDir: tmp.dir }));
    expect(unset).toBeInstanceOf(InputError);
  });

  it("returns what it can with allowMissing", async () => {
    const file = join(tmp.dir, "lenient.env");
    await writeFile(file, "A_KEY=sk-lenient-0008\n", { mode: 0o600 });
    const out = await resolveSecrets(policyWith({ provider: "env-file", file }), ["A_KEY", "B_KEY"], { policyDir: tmp.dir, allowMissing: true });
    expect(out).toEqual({ A_KEY: "sk-lenient-0008" });
  });
});

describe("resolveSecrets: command provider (no shell)", () => {
  it("substitutes {name} in each argument and takes the first line of stdout, trimmed", async () => {
    const policy = policyWith({ provider: "command", command: "printf '  sk-cmd-%s  \\nsecond line\\n' {name}" });
    const out = await resolveSecrets(policy, ["FIRST_KEY"], { policyDir: tmp.dir });
    expect(out).toEqual({ FIRST_KEY: "sk-cmd-FIRST_KEY" });
  });

  it("never runs a shell: metacharacters stay literal arguments", async () => {
    const marker = join(tmp.dir, "shell-ran");
    const policy = policyWith({ provider: "command", command: `echo {name}; touch ${marker}` });
    const out = await resolveSecrets(policy, ["META_KEY"], { policyDir: tmp.dir });
    expect(out.META_KEY).toBe(`META_KEY; touch ${marker}`);
    await expect(import("node:fs/promises").then((fs) => fs.access(marker))).rejects.toThrow();
  });

  it("names the secret, argv[0] and the exit code of a failing command, never its stdout", async () => {
    const policy = policyWith({ provider: "command", command: "sh -c 'echo sk-leaked-$0-0009; exit 7' {name}" });
    const err = await rejection(resolveSecrets(policy, ["FAIL_KEY", "FAIL_TOO"], { policyDir: tmp.dir }));
    expect(err).toBeInstanceOf(OperationError);
    expect(err.message).toContain("FAIL_KEY: `sh` exited with code 7");
    expect(err.message).toContain("FAIL_TOO: `sh` exited with code 7");
    expect(err.message).not.toContain("sk-leaked-FAIL");
    expect((err as OperationError).hint).not.toContain("sk-leaked-FAIL");
  });

  it("enforces secrets.timeoutSeconds", async () => {
    const policy = policyWith({ provider: "command", command: "sh -c 'sleep 5' {name}", timeoutSeconds: 0.3 });
    const started = Date.now();
    const err = await rejection(resolveSecrets(policy, ["SLOW_KEY"], { policyDir: tmp.dir }));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err.message).toContain("SLOW_KEY: `sh` timed out after 0.3s");
  });

  it("reports a command that does not exist and one that prints nothing", async () => {
    const missing = await rejection(
      resolveSecrets(policyWith({ provider: "command", command: "/nonexistent/secret-tool {name}" }), ["NO_TOOL"], { policyDir: tmp.dir }),
    );
    expect(missing.message).toContain("NO_TOOL: `/nonexistent/secret-tool`");
    const empty = await rejection(resolveSecrets(policyWith({ provider: "command", command: "true {name}" }), ["EMPTY_OUT"], { policyDir: tmp.dir }));
    expect(empty.message).toContain("EMPTY_OUT: `true` printed nothing");
  });
});

describe("secretNamesInConfig", () => {
  it("finds every os.environ/ reference, also inside lists, once and sorted", async () => {
    const { secretNamesInConfig } = await import("../../src/artifact/read.js");
    const config = {
      model_list: [
        { model_name: "a", litellm_params: { model: "openai/x", api_key: "os.environ/OPENAI_API_KEY", api_base: "https://api.openai.com/v1" } },
        { model_name: "b", litellm_params: { model: "anthropic/y", api_key: "os.environ/ANTHROPIC_API_KEY", extra: ["os.environ/LISTED_KEY", 3, null] } },
        { model_name: "c", litellm_params: { model: "openai/z", api_key: "os.environ/OPENAI_API_KEY" } },
      ],
      general_settings: { master_key: "os.environ/LITELLM_MASTER_KEY", note: "mentions os.environ/ in the middle" },
      empty: "os.environ/",
    };
    expect(secretNamesInConfig(config)).toEqual(["ANTHROPIC_API_KEY", "LISTED_KEY", "LITELLM_MASTER_KEY", "OPENAI_API_KEY"]);
  });
});
