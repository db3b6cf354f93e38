/**
 * `gatewayctl start --runtime process` refusing to start, or failing clearly: missing secrets, an open secrets
 * file, a bad master key, a port in use, a wrong litellm executable, a config the REAL LiteLLM cannot start
 * with, and a readiness timeout. Every refusal is checked to happen before LiteLLM runs (port closed, no log).
 */
import { access, appendFile, chmod, readFile, readdir, realpath, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { execa } from "execa";
import { CLI, runCli, tempDir, type CliResult } from "../support/cli.js";
import { freePort, portOpen } from "../support/net.js";
import { requireLitellm } from "../support/litellm.js";
import { restampBuildManifest } from "../fixtures/sync/setup.js";

const MASTER_KEY = "sk-failures-master-5c8e0a7d";
const OPENAI_KEY = "sk-failures-openai-77aa19f0";

let tmp: { dir: string; cleanup: () => Promise<void> };
let port: number;
let policyFile: string;
let secretsFile: string;
let stateDir: string;
let runtimeDir: string;



async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Live (non-zombie) processes whose command line contains `needle`. */
async function processesWith(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8");
      const st = await readFile(`/proc/${entry}/stat`, "utf8");
      if (st.slice(st.lastIndexOf(")") + 2, st.lastIndexOf(")") + 3) !== "Z" && cmdline.split("\0").includes(needle)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function writeSecrets(text: string, mode = 0o600): Promise<void> {
  await writeFile(secretsFile, text);
  await chmod(secretsFile, mode);
}

const goodSecrets = `LITELLM_MASTER_KEY=${MASTER_KEY}\nOPENAI_API_KEY=${OPENAI_KEY}\n`;

async function start(...flags: string[]): Promise<CliResult> {
  return runCli(["start", "--runtime", "process", "--policy", policyFile, ...flags], { cwd: tmp.dir, timeout: 180_000 });
}

function expectNoSecrets(r: CliResult): void {
  for (const v of [MASTER_KEY, OPENAI_KEY]) {
    expect(r.stdout).not.toContain(v);
    expect(r.stderr).not.toContain(v);
  }
}

/** LiteLLM never ran: nothing listens, no log, no state. */
async function expectNeverLaunched(): Promise<void> {
  expect(await portOpen(port)).toBe(false);
  expect(await exists(join(stateDir, "gateway.log"))).toBe(false);
  expect(await exists(join(stateDir, "process.json"))).toBe(false);
}

beforeAll(async () => {
  await requireLitellm();
  tmp = await tempDir("gw-procfail-");
  port = await freePort();
  policyFile = join(tmp.dir, "gateway.policy.yaml");
  secretsFile = join(tmp.dir, "secrets.env");
  runtimeDir = join(tmp.dir, "rt");
  stateDir = join(tmp.dir, "rt.state");
  const policy = {
    version: 1,
    gateway: { port, bind: "127.0.0.1", runtime: "process" },
    secrets: { provider: "env-file", file: "./secrets.env" },
    runtime: { dir: "./rt" },
    backends: {
      home: { type: "ollama", url: "http://127.0.0.1:9", location: "local" },
      openai: { type: "openai", apiKey: { secret: "OPENAI_API_KEY" }, location: "cloud" },
    },
    models: { llama: { backend: "home", name: "llama3" }, mini: { backend: "openai", name: "gpt-4o-mini", price: { input: 0.15, output: 0.6 } } },
    lanes: { private: { privacy: "local-only", description: "private work" }, open: { privacy: "cloud-allowed", description: "public work" } },
    routes: { "local-chat": { lane: "private", model: "llama" }, "cloud-chat": { lane: "open", model: "mini" } },
  };
  await writeFile(policyFile, stringify(policy));
  await writeSecrets(goodSecrets);
  const build = await runCli(["build", "--policy", policyFile], { cwd: tmp.dir });
  if (build.exitCode !== 0) throw new Error(`gatewayctl build failed:\n${build.stderr}`);
});

afterEach(async () => {
  for (const pid of await processesWith(join(runtimeDir, "config.yaml"))) process.kill(pid, "SIGKILL");
  await writeSecrets(goodSecrets);
});

afterAll(async () => {
  await tmp?.cleanup();
});

describe("start refuses before LiteLLM runs", () => {
  it("a missing secret: names it and the provider, exit 1, nothing launched", async () => {
    await writeSecrets(`LITELLM_MASTER_KEY=${MASTER_KEY}\n`);
    const r = await start();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`error: missing secret OPENAI_API_KEY (secrets provider env-file: ${secretsFile})`);
    expect(r.stderr).toContain("hint: add OPENAI_API_KEY=... to");
    expect(r.stderr).not.toContain("started LiteLLM");
    expectNoSecrets(r);
    await expectNeverLaunched();
  });

  it("an empty master key is missing too", async () => {
    await writeSecrets(`LITELLM_MASTER_KEY=\nOPENAI_API_KEY=${OPENAI_KEY}\n`);
    const r = await start();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("error: missing secret LITELLM_MASTER_KEY");
    await expectNeverLaunched();
  });

  it("a secrets file readable by others: refused with chmod 600", async () => {
    await writeSecrets(goodSecrets, 0o644);
    const r = await start();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`refusing secrets file ${secretsFile}`);
    expect(r.stderr).toContain(`hint: chmod 600 ${secretsFile}`);
    expectNoSecrets(r);
    await expectNeverLaunched();
  });

  it("a master key that does not start with sk-", async () => {
    await writeSecrets(`LITELLM_MASTER_KEY=not-a-proper-master-key\nOPENAI_API_KEY=${OPENAI_KEY}\n`);
    const r = await start();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("the master key LITELLM_MASTER_KEY is not usable: it must start with sk-");
    expect(r.stderr).not.toContain("not-a-proper-master-key");
    await expectNeverLaunched();
  });

  it("the port is taken by another program", async () => {
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(port, "127.0.0.1", r));
    try {
      const r = await start();
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(`error: port ${port} on 127.0.0.1 is in use: another program is listening there`);
      expect(await exists(join(stateDir, "gateway.log"))).toBe(false);
      expect(await processesWith(join(runtimeDir, "config.yaml"))).toEqual([]);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it("a --litellm-bin that does not exist", async () => {
    const r = await start("--litellm-bin", join(tmp.dir, "no-such-litellm"));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`error: the litellm executable ${join(tmp.dir, "no-such-litellm")} does not exist or is not executable`);
    expect(r.stderr).toContain("scripts/setup-litellm.sh");
    await expectNeverLaunched();
  });

  it("a source that is unavailable while the runtime holds no generation yet", async () => {
    const fresh = join(tmp.dir, "fresh-rt");
    const r = await start("--from", join(tmp.dir, "no-such-source"), "--dir", fresh);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`error: cannot start: the source ${join(tmp.dir, "no-such-source")} is unavailable and the runtime directory ${fresh} holds no generation yet`);
    expect(await exists(join(tmp.dir, "fresh-rt.state", "gateway.log"))).toBe(false);
    expect(await portOpen(port)).toBe(false);
  });

  it("bad flags are invalid input (exit 2)", async () => {
    const r = await start("--timeout", "soon");
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("--timeout");
    const noPolicy = await runCli(["start", "--runtime", "process", "--policy", join(tmp.dir, "missing.yaml")], { cwd: tmp.dir });
    expect(noPolicy.exitCode).toBe(2);
    expect(noPolicy.stderr).toContain("missing.yaml");
  });
});

describe("start fails clearly when LiteLLM does not come up", () => {
  it("a wrong litellm executable that exits: exit 1, its log tail shown with secrets redacted", async () => {
    const fake = join(tmp.dir, "not-litellm.sh");
    await writeFile(fake, `#!/bin/sh\necho "this is not litellm; args: $*"\necho "key=$GATEWAYCTL_SECRET_LITELLM_MASTER_KEY"\nexit 3\n`, { mode: 0o755 });
    const r = await start("--litellm-bin", fake);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("error: LiteLLM exited with code 3 before it was ready");
    // LiteLLM is given the generation the runtime symlink pointed at when it started, not the symlink itself
    const generationDir = await realpath(runtimeDir);
    expect(generationDir).not.toBe(runtimeDir);
    expect(r.stderr).toContain(`  | this is not litellm; args: --config ${join(generationDir, "config.yaml")} --host 127.0.0.1 --port ${port}`);
    expect(r.stderr).toContain("  | key=***");
    expectNoSecrets(r);
    expect(await exists(join(stateDir, "process.json"))).toBe(false);
  });

  it("a LiteLLM that reports a forbidden release is stopped again: exit 1", async () => {
    // stands in for a compromised release, which cannot (and must not) be installed here
    const fake = await fakeLitellm("1.82.7");
    const r = await start("--litellm-bin", fake);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`error: LiteLLM 1.82.7 must never be run: that release is known to be compromised: stopped it again (${fake})`);
    expect(await processesWith(join(runtimeDir, "config.yaml"))).toEqual([]);
    expect(await exists(join(stateDir, "process.json"))).toBe(false);
    expect(await portOpen(port)).toBe(false);
  });

  it("a config the real LiteLLM cannot start with: exit 1 with the last lines of its log", { timeout: 180_000 }, async () => {
    // a guard module that fails to import: LiteLLM aborts its startup
    const guard = join(tmp.dir, "generated", "gatewayctl_guard.py");
    const original = await readFile(guard, "utf8");
    await appendFile(guard, '\nraise RuntimeError("guard broken on purpose by the test")\n');
    // a build whose own guard is broken (its manifest lists the broken file), not a build edited afterwards
    await restampBuildManifest(join(tmp.dir, "generated"));
    try {
      const r = await start();
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/error: LiteLLM exited with code \d+ before it was ready; last \d+ lines of .*gateway\.log:/);
      expect(r.stderr).toContain("guard broken on purpose by the test");
      expect(r.stderr).toContain("hint: the log lines above say why LiteLLM stopped");
      expectNoSecrets(r);
      expect(await portOpen(port)).toBe(false);
      expect(await exists(join(stateDir, "process.json"))).toBe(false);
      expect(await processesWith(join(runtimeDir, "config.yaml"))).toEqual([]);
    } finally {
      await writeFile(guard, original);
      await restampBuildManifest(join(tmp.dir, "generated"));
    }
  });

  it("Ctrl-C while waiting stops the half-started LiteLLM: nothing is left behind", async () => {
    const starting = execa(process.execPath, [CLI, "start", "--runtime", "process", "--policy", policyFile], { cwd: tmp.dir, env: { NO_COLOR: "1" }, reject: false });
    let err = "";
    starting.stderr?.on("data", (c: Buffer) => (err += c.toString("utf8")));
    const until = Date.now() + 30_000;
    while (!err.includes("started LiteLLM (pid") && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(err).toContain("started LiteLLM (pid");
    starting.kill("SIGINT");
    const r = await starting;
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("error: start interrupted by SIGINT: stopped LiteLLM again");
    expect(await processesWith(join(runtimeDir, "config.yaml"))).toEqual([]);
    expect(await exists(join(stateDir, "process.json"))).toBe(false);
    expect(await exists(join(stateDir, "start.lock"))).toBe(false);
  });

  it("readiness not reached within --timeout: the process is killed, exit 1", async () => {
    const r = await start("--timeout", "1");
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("error: LiteLLM did not become ready within 1s (/health/liveliness did not answer ok)");
    expect(r.stderr).toContain("hint: LiteLLM may need longer on a slow machine (--timeout SEC)");
    expect(await processesWith(join(runtimeDir, "config.yaml"))).toEqual([]);
    expect(await exists(join(stateDir, "process.json"))).toBe(false);
    expect(await portOpen(port)).toBe(false);
  });
});

/**
 * A stand-in litellm (node) that answers the health endpoints reporting `version` in its readiness details: a
 * compromised release cannot (and must not) be installed here, and the bookkeeping tests need no real proxy.
 */
async function fakeLitellm(version: string): Promise<string> {
  const fake = join(tmp.dir, `litellm-${version}`);
  await writeFile(
    fake,
    [
      `#!${process.execPath}`,
      'const http = require("node:http");',
      'const arg = (n) => process.argv[process.argv.indexOf(n) + 1];',
      "http.createServer((req, res) => {",
      '  res.setHeader("content-type", "application/json");',
      `  res.end(req.url.startsWith("/health/readiness") ? JSON.stringify({ status: "healthy", litellm_version: "${version}" }) : JSON.stringify("I'm alive!"));`,
      '}).listen(Number(arg("--port")), arg("--host"));',
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return fake;
}

describe("the runtime is a recorded fact of the build", () => {
  it("start --runtime docker on a build for the process runtime is refused (exit 2) with the fix; nothing starts", async () => {
    await writeSecrets(goodSecrets);
    const r = await runCli(["start", "--runtime", "docker", "--policy", policyFile], { cwd: tmp.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("error: this build targets the process runtime, not docker");
    expect(r.stderr).toContain("hint: set gateway.runtime: docker in the policy and run gatewayctl build");
    expect(await portOpen(port)).toBe(false);
    expect(await exists(join(stateDir, "process.json"))).toBe(false);
  });

  it("stop, status and logs act on the gateway that runs, whatever --runtime says; a killed gateway is crashed (exit 1), not stopped", async () => {
    await writeSecrets(goodSecrets);
    const fake = await fakeLitellm("1.108.7");
    const started = await start("--litellm-bin", fake, "--json");
    expect(started.exitCode, started.stderr).toBe(0);
    const pid = Number((JSON.parse(started.stdout) as { id: string }).id);

    const status = await runCli(["status", "--runtime", "docker", "--policy", policyFile, "--json"], { cwd: tmp.dir });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ kind: "process", state: "running", id: String(pid) });

    process.kill(-pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    const crashed = await runCli(["status", "--policy", policyFile], { cwd: tmp.dir });
    expect(crashed.exitCode).toBe(1);
    expect(crashed.stdout).toContain(`gateway: crashed (process, pid ${pid})`);
    expect(crashed.stdout).toContain("the gateway died without gatewayctl stop");

    // a docker flag, no Docker daemon: stop still acts on the process runtime's record (and never touches Docker)
    const stop = await runCli(["stop", "--runtime", "docker", "--policy", policyFile], { cwd: tmp.dir, env: { DOCKER_HOST: "unix:///nonexistent.sock" } });
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stderr).toContain("was started by the process runtime; acting on it (not --runtime docker)");
    expect(stop.stdout).toContain("gateway was not running (process)");
    const after = await runCli(["status", "--policy", policyFile, "--json"], { cwd: tmp.dir });
    expect(after.exitCode).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ kind: "process", state: "stopped" });
  });
});
