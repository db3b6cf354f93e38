// The policy loader as a person meets it: through `gatewayctl build` on the built CLI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile, stat, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { runCli, tempDir } from "../support/cli.js";
import { BASE } from "../unit/policy-support.js";


let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir("gatewayctl-policy-"));
});
afterAll(async () => {
  await cleanup();
});

const exists = (p: string) => stat(p).then(() => true, () => false);

describe("gatewayctl build with an invalid policy", () => {
  it("lists every problem as file:line:column with hints, exits 2, writes nothing and never prints a credential", async () => {
    const secret = `sk-proj-${randomBytes(30).toString("base64url")}`;
    const policy = join(dir, "bad.yaml");
    const source = BASE.replace("apiKey: { secret: OPENAI_API_KEY }", `apiKey: "${secret}"`)
      .replace("{ lane: web, model: mini }", "{ lane: web, model: mini }\n  web-model: { lane: web, model: mini }");
    await writeFile(policy, source);
    const out = join(dir, "out-bad");
    const r = await runCli(["build", "--policy", policy, "--out", out]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${policy}:4:36: backends.openai.apiKey: looks like an OpenAI project API key`);
    expect(r.stderr).toContain(`${policy}:4:35: backends.openai.apiKey: a secret is written as { secret: NAME }, never as a value`);
    expect(r.stderr).toContain(`${policy}:14:3: routes: duplicate route alias "web-model" (first defined on line 13)`);
    expect(r.stderr).toContain("hint: delete it from the file and rotate it");
    expect(r.stderr).toContain(`error: ${policy}: 3 problems in the policy`);
    expect(r.stderr).not.toContain(secret);
    expect(r.stdout).not.toContain(secret);
    expect(r.stderr).not.toMatch(/\n\s+at .+\(.*\.js:\d+:\d+\)/);
    expect(await exists(out)).toBe(false);
  });

  it("a missing policy file is exit 2 with a hint to run init, no stack trace", async () => {
    const r = await runCli(["build", "--policy", join(dir, "missing.yaml"), "--out", join(dir, "out-missing")]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("missing.yaml: policy file not found");
    expect(r.stderr).toContain("gatewayctl init");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("a valid policy with a warning builds and shows the warning", async () => {
    const policy = join(dir, "warn.yaml");
    await writeFile(policy, BASE.replace("version: 1\n", "version: 1\ngateway:\n  bind: 0.0.0.0\n"));
    const out = join(dir, "out-warn");
    const r = await runCli(["build", "--policy", policy, "--out", out]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`${policy}:3:9: warning: gateway.bind: the gateway listens on every network interface`);
    expect(await readFile(join(out, "config.yaml"), "utf8")).toContain("secure-core");
  });

  it("shows terminal control characters from the policy escaped, never raw", async () => {
    const policy = join(dir, "escape.yaml");
    await writeFile(policy, `${BASE}"evil\\e]0;pwned\\a\\e[31m": 1\n`);
    const r = await runCli(["build", "--policy", policy, "--out", join(dir, "out-escape")]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("\\x1b]0;pwned\\x07");
    expect(r.stderr).not.toContain("\u001b");
    expect(r.stderr).not.toContain("\u0007");
  });
});

