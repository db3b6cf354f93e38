/** `gatewayctl sync` and `rollback` as a user runs them: reports, --json, --dry-run, a hanging source, the lock, the systemd unit. */
import { spawn, type ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../support/cli.js";
import { build, restampBuildManifest, writePolicy } from "../fixtures/sync/setup.js";

let work: { dir: string; cleanup: () => Promise<void> };
let src: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  work = await tempDir("gatewayctl-sync-cli-");
  const policy = writePolicy(work.dir, { runtimeDir: join(work.dir, "unused") });
  src = join(work.dir, "generated");
  await build(policy);
});

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await work?.cleanup();
});

describe("gatewayctl sync --from --to (no policy file)", () => {
  const to = () => join(work.dir, "a", "runtime");

  it("first sync prints the generation and the added files; --json prints one object", async () => {
    const r = await runCli(["sync", "--from", src, "--to", to()], { cwd: work.dir });
    // cwd holds gateway.policy.yaml here; run from elsewhere to sync without one
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^synced generation 1: \d+ added, 0 changed, 0 removed/);
    expect(r.stdout).toContain("  + config.yaml");
    const again = await runCli(["sync", "--from", src, "--to", to(), "--json"], { cwd: "/" });
    expect(again.exitCode, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ action: "unchanged", generation: 1, added: [], changed: [], removed: [], source: src, runtimeDir: to() });
    expect(report.summary).toBe("unchanged, still generation 1");
  });

  it("--dry-run reports the change and writes nothing", async () => {
    const copy = join(work.dir, "src-copy");
    execFileSync("cp", ["-a", src, copy]);
    writeFileSync(join(copy, "routes.md"), "# edited\n"); await restampBuildManifest(copy);
    const r = await runCli(["sync", "--from", copy, "--to", to(), "--dry-run"], { cwd: "/" });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("dry run: would sync generation 2 (now 1): 0 added, 2 changed, 0 removed; nothing was written");
    expect(r.stdout).toContain("  ~ routes.md");
    expect(readlinkSync(to())).toMatch(/gen-000001$/);
    expect(existsSync(join(`${to()}.generations`, "gen-000002"))).toBe(false);
  });

  it("a hanging source (FIFO): exit 1 after --timeout, naming the source and the generation that keeps running", async () => {
    const hung = join(work.dir, "src-hung");
    execFileSync("cp", ["-a", src, hung]);
    rmSync(join(hung, "route-map.json"));
    execFileSync("mkfifo", [join(hung, "route-map.json")]);
    const t0 = Date.now();
    const r = await runCli(["sync", "--from", hung, "--to", to(), "--timeout", "1"], { cwd: "/", timeout: 30_000 });
    expect(r.exitCode).toBe(1);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.stderr).toContain(`error: the source ${hung} did not answer`);
    expect(r.stderr).toContain("the gateway keeps running on generation 1");
    expect(r.stderr).toContain("hint: check the mount");
    expect(readlinkSync(to())).toMatch(/gen-000001$/);
  });

  it("a missing source: exit 1 with the same promise", async () => {
    const r = await runCli(["sync", "--from", join(work.dir, "nope"), "--to", to()], { cwd: "/" });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`error: the source ${join(work.dir, "nope")} does not exist (not mounted?); the runtime was not changed and the gateway keeps running on generation 1`);
  });

  it("the lock: a second sync while one runs exits 1 and changes nothing", async () => {
    const holder = spawn("sleep", ["30"]);
    children.push(holder);
    writeFileSync(`${to()}.lock`, JSON.stringify({ pid: holder.pid, host: hostname(), createdAt: "2026-11-25T00:00:00Z" }));
    try {
      const r = await runCli(["sync", "--from", src, "--to", to()], { cwd: "/" });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(`another gatewayctl (pid ${holder.pid}`);
      expect(r.stderr).toContain(`hint: wait for it to finish; if no gatewayctl is running, remove ${to()}.lock`);
    } finally {
      holder.kill("SIGKILL");
      rmSync(`${to()}.lock`, { force: true });
    }
  });

  it("without --to and without a policy file: invalid input (exit 2)", async () => {
    const r = await runCli(["sync", "--from", src], { cwd: "/" });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("policy file gateway.policy.yaml not found");
  });
});

describe("gatewayctl sync --policy", () => {
  it("uses runtime.source and runtime.dir from the policy and proves against the policy", async () => {
    const dir = join(work.dir, "p");
    const nas = join(work.dir, "p-nas");
    const runtimeDir = join(dir, "runtime");
    execFileSync("mkdir", ["-p", dir]);
    const policy = writePolicy(dir, { runtimeDir, source: nas });
    await build(policy, nas);
    const r = await runCli(["sync", "--policy", policy, "--json"], { cwd: "/" });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ action: "synced", generation: 1, source: nas, runtimeDir });
    expect(lstatSync(runtimeDir).isSymbolicLink()).toBe(true);
  });
});

describe("gatewayctl rollback", () => {
  it("switches back to the previous generation and to a given one; refuses one that does not exist", async () => {
    const dir = join(work.dir, "rb", "runtime");
    const copy = join(work.dir, "rb-src");
    execFileSync("cp", ["-a", src, copy]);
    for (let i = 1; i <= 3; i++) {
      writeFileSync(join(copy, "routes.md"), `# v${i}\n`); await restampBuildManifest(copy);
      const r = await runCli(["sync", "--from", copy, "--to", dir], { cwd: "/" });
      expect(r.exitCode, r.stderr).toBe(0);
    }
    const back = await runCli(["rollback", "--dir", dir], { cwd: "/" });
    expect(back.exitCode, back.stderr).toBe(0);
    expect(back.stdout).toContain(`rolled back ${dir} from generation 3 to 2`);
    expect(readFileSync(join(dir, "routes.md"), "utf8")).toBe("# v2\n");
    const to1 = await runCli(["rollback", "--dir", dir, "--to", "1", "--json"], { cwd: "/" });
    expect(to1.exitCode, to1.stderr).toBe(0);
    expect(JSON.parse(to1.stdout)).toMatchObject({ action: "rolled-back", generation: 1, previousGeneration: 2 });
    const bad = await runCli(["rollback", "--dir", dir, "--to", "7"], { cwd: "/" });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain("generation 7 does not exist (on disk: 1, 2, 3); the gateway keeps running on generation 1");
    const notNumber = await runCli(["rollback", "--dir", dir, "--to", "latest"], { cwd: "/" });
    expect(notNumber.exitCode).toBe(2);
  });
});

describe("gatewayctl sync --print-systemd-unit", () => {
  it("prints a unit whose sync may fail without failing the unit, and that never waits for the NAS mount", async () => {
    const dir = join(work.dir, "unit dir");
    execFileSync("mkdir", ["-p", dir]);
    const policy = writePolicy(dir, { runtimeDir: join(dir, "runtime"), source: "/mnt/nas/gateway" });
    const r = await runCli(["sync", "--print-systemd-unit", "--policy", policy], { cwd: "/", env: { DOCKER_HOST: "unix:///run/docker.sock" } });
    expect(r.exitCode, r.stderr).toBe(0);
    const unit = r.stdout;
    const lines = unit.split("\n");
    const pre = lines.find((l) => l.startsWith("ExecStartPre="));
    // the leading "-": a failed sync never fails the unit; the path with a space is quoted for systemd
    expect(pre).toMatch(/^ExecStartPre=-\S+ \S+\/cli\.js sync --policy "[^"]+\/unit dir\/gateway\.policy\.yaml"$/);
    expect(lines.find((l) => l.startsWith("ExecStart="))).toContain(" start --policy ");
    expect(lines.find((l) => l.startsWith("ExecStop="))).toContain(" stop --policy ");
    expect(unit).toContain("After=network-online.target docker.service");
    expect(unit).toContain("Wants=network-online.target docker.service");
    expect(unit).toContain("Environment=DOCKER_HOST=unix:///run/docker.sock");
    expect(unit).toContain(`WorkingDirectory=${dir}`);
    expect(lines.some((l) => l.startsWith("RequiresMountsFor="))).toBe(false);
    expect(lines.some((l) => /^\s*[A-Za-z]+=.*\/mnt\/nas/.test(l))).toBe(false);
    expect(unit).toContain("Type=oneshot");
    expect(unit).toContain("RemainAfterExit=yes");
    expect(unit).toContain("WantedBy=multi-user.target");
    // the paths in the unit are real: the node binary and the CLI it names exist
    const exec = /^ExecStart=(\S+) "?([^"]+cli\.js)"?/.exec(lines.find((l) => l.startsWith("ExecStart="))!);
    expect(exec).not.toBeNull();
    expect(existsSync(exec![1]!)).toBe(true);
    expect(existsSync(exec![2]!)).toBe(true);
  });

  it("systemd-analyze verify accepts the unit without a warning (Debian package systemd)", async () => {
    const dir = join(work.dir, "unit-verify");
    execFileSync("mkdir", ["-p", dir]);
    const policy = writePolicy(dir, { runtimeDir: join(dir, "runtime") });
    const r = await runCli(["sync", "--print-systemd-unit", "--policy", policy], { cwd: "/" });
    expect(r.exitCode, r.stderr).toBe(0);
    const unitFile = join(dir, "gatewayctl.service");
    writeFileSync(unitFile, r.stdout);
    const v = await execa("systemd-analyze", ["verify", unitFile], { reject: false });
    expect(v.exitCode, `systemd-analyze must be installed (apt-get install -y systemd): ${v.stderr}`).toBe(0);
    expect(v.stderr).toBe("");
  });
});
