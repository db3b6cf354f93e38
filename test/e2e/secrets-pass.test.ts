/**
 * `secrets.provider: command` end to end: the real `pass` with a throwaway GPG key feeds the master key to the
 * REAL LiteLLM started by `gatewayctl start --runtime process`. The value reaches the gateway (it authenticates
 * with it) and nowhere else: not in any output of gatewayctl, the state files, the log or the runtime files.
 */
import { execa } from "execa";
import { appendFile, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir, type CliResult } from "../support/cli.js";
import { freePort } from "../support/net.js";
import { requireLitellm } from "../support/litellm.js";

const MASTER_KEY = "sk-pass-e2e-master-3b71d0c94f";

let tmp: { dir: string; cleanup: () => Promise<void> };
let env: Record<string, string>;
let port: number;
let policyFile: string;
const outputs: CliResult[] = [];


async function gw(args: string[]): Promise<CliResult> {
  const r = await runCli([...args, "--policy", policyFile], { cwd: tmp.dir, env, timeout: 180_000 });
  outputs.push(r);
  return r;
}

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

beforeAll(async () => {
  await requireLitellm();
  for (const tool of ["pass", "gpg"]) {
    const r = await execa(tool, ["--version"], { reject: false });
    if (r.exitCode !== 0) throw new Error(`${tool} is required for this test: apt-get install -y pass gnupg`);
  }
  tmp = await tempDir("gw-pass-e2e-");
  const gnupg = join(tmp.dir, "g");
  await mkdir(gnupg, { mode: 0o700 });
  env = { GNUPGHOME: gnupg, PASSWORD_STORE_DIR: join(tmp.dir, "store") };
  const genv = { ...env, PATH: process.env.PATH ?? "", HOME: tmp.dir };
  await execa("gpg", ["--batch", "--passphrase", "", "--quick-gen-key", "gatewayctl e2e <gatewayctl-e2e@example.invalid>", "default", "default", "never"], { env: genv, extendEnv: false });
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec((await execa("gpg", ["--list-keys", "--with-colons"], { env: genv, extendEnv: false })).stdout)?.[1];
  if (!fpr) throw new Error("gpg created no key");
  await execa("pass", ["init", fpr], { env: genv, extendEnv: false });
  await execa("pass", ["insert", "-m", "gateway/LITELLM_MASTER_KEY"], { env: genv, extendEnv: false, input: `${MASTER_KEY}\n` });

  port = await freePort();
  policyFile = join(tmp.dir, "gateway.policy.yaml");
  await writeFile(
    policyFile,
    stringify({
      version: 1,
      gateway: { port, bind: "127.0.0.1", runtime: "process" },
      secrets: { provider: "command", command: "pass show gateway/{name}", timeoutSeconds: 20 },
      runtime: { dir: "./rt" },
      backends: { home: { type: "ollama", url: "http://127.0.0.1:9", location: "local" } },
      models: { llama: { backend: "home", name: "llama3" } },
      lanes: { private: { privacy: "local-only", description: "private work" } },
      routes: { "local-chat": { lane: "private", model: "llama" } },
    }),
  );
  const build = await gw(["build"]);
  if (build.exitCode !== 0) throw new Error(`gatewayctl build failed:\n${build.stderr}`);
}, 60_000);

afterAll(async () => {
  if (tmp) {
    await gw(["stop", "--runtime", "process"]);
    await execa("gpgconf", ["--kill", "gpg-agent"], { env: { ...env, PATH: process.env.PATH ?? "" }, reject: false });
    await tmp.cleanup();
  }
});

describe("secrets from pass reach only the gateway", () => {
  it("start resolves the master key with `pass show` and the gateway accepts it", { timeout: 180_000 }, async () => {
    const r = await gw(["start", "--runtime", "process", "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { action: string; baseUrl: string; secrets: string[] };
    expect(report).toMatchObject({ action: "started", baseUrl: `http://127.0.0.1:${port}`, secrets: ["LITELLM_MASTER_KEY"] });
    const models = await fetch(`${report.baseUrl}/v1/models`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    expect(models.status).toBe(200);
    const ids = ((await models.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
    expect(ids).toContain("local-chat");
    const wrong = await fetch(`${report.baseUrl}/v1/models`, { headers: { authorization: "Bearer sk-not-the-master-key-000" } });
    expect(wrong.status).not.toBe(200);
  });

  it("status and logs redact the value even where LiteLLM printed it", async () => {
    const log = join(tmp.dir, "rt.state", "gateway.log");
    await appendFile(log, `DEBUG master_key=${MASTER_KEY}\n`);
    const logs = await gw(["logs", "--runtime", "process", "--tail", "1"]);
    expect(logs.stdout.trim()).toBe("DEBUG master_key=***");
    const status = await gw(["status", "--runtime", "process", "--json"]);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: "running" });
  });

  it("a secret missing from the store stops start and names it", async () => {
    await execa("pass", ["rm", "-f", "gateway/LITELLM_MASTER_KEY"], { env: { ...env, PATH: process.env.PATH ?? "", HOME: tmp.dir }, extendEnv: false });
    // a stopped gateway first, so start would have to launch LiteLLM
    expect((await gw(["stop", "--runtime", "process"])).exitCode).toBe(0);
    const r = await gw(["start", "--runtime", "process"]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("error: missing secret LITELLM_MASTER_KEY (secrets provider command: LITELLM_MASTER_KEY: `pass` exited with code 1)");
    expect(r.stderr).not.toContain("started LiteLLM");
  });

  it("the value never appears in gatewayctl's output or in any file gatewayctl wrote", async () => {
    expect(outputs.length).toBeGreaterThanOrEqual(6);
    for (const o of outputs) expect(`${o.stdout}\n${o.stderr}`).not.toContain(MASTER_KEY);
    const files = [...(await allFiles(join(tmp.dir, "rt.state"))), ...(await allFiles(join(tmp.dir, "rt"))), ...(await allFiles(join(tmp.dir, "generated")))];
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const text = await readFile(f, "utf8");
      // the log holds the one line the previous test appended, nothing else
      const allowed = f.endsWith("gateway.log") ? 1 : 0;
      expect(text.split(MASTER_KEY).length - 1, f).toBe(allowed);
    }
  });
});
