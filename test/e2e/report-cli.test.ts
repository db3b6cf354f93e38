/**
 * `gatewayctl report` as a user runs it without a gateway: a ledger the gateway wrote earlier (lines in the format of
 * templates/gatewayctl_ledger.py), invalid input, and the hourly systemd timer and service checked by systemd-analyze.
 */
import { execa } from "execa";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../support/cli.js";

let dir: string;
let cleanup: () => Promise<void>;
let policy: string;
const ledger = (): string => join(dir, "runtime.state", "ledger");

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir("gatewayctl-report-cli-"));
  policy = join(dir, "gateway.policy.yaml");
  await writeFile(
    policy,
    stringify({
      version: 1,
      gateway: { runtime: "process" },
      runtime: { dir: "./runtime" },
      backends: {
        ollama: { type: "ollama", url: "http://127.0.0.1:11434", location: "local" },
        cloud: { type: "openai", location: "cloud", apiKey: { secret: "OPENAI_API_KEY" } },
      },
      models: { llama: { backend: "ollama", name: "llama3.1:8b" }, mini: { backend: "cloud", name: "gpt-4o-mini", price: { input: 0.15, output: 0.6 } } },
      lanes: {
        routine: { privacy: "local-first", description: "Drafting", budget: { daily: 1 } },
        web: { privacy: "cloud-allowed", description: "Web" },
      },
      routes: { "routine-router": { lane: "routine", model: "llama", fallbacks: ["mini"] }, "web-model": { lane: "web", model: "mini" } },
      alerts: [{ rule: "budget", lane: "routine", percent: 80 }],
    }),
  );
  const built = await runCli(["build", "--policy", policy]);
  expect(built.exitCode, built.stderr).toBe(0);
  await mkdir(ledger(), { recursive: true, mode: 0o700 });
  const now = Date.now();
  const at = (minutesAgo: number): string => new Date(now - minutesAgo * 60_000).toISOString();
  const lines = [
    // two days ago: outside --since 24h
    { v: 1, time: at(2 * 24 * 60), client: "scripts", alias: "web-model", lane: "web", privacy: "cloud-allowed", deployment: "web-model:mini", model: "mini", location: "cloud", status: "ok", servedBy: "primary", tokensIn: 100, tokensOut: 10, cost: 0.5, costSource: "litellm", latencyMs: 50 },
    { v: 1, time: at(30), client: "app", alias: "routine-router", lane: "routine", privacy: "local-first", deployment: "gw-fallback-mini:mini", model: "mini", location: "cloud", status: "ok", servedBy: "fallback-1", attempted: ["routine-router"], fallbackUsed: true, tokensIn: 10, tokensOut: 5, cost: 0.9, costSource: "policy", latencyMs: 40 },
    { v: 1, time: at(10), client: "app", requested: "gpt-4o", status: "refused", refusedBy: "guard", reason: "app may not use model 'gpt-4o'", latencyMs: 3 },
  ];
  // an older rotated file, a cut last line (a crash mid-write) in the current one
  await writeFile(join(ledger(), "ledger.jsonl.1"), `${JSON.stringify(lines[0])}\n`, { mode: 0o600 });
  await writeFile(join(ledger(), "ledger.jsonl"), `${lines.slice(1).map((l) => JSON.stringify(l)).join("\n")}\n{"v":1,"time":"20`, { mode: 0o600 });
});

afterAll(async () => {
  await cleanup?.();
});

describe("gatewayctl report", () => {
  it("reads the rotated and the current file, skips a cut line, filters by --since", async () => {
    const all = await runCli(["report", "--policy", policy, "--json"]);
    expect(all.exitCode, all.stderr).toBe(0);
    const j = JSON.parse(all.stdout) as { totals: { requests: number; cost: number }; read: { files: number; skipped: number }; spend: Record<string, { today: number }> };
    expect(j.read).toMatchObject({ files: 2, skipped: 1 });
    expect(all.stderr).toContain("1 ledger line(s) are not records");
    expect(j.totals).toMatchObject({ requests: 3, cost: 1.4 });
    const day = JSON.parse((await runCli(["report", "--policy", policy, "--json", "--since", "24h"])).stdout) as typeof j;
    expect(day.totals).toMatchObject({ requests: 2, cost: 0.9 });
  });

  it("--check exits 1 with the fired rule; exit 0 when nothing fires", async () => {
    const r = await runCli(["report", "--policy", policy, "--check"]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe("alerts: 1 rule fired\nFIRED budget: lane routine spent 0.9 USD today: 90% of its daily budget of 1 USD (alert above 80%)");
    const empty = join(dir, "empty-ledger");
    await mkdir(empty, { recursive: true });
    const quiet = await runCli(["report", "--policy", policy, "--check", "--ledger", empty]);
    expect(quiet.exitCode, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe("alerts: no rule fired");
  });

  it("refuses invalid input with exit 2: --by, --since, --notify, a missing ledger", async () => {
    const by = await runCli(["report", "--policy", policy, "--by", "colour"]);
    expect(by.exitCode).toBe(2);
    expect(by.stderr).toContain("--by");
    const notify = await runCli(["report", "--policy", policy, "--notify", "ftp://x"]);
    expect(notify.exitCode).toBe(2);
    expect(notify.stderr).toContain("not an http(s) URL");
    const missing = await runCli(["report", "--policy", policy, "--ledger", join(dir, "nowhere")]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("no request ledger at");
  });
});

describe("the hourly alert timer", () => {
  it("prints a timer and a service running report --check that systemd-analyze verify accepts", async () => {
    const timer = await runCli(["sync", "--print-systemd-unit", "gatewayctl-report.timer", "--policy", policy], { cwd: "/" });
    const service = await runCli(["sync", "--print-systemd-unit", "gatewayctl-report.service", "--policy", policy], { cwd: "/" });
    expect(timer.exitCode, timer.stderr).toBe(0);
    expect(service.exitCode, service.stderr).toBe(0);
    expect(timer.stdout).toContain("OnCalendar=hourly\n");
    expect(timer.stdout).toContain("Unit=gatewayctl-report.service\n");
    expect(service.stdout).toMatch(/^ExecStart=\S+ \S+cli\.js report --check --since 1h --policy \S+gateway\.policy\.yaml$/m);
    const units = join(dir, "units");
    await mkdir(units, { recursive: true });
    await writeFile(join(units, "gatewayctl-report.timer"), timer.stdout);
    await writeFile(join(units, "gatewayctl-report.service"), service.stdout);
    const v = await execa("systemd-analyze", ["verify", join(units, "gatewayctl-report.timer"), join(units, "gatewayctl-report.service")], { reject: false });
    expect(v.exitCode, `systemd-analyze must be installed (apt-get install -y systemd): ${v.stderr}`).toBe(0);
    expect(v.stderr).toBe("");
    const bad = await runCli(["sync", "--print-systemd-unit", "cron", "--policy", policy]);
    expect(bad.exitCode).toBe(2);
  });
});
