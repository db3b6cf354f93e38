import { copyFile, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execa } from "execa";
import { ROOT, runCli, tempDir } from "../support/cli.js";

let dir: string;
let cleanup: () => Promise<void>;
let policy: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir("gatewayctl-clientfmt-"));
  policy = join(dir, "gateway.policy.yaml");
  await copyFile(join(ROOT, "test/fixtures/clients/gateway.policy.yaml"), policy);
});
afterAll(async () => cleanup?.());

describe("gatewayctl clients <continue|open-webui|aider|env>", () => {
  it("continue prints its config.yaml to stdout, pointing at the gateway", async () => {
    const r = await runCli(["clients", "continue", "--policy", policy]);
    expect(r.exitCode).toBe(0);
    const doc = parseYaml(r.stdout);
    expect(doc.models[0]).toMatchObject({ provider: "openai", model: "secure-core", apiBase: "http://127.0.0.1:4123/v1" });
    expect(r.stderr).toContain("~/.continue/config.yaml");
  });

  it("--base-url overrides the address (a client in a container), validated", async () => {
    const r = await runCli(["clients", "open-webui", "--policy", policy, "--base-url", "http://host.docker.internal:4123/v1/"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("OPENAI_API_BASE_URL=http://host.docker.internal:4123/v1\n");
    const bad = await runCli(["clients", "open-webui", "--policy", policy, "--base-url", "ftp://x"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("--base-url ftp://x is not an http(s) URL");
  });

  it("aider --out writes .aider.conf.yml and .aider.model.metadata.json beside it", async () => {
    const out = join(dir, "repo", ".aider.conf.yml");
    const r = await runCli(["clients", "aider", "--policy", policy, "--out", out]);
    expect(r.exitCode).toBe(0);
    expect(parseYaml(await readFile(out, "utf8")).model).toBe("openai/coding");
    const meta = JSON.parse(await readFile(join(dir, "repo", ".aider.model.metadata.json"), "utf8"));
    expect(meta["openai/coding"].max_input_tokens).toBe(65536);
  });

  it("open-webui --out is readable only by its owner (the key goes in it)", async () => {
    const out = join(dir, "open-webui.env");
    expect((await runCli(["clients", "open-webui", "--policy", policy, "--out", out])).exitCode).toBe(0);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
  });

  it("env: a POSIX shell sources it and gets the gateway URL and the key from LITELLM_API_KEY; without it, it stops", async () => {
    const out = join(dir, "env.sh");
    expect((await runCli(["clients", "env", "--policy", policy, "--out", out])).exitCode).toBe(0);
    const ok = await execa("sh", ["-c", `. '${out}' && printf '%s|%s|%s' "$OPENAI_BASE_URL" "$OPENAI_API_KEY" "$GATEWAY_MODEL"`], {
      env: { LITELLM_API_KEY: "sk-from-env" },
      reject: false,
    });
    expect(ok.stdout).toBe("http://127.0.0.1:4123/v1|sk-from-env|routine-router");
    const missing = await execa("sh", ["-c", `. '${out}'; echo reached`], { env: { LITELLM_API_KEY: "" }, extendEnv: false, reject: false });
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toContain("set LITELLM_API_KEY to your gateway key first");
  });

  it("--json prints one object with the files and the aliases each uses", async () => {
    const r = await runCli(["clients", "aider", "--policy", policy, "--json"]);
    expect(r.exitCode).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.usage).toEqual([
      { client: "aider", file: "clients/aider.conf.yml", aliases: ["coding"], note: "main model; weak and editor models follow --model" },
      { client: "aider", file: "clients/aider.private.conf.yml", aliases: ["secure-core"], note: "private preset: model, weak model and editor model" },
    ]);
    expect(j.files.map((f: { path: string }) => f.path)).toEqual([
      "clients/aider.conf.yml",
      "clients/aider.model.metadata.json",
      "clients/aider.model.settings.yml",
      "clients/aider.private.conf.yml",
    ]);
  });

  it("unknown client, or --merge for a client other than openclaw, is bad input (exit 2)", async () => {
    const unknown = await runCli(["clients", "cursor", "--policy", policy]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("the client is one of: openclaw, continue, open-webui, aider, env, llm, codex, claude-code, opencode, librechat");
    const merge = await runCli(["clients", "continue", "--policy", policy, "--merge", join(dir, "x.yaml")]);
    expect(merge.exitCode).toBe(2);
    expect(merge.stderr).toContain("--merge works only for openclaw");
  });
});
