/**
 * The request ledger, `gatewayctl report`, lane budgets and alerts on the REAL LiteLLM 1.108.7 (process runtime,
 * .venv-litellm). Two recording servers stand in for the model servers (an Ollama one, an OpenAI-compatible "cloud"
 * one). A known traffic mix goes through the gateway, including a local backend outage that pushes a local-first
 * route to its cloud fallback, guard refusals and a client calling a raw vendor ID; the report must equal the mix.
 */
import { execa } from "execa";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { access, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../support/cli.js";
import { requireLitellm } from "../support/litellm.js";
import { freePort } from "../support/net.js";
import { startRecordingCloud, startRecordingOllama, type RecordingBackend } from "../support/recording-backends.js";

const MASTER_KEY = "sk-ledger-master-8c1d0e77a2f94b";
const APP_KEY = "sk-ledger-app-client-51e0aa9c3d";
const PRIVATE_KEY = "sk-ledger-private-client-0b7f2c61e4";
const CLOUD_KEY = "sk-cloud-recorder-ledger-77a1";
const KEYS = [MASTER_KEY, APP_KEY, PRIVATE_KEY, CLOUD_KEY];

let ollama: RecordingBackend;
let cloud: RecordingBackend;
let dir: string;
let cleanup: () => Promise<void>;
let policyFile: string;
let port: number;
let env: Record<string, string>;
const canaries: string[] = [];

const ledgerDir = (): string => join(dir, "runtime.state", "ledger");

interface Answer {
  status: number;
  text: string;
  modelId: string | null;
}

async function chat(key: string, body: Record<string, unknown>): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, text: await res.text(), modelId: res.headers.get("x-litellm-model-id") };
}

/** A request whose prompt carries a fresh canary the ledger must never hold. */
function ask(key: string, model: string, extra: Record<string, unknown> = {}): Promise<Answer> {
  const canary = `LEDGER-CANARY-${randomBytes(6).toString("hex")}`;
  canaries.push(canary);
  return chat(key, { model, messages: [{ role: "user", content: `remember ${canary}` }], max_tokens: 8, ...extra });
}

async function ledgerLines(): Promise<Array<Record<string, unknown>>> {
  const names = (await readdir(ledgerDir())).filter((n) => n.startsWith("ledger.jsonl")).sort((a, b) => rank(b) - rank(a));
  const out: Array<Record<string, unknown>> = [];
  for (const n of names) {
    for (const line of (await readFile(join(ledgerDir(), n), "utf8")).split("\n")) if (line) out.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}
const rank = (name: string): number => (name === "ledger.jsonl" ? 0 : Number(name.slice("ledger.jsonl.".length)));

async function waitForLines(n: number): Promise<Array<Record<string, unknown>>> {
  const until = Date.now() + 15_000;
  for (;;) {
    const lines = await ledgerLines().catch(() => []);
    if (lines.length >= n || Date.now() > until) return lines;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  await requireLitellm();
  ({ dir, cleanup } = await tempDir("gatewayctl-ledger-"));
  ollama = await startRecordingOllama();
  cloud = await startRecordingCloud();
  port = await freePort();
  policyFile = join(dir, "gateway.policy.yaml");
  await writeFile(
    policyFile,
    stringify({
      version: 1,
      gateway: { port, bind: "127.0.0.1", runtime: "process" },
      secrets: { provider: "env" },
      runtime: { dir: "./runtime" },
      backends: {
        ollama: { type: "ollama", url: ollama.url, location: "local" },
        cloud: { type: "openai-compatible", url: cloud.url, location: "cloud", apiKey: { secret: "CLOUD_API_KEY" } },
      },
      models: {
        llama: { backend: "ollama", name: "llama3.1:8b" },
        mini: { backend: "cloud", name: "gpt-4o-mini", price: { input: 1000, output: 2000 } },
      },
      lanes: {
        private: { privacy: "local-only", description: "Private records" },
        routine: { privacy: "local-first", description: "Drafting", budget: { daily: 0.02 } },
        web: { privacy: "cloud-allowed", description: "Web research", budget: { daily: 0.03, monthly: 10 } },
      },
      routes: {
        "secure-core": { lane: "private", model: "llama" },
        "routine-router": { lane: "routine", model: "llama", fallbacks: ["mini"] },
        "web-model": { lane: "web", model: "mini" },
        // cloud first, a local model as its fallback: once web's budget is spent, the local one answers
        "web-or-local": { lane: "web", model: "mini", fallbacks: ["llama"] },
      },
      clients: {
        app: { key: { secret: "APP_KEY" }, routes: ["routine-router", "web-model", "web-or-local"] },
        private: { key: { secret: "PRIVATE_KEY" }, lanes: ["private"] },
      },
      ledger: { maxBytes: 2048, keep: 8 },
      alerts: [
        { rule: "cloud-fallback", lane: "routine" },
        { rule: "refusals", perHour: 2 },
        { rule: "budget", lane: "web", percent: 50 },
      ],
    }),
  );
  env = { LITELLM_MASTER_KEY: MASTER_KEY, APP_KEY, PRIVATE_KEY, CLOUD_API_KEY: CLOUD_KEY };
  const built = await runCli(["build", "--policy", policyFile], { env });
  expect(built.exitCode, built.stderr).toBe(0);
  const started = await runCli(["start", "--policy", policyFile, "--timeout", "180"], { env, timeout: 240_000 });
  expect(started.exitCode, started.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  if (policyFile) await runCli(["stop", "--policy", policyFile], { env });
  await ollama?.stop();
  await cloud?.stop();
  await cleanup?.();
});


const CHROMIUM = "/usr/bin/chromium";
const COST = 0.017; // 7 tokens in x 1000 USD/1M + 5 out x 2000 USD/1M, per cloud call

interface ReportJson {
  totals: { requests: number; ok: number; errors: number; refused: number; tokensIn: number; tokensOut: number; cost: number };
  byLane: Record<string, { requests: number; ok: number; errors: number; refused: number; cost: number }>;
  byClient: Record<string, { requests: number; refused: number }>;
  byModel: Record<string, { requests: number; cost: number }>;
  byRoute: Record<string, { requests: number }>;
  routes: Record<string, { served: number; servedBy: Record<string, number>; cloud: number; cloudShare: number }>;
  localFirst: Record<string, { served: number; cloudFallback: number; rate: number }>;
  refusals: { total: number; byReason: Record<string, number>; byClient: Record<string, number>; nonAliasByClient: Record<string, Record<string, number>> };
  spend: Record<string, { today: number; month: number }>;
  firings: Array<{ rule: string; lane?: string; message: string }>;
  read: { files: number; lines: number; skipped: number };
}

async function report(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string; json?: ReportJson }> {
  const r = await runCli(["report", "--policy", policyFile, ...args], { env });
  return { ...r, ...(args.includes("--json") && r.stdout.startsWith("{") ? { json: JSON.parse(r.stdout) as ReportJson } : {}) };
}

let mixLines = 0;
const answers: Record<string, Answer[]> = {};
const record = (name: string, a: Answer): Answer => ((answers[name] ??= []).push(a), a);

describe("the ledger and the report on the real LiteLLM", () => {
  it("records a known traffic mix, including an outage, refusals, a raw vendor id and budgets crossed", async () => {
    // A: everything serves
    for (let i = 0; i < 3; i++) expect(record("routine", await ask(APP_KEY, "routine-router")).modelId).toBe("routine-router:llama");
    for (let i = 0; i < 2; i++) expect(record("secure", await ask(PRIVATE_KEY, "secure-core")).modelId).toBe("secure-core:llama");
    expect(record("web", await ask(APP_KEY, "web-model")).modelId).toBe("web-model:mini");
    // the local backend goes down: the local-first route falls back to the cloud, the local-only one fails
    await ollama.stop();
    expect(record("routine-outage", await ask(APP_KEY, "routine-router")).modelId).toBe("gw-fallback-mini:mini");
    expect(record("secure-outage", await ask(PRIVATE_KEY, "secure-core")).status).toBeGreaterThanOrEqual(500);
    await ollama.restart();
    // refusals: another client's alias (both ways), raw vendor ids
    expect((await ask(APP_KEY, "secure-core")).status).toBe(403);
    expect((await ask(APP_KEY, "gpt-4o-mini")).status).toBe(403);
    expect((await ask(APP_KEY, "gpt-4o-mini")).status).toBe(403);
    expect((await ask(PRIVATE_KEY, "gpt-4o")).status).toBe(403);
    expect((await ask(PRIVATE_KEY, "routine-router")).status).toBe(403);
    // B: budgets. web (0.03 USD a day) spends 0.034 with its second request; the third is refused
    expect((await ask(APP_KEY, "web-model")).modelId).toBe("web-model:mini");
    const cloudCallsBefore = cloud.modelCalls().length;
    const overWeb = await ask(APP_KEY, "web-model");
    expect(overWeb.status, overWeb.text).toBe(402);
    expect(overWeb.text).toContain("lane 'web' has spent its daily budget");
    expect(overWeb.text).toMatch(/refused until \d{4}-\d\d-\d\dT00:00:00\.000Z/);
    expect(cloud.modelCalls().length, "the refused request never reached the cloud").toBe(cloudCallsBefore);
    // routine (0.02 USD a day): one more cloud fallback is allowed (0.017 spent), then its cloud fallback is refused
    await ollama.stop();
    expect((await ask(APP_KEY, "routine-router")).modelId).toBe("gw-fallback-mini:mini");
    const overRoutine = await ask(APP_KEY, "routine-router");
    expect(overRoutine.status).toBeGreaterThanOrEqual(400);
    expect(overRoutine.text).toContain("lane 'routine' has spent its daily budget");
    await ollama.restart();
    // while the local route still answers
    expect((await ask(APP_KEY, "routine-router")).modelId).toBe("routine-router:llama");
    mixLines = 18;
    const lines = await waitForLines(mixLines);
    expect(lines).toHaveLength(mixLines);
  }, 180_000);

  it("reports exactly the mix: totals, lanes, clients, route shares, cloud-fallback rate, refusals", async () => {
    const r = await report("--json");
    expect(r.exitCode, r.stderr).toBe(0);
    const j = r.json!;
    expect(j.read.skipped).toBe(0);
    expect(j.read.files, "the 2 KiB bound rotated the ledger at least once").toBeGreaterThan(1);
    expect(j.totals).toEqual({ requests: 18, ok: 10, errors: 1, refused: 7, tokensIn: 70, tokensOut: 50, cost: 4 * COST });
    expect(j.byLane.routine).toMatchObject({ requests: 8, ok: 6, errors: 0, refused: 2, cost: 2 * COST });
    expect(j.byLane.private).toMatchObject({ requests: 4, ok: 2, errors: 1, refused: 1, cost: 0 });
    expect(j.byLane.web).toMatchObject({ requests: 3, ok: 2, errors: 0, refused: 1, cost: 2 * COST });
    expect(j.byLane["(none)"]).toMatchObject({ requests: 3, refused: 3 });
    expect(j.byClient.app).toMatchObject({ requests: 13, refused: 5 });
    expect(j.byClient.private).toMatchObject({ requests: 5, refused: 2 });
    expect(j.byModel.llama).toMatchObject({ requests: 6, cost: 0 });
    expect(j.byModel.mini).toMatchObject({ requests: 4, cost: 4 * COST });
    expect(j.routes["routine-router"]).toMatchObject({ served: 6, servedBy: { primary: 4, "fallback-1": 2 }, cloud: 2 });
    expect(j.routes["routine-router"]!.cloudShare).toBeCloseTo(2 / 6, 12);
    expect(j.routes["secure-core"]).toMatchObject({ served: 2, servedBy: { primary: 2 }, cloud: 0 });
    expect(j.routes["web-model"]).toMatchObject({ served: 2, servedBy: { primary: 2 }, cloud: 2, cloudShare: 1 });
    expect(j.localFirst.routine).toMatchObject({ served: 6, cloudFallback: 2 });
    expect(j.localFirst.routine!.rate).toBeCloseTo(1 / 3, 12);
    expect(j.refusals.total).toBe(7);
    expect(j.refusals.byReason).toEqual({ guard: 2, "non-alias": 3, budget: 2 });
    expect(j.refusals.byClient).toEqual({ app: 5, private: 2 });
    expect(j.refusals.nonAliasByClient).toEqual({ app: { "gpt-4o-mini": 2 }, private: { "gpt-4o": 1 } });
    expect(j.spend.routine).toMatchObject({ today: 2 * COST, month: 2 * COST });
    expect(j.spend.web).toMatchObject({ today: 2 * COST, month: 2 * COST });

    const byRoute = await report("--json", "--by", "route", "--since", "24h");
    expect(byRoute.json!.byRoute["gpt-4o-mini (not an alias)"]).toMatchObject({ requests: 2 });
    const text = await report("--by", "client");
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^app\s+13\s+8\s+0\s+5\s/m);
    expect(text.stdout).toContain("app asked for names that are not aliases: gpt-4o-mini (2)");
    // nothing in the future: --since excludes nothing of the last hour, and a bad duration is invalid input
    expect((await report("--json", "--since", "1h")).json!.totals.requests).toBe(18);
    const bad = await report("--since", "yesterday");
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("--since yesterday is not a duration");
  }, 60_000);

  it("holds no prompt canary and no key; its files are 0600 in a 0700 directory", async () => {
    const names = await readdir(ledgerDir());
    expect((await stat(ledgerDir())).mode & 0o777).toBe(0o700);
    let all = "";
    for (const n of names) {
      const file = join(ledgerDir(), n);
      expect((await stat(file)).mode & 0o777, n).toBe(0o600);
      all += await readFile(file, "utf8");
    }
    expect(canaries.length).toBeGreaterThanOrEqual(mixLines);
    for (const c of canaries) expect(all.includes(c), `canary ${c} in the ledger`).toBe(false);
    for (const k of KEYS) expect(all.includes(k), "a key in the ledger").toBe(false);
    expect(all).not.toMatch(/remember|"messages"|"content"/);
  });

  it("--check fires the rules, --notify posts one JSON document per firing to a webhook", async () => {
    const check = await report("--check");
    expect(check.exitCode, check.stderr).toBe(1);
    expect(check.stdout).toContain("FIRED cloud-fallback: lane routine: 2 requests served by a cloud fallback");
    expect(check.stdout).toMatch(/FIRED refusals: \d+ requests refused in the hour/);
    expect(check.stdout).toMatch(/FIRED budget: lane web spent 0\.034 USD today: 113\.3% of its daily budget of 0\.03 USD/);
    const received: Array<{ contentType?: string; body: Record<string, unknown> }> = [];
    const hook = createServer((req, res) => {
      let text = "";
      req.on("data", (c: Buffer) => (text += c.toString("utf8")));
      req.on("end", () => {
        received.push({ contentType: req.headers["content-type"], body: JSON.parse(text) as Record<string, unknown> });
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/gatewayctl`;
      const notified = await report("--check", "--notify", url);
      expect(notified.exitCode, notified.stderr).toBe(1);
      expect(notified.stderr).toContain("notified 3 firings");
      expect(received).toHaveLength(3);
      expect(received.map((r) => r.body.rule).sort()).toEqual(["budget", "cloud-fallback", "refusals"]);
      for (const r of received) {
        expect(r.contentType).toBe("application/json");
        expect(r.body).toMatchObject({ source: "gatewayctl", gateway: `http://127.0.0.1:${port}` });
        expect(typeof r.body.message).toBe("string");
      }
      const down = await report("--check", "--notify", "http://127.0.0.1:1/nothing");
      expect(down.exitCode).toBe(1);
      expect(down.stderr).toContain("could not deliver 3 of 3 alert(s)");
    } finally {
      await new Promise<void>((r) => hook.close(() => r()));
    }
  }, 60_000);

  it("writes an HTML report whose Vega-Lite charts headless Chromium renders", async () => {
    await access(CHROMIUM).catch(() => {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (scripts/test.sh does)`);
    });
    const html = join(dir, "report.html");
    const r = await report("--html", html, "--since", "24h");
    expect(r.exitCode, r.stderr).toBe(0);
    const text = await readFile(html, "utf8");
    // self-contained: no script, nothing loaded from anywhere
    expect(text).not.toMatch(/<script|<link|(src|href)=["']?https?:/i);
    const chrome = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", `--user-data-dir=${join(dir, "chromium")}`];
    const dom = await execa(CHROMIUM, [...chrome, "--dump-dom", `file://${html}`], { reject: false, timeout: 90_000 });
    expect(dom.exitCode, dom.stderr.slice(-500)).toBe(0);
    for (const id of ["chart-requests", "chart-cost"]) {
      const at = dom.stdout.indexOf(`<figure id="${id}">`);
      expect(at, id).toBeGreaterThan(-1);
      const figure = dom.stdout.slice(at, dom.stdout.indexOf("</figure>", at));
      expect(figure).toContain("<svg");
      // one bar group per lane row, coloured by where served; the legend names them
      expect((figure.match(/class="mark-rect role-mark/g) ?? []).length, id).toBeGreaterThanOrEqual(1);
      expect((figure.match(/<path[^>]*fill="#(2e7d32|ef6c00|1565c0|8e24aa|c62828)"/g) ?? []).length, `${id} bars`).toBeGreaterThanOrEqual(3);
      for (const lane of ["routine", "web", "private"]) expect(figure, `${id}: lane ${lane}`).toContain(`>${lane}<`);
      expect(figure).toContain(">cloud fallback<");
    }
    const shot = join(process.env.GATEWAYCTL_SCREENSHOT_DIR ?? dir, "report.png");
    const png = await execa(CHROMIUM, [...chrome, "--window-size=1100,1800", `--screenshot=${shot}`, `file://${html}`], { reject: false, timeout: 90_000 });
    expect(png.exitCode, png.stderr.slice(-500)).toBe(0);
    expect((await stat(shot)).size).toBeGreaterThan(20_000);
  }, 200_000);

  it("a restart keeps the totals and the spent budget", async () => {
    const before = (await report("--json")).json!;
    expect((await runCli(["stop", "--policy", policyFile], { env })).exitCode).toBe(0);
    const started = await runCli(["start", "--policy", policyFile, "--timeout", "180"], { env, timeout: 240_000 });
    expect(started.exitCode, started.stderr).toBe(0);
    const after = (await report("--json")).json!;
    expect(after.totals).toEqual(before.totals);
    expect(after.byLane).toEqual(before.byLane);
    // the new process summed this month's spend from the ledger: web is still over its budget
    const refused = await ask(APP_KEY, "web-model");
    expect(refused.status, refused.text).toBe(402);
    expect((await ask(APP_KEY, "routine-router")).modelId).toBe("routine-router:llama");
  }, 300_000);

  it("rotation keeps the ledger under ledger.maxBytes x (keep + 1)", async () => {
    const maxBytes = 2048;
    const keep = 8;
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.all(Array.from({ length: 8 }, () => ask(APP_KEY, "routine-router")));
      for (const a of batch) expect(a.status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const names = await readdir(ledgerDir());
    expect(names.sort()).toEqual(["ledger.jsonl", ...Array.from({ length: keep }, (_, i) => `ledger.jsonl.${i + 1}`)].sort());
    let total = 0;
    for (const n of names) {
      const size = (await stat(join(ledgerDir(), n))).size;
      expect(size, n).toBeLessThanOrEqual(maxBytes);
      total += size;
    }
    expect(total).toBeLessThanOrEqual(maxBytes * (keep + 1));
    // every kept line is still a whole record
    const r = await report("--json");
    expect(r.json!.read.skipped).toBe(0);
    expect(r.json!.totals.requests).toBeLessThan(18 + 2 + 80);
  }, 120_000);

  it("records the front door's refusals (an unknown key, a shut endpoint) without the key", async () => {
    const unknownKey = `sk-ledger-unknown-${randomBytes(8).toString("hex")}`;
    expect((await chat(unknownKey, { model: "web-model", messages: [{ role: "user", content: "x" }] })).status).toBe(401);
    const shut = await fetch(`http://127.0.0.1:${port}/v1/batches`, { method: "POST", headers: { authorization: `Bearer ${APP_KEY}`, "content-type": "application/json" }, body: "{}" });
    expect(shut.status).toBe(403);
    const until = Date.now() + 10_000;
    let door: Array<Record<string, unknown>> = [];
    while (door.length < 2 && Date.now() < until) {
      door = (await ledgerLines()).filter((l) => l.refusedBy === "front-door");
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(door.map((l) => l.reason).sort()).toEqual(["/v1/batches is not an endpoint this gateway admits", "unknown key"]);
    expect(door.find((l) => l.reason === "unknown key")).not.toHaveProperty("client");
    const all = JSON.stringify(await ledgerLines());
    expect(all).not.toContain(unknownKey);
    expect(all).not.toContain(APP_KEY);
  }, 60_000);

  it("a spent budget refuses a cloud primary and lets its local fallback answer", async () => {
    const calls = cloud.modelCalls().length;
    const a = await ask(APP_KEY, "web-or-local");
    expect(a.status, a.text).toBe(200);
    expect(a.modelId).toBe("gw-fallback-llama:llama");
    expect(cloud.modelCalls().length).toBe(calls);
  }, 60_000);

  it("records a streamed request once, with its tokens, when the stream ends", async () => {
    const before = (await ledgerLines()).length;
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${APP_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "routine-router", stream: true, messages: [{ role: "user", content: "stream please" }], max_tokens: 8 }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("data: [DONE]");
    const until = Date.now() + 10_000;
    let lines = await ledgerLines();
    while (lines.length < before + 1 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      lines = await ledgerLines();
    }
    await new Promise((r) => setTimeout(r, 1000));
    lines = await ledgerLines();
    // rotation may have dropped old lines meanwhile: look at the newest
    const last = lines.at(-1)!;
    expect(last).toMatchObject({ client: "app", alias: "routine-router", status: "ok", deployment: "routine-router:llama", location: "local" });
    expect(last.tokensOut as number).toBeGreaterThan(0);
    expect(lines.filter((l) => l.time === last.time)).toHaveLength(1);
  }, 60_000);
});
