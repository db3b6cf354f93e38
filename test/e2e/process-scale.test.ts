/**
 * `scale:` on the process runtime, for real: `gatewayctl start` runs two LiteLLM replicas (the pinned LiteLLM from
 * .venv-litellm) on consecutive loopback ports, Debian's redis-server (bundled, password only) and Debian's HAProxy
 * in front. Model servers are stand-ins: a recording Ollama, and an OpenAI-compatible server that answers 429.
 */
import { execa } from "execa";
import { randomBytes } from "node:crypto";
import { access, chmod, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli, tempDir, type CliResult } from "../support/cli.js";
import { requireLitellm } from "../support/litellm.js";
import { freePort, portOpen } from "../support/net.js";
import { startRecordingOllama, type RecordingBackend } from "../support/recording-backends.js";

const MASTER_KEY = `sk-scale-master-${randomBytes(8).toString("hex")}`;
const APP_KEY = `sk-scale-app-${randomBytes(8).toString("hex")}`;
const REDIS_PASSWORD = `redis-${randomBytes(12).toString("hex")}`;
const PROMPT_CANARY = `prompt-canary-${randomBytes(6).toString("hex")}`;
const REPLY_CANARY = `reply-canary-${randomBytes(6).toString("hex")}`;

async function requireBin(file: string, pkg: string): Promise<void> {
  await access(file).catch(() => {
    throw new Error(`${file} is missing: apt-get install ${pkg} (scripts/test.sh installs it)`);
  });
}

/** An OpenAI-compatible backend that answers every completion with 429 and Retry-After: 60, recording each call. */
async function startRateLimited(): Promise<{ server: Server; url: string; calls: () => number }> {
  let calls = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.method === "POST" && req.url?.includes("/chat/completions")) {
        calls++;
        res.writeHead(429, { "content-type": "application/json", "retry-after": "60" });
        res.end(JSON.stringify({ error: { message: "rate limited", type: "rate_limit_error", code: "rate_limit_exceeded" } }));
        return;
      }
      res.writeHead(404, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, calls: () => calls };
}

/** A base port whose next three ports are free too (the balancer, two replicas, the bundled Redis). */
async function freeRun(n: number): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p + n > 65535) continue;
    const taken = await Promise.all(Array.from({ length: n }, (_, i) => portOpen(p + 1 + i)));
    if (!taken.some(Boolean)) return p;
  }
}

async function chat(port: number, model: string, content: string): Promise<{ status: number; text: string }> {
  const r = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content }] }),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: r.status, text: await r.text() };
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const r = await execa("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { env: { REDISCLI_AUTH: REDIS_PASSWORD }, reject: false });
  return `${r.stdout}${r.stderr}`;
}

let tmp: { dir: string; cleanup: () => Promise<void> };
let ollama: RecordingBackend;
let limited: Awaited<ReturnType<typeof startRateLimited>>;
let port: number;
let replicaPorts: number[];
let redisPort: number;
let stateDir: string;
const outputs: CliResult[] = [];

async function gw(args: string[]): Promise<CliResult> {
  const r = await runCli([...args, "--policy", join(tmp.dir, "gateway.policy.yaml")], { cwd: tmp.dir, timeout: 300_000 });
  outputs.push(r);
  return r;
}

async function replicaPids(): Promise<number[]> {
  const state = JSON.parse(await readFile(join(stateDir, "process.json"), "utf8")) as { scaled: { members: Array<{ role: string; pid: number }> } };
  return state.scaled.members.filter((m) => m.role === "replica").map((m) => m.pid);
}

beforeAll(async () => {
  await requireLitellm();
  await requireBin("/usr/sbin/haproxy", "haproxy");
  await requireBin("/usr/bin/redis-server", "redis-server");
  tmp = await tempDir("gw-scale-");
  ollama = await startRecordingOllama({ reply: REPLY_CANARY });
  limited = await startRateLimited();
  port = await freeRun(3);
  replicaPorts = [port + 1, port + 2];
  redisPort = port + 3;
  stateDir = join(tmp.dir, "rt.state");
  const policy = {
    version: 1,
    gateway: { port, bind: "127.0.0.1", runtime: "process" },
    secrets: { provider: "env-file", file: "./secrets.env" },
    runtime: { dir: "./rt" },
    backends: {
      home: { type: "ollama", url: ollama.url, location: "local" },
      busy: { type: "openai-compatible", url: limited.url, location: "local" },
    },
    models: { llama: { backend: "home", name: "llama3.1:8b" }, limited: { backend: "busy", name: "small" } },
    lanes: { private: { privacy: "local-only", description: "private work" } },
    routes: { chat: { lane: "private", model: "llama" }, burst: { lane: "private", model: "limited", fallbacks: ["llama"] } },
    clients: { app: { key: { secret: "APP_KEY" }, lanes: ["private"] } },
    scale: { replicas: 2, redis: { bundled: true, password: { secret: "REDIS_PASSWORD" } } },
  };
  await writeFile(join(tmp.dir, "gateway.policy.yaml"), stringify(policy));
  const secrets = join(tmp.dir, "secrets.env");
  await writeFile(secrets, `LITELLM_MASTER_KEY=${MASTER_KEY}\nAPP_KEY=${APP_KEY}\nREDIS_PASSWORD=${REDIS_PASSWORD}\n`, { mode: 0o600 });
  await chmod(secrets, 0o600);
  const build = await gw(["build"]);
  if (build.exitCode !== 0) throw new Error(`build failed:\n${build.stderr}`);
}, 60_000);

afterAll(async () => {
  if (tmp) await gw(["stop"]);
  ollama?.close();
  limited?.server.close();
  await tmp?.cleanup();
});

describe("scale on the process runtime: two LiteLLM replicas, bundled Redis, HAProxy (all real)", () => {
  it("start runs the replicas on consecutive loopback ports, Redis and the balancer; status shows each", { timeout: 300_000 }, async () => {
    const r = await gw(["start"]);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stderr).toContain(`started redis-server`);
    expect(r.stderr).toMatch(new RegExp(`started 2 LiteLLM replicas \\(pids \\d+, \\d+\\) on 127\\.0\\.0\\.1:${replicaPorts.join(", ")}`));
    expect(r.stderr).toContain(`started haproxy`);
    for (const p of replicaPorts) expect((await fetch(`http://127.0.0.1:${p}/health/readiness`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/health/readiness`)).status).toBe(200);
    // Redis answers only with the password, on loopback
    expect(await redisCli(redisPort, "PING")).toContain("PONG");
    const noAuth = await execa("redis-cli", ["-h", "127.0.0.1", "-p", String(redisPort), "PING"], { reject: false });
    expect(`${noAuth.stdout}${noAuth.stderr}`).toMatch(/NOAUTH/);
    // the password is on no command line
    const pids = JSON.parse(await readFile(join(stateDir, "process.json"), "utf8")).scaled.members.map((m: { pid: number }) => m.pid) as number[];
    for (const pid of pids) expect(await readFile(`/proc/${pid}/cmdline`, "utf8")).not.toContain(REDIS_PASSWORD);
    expect(await readFile(join(stateDir, "process.json"), "utf8")).not.toContain(REDIS_PASSWORD);

    const s = await gw(["status"]);
    expect(s.exitCode, s.stdout).toBe(0);
    expect(s.stdout).toMatch(/^gateway: running \(process/m);
    for (const p of replicaPorts) expect(s.stdout).toMatch(new RegExp(`replica +127\\.0\\.0\\.1:${p} +pid \\d+ +running, liveliness ok, readiness ok`));
    expect(s.stdout).toMatch(new RegExp(`balancer +127\\.0\\.0\\.1:${port} `));
    expect(s.stdout).toMatch(new RegExp(`redis +127\\.0\\.0\\.1:${redisPort} `));
    // a second start changes nothing: the same processes keep running
    const again = await gw(["start"]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/gateway already running at .*nothing changed/);
    expect(JSON.parse(await readFile(join(stateDir, "process.json"), "utf8")).scaled.members.map((m: { pid: number }) => m.pid)).toEqual(pids);
    // logs: every process's log, each line labelled with its process
    const logs = await gw(["logs", "--tail", "5"]);
    expect(logs.exitCode, logs.stderr).toBe(0);
    for (const p of replicaPorts) expect(logs.stdout).toContain(`[replica 127.0.0.1:${p}] `);
    expect(logs.stdout).toContain(`[redis 127.0.0.1:${redisPort}] `);
    expect(logs.stdout).not.toContain(REDIS_PASSWORD);
  });

  it("a cooldown replica A learns from a 429 reaches replica B through Redis: B sends the deployment nothing", { timeout: 120_000 }, async () => {
    const [a, b] = replicaPorts as [number, number];
    expect(limited.calls()).toBe(0);
    const first = await chat(a, "burst", `first ${PROMPT_CANARY}`);
    expect(first.status, first.text).toBe(200); // served by the fallback after the 429
    const hitByA = limited.calls();
    expect(hitByA).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 12; i++) {
      const r = await chat(b, "burst", `again ${i} ${PROMPT_CANARY}`);
      expect(r.status, r.text).toBe(200);
      expect(r.text).toContain(REPLY_CANARY);
    }
    expect(limited.calls() - hitByA).toBe(0);
  });

  it("test-routes checks each replica and the routes through the balancer", { timeout: 120_000 }, async () => {
    const r = await gw(["test-routes"]);
    expect(r.stdout).toMatch(/^chat\s.*\bok$/m);
    expect(r.exitCode === 0 || /WARN/.test(r.stdout), `${r.stdout}\n${r.stderr}`).toBe(true);
    expect(r.stdout).not.toMatch(/FAIL replica/);
    const json = await gw(["test-routes", "--json"]);
    const report = JSON.parse(json.stdout) as { checks: Array<{ name: string; status: string }> };
    for (const p of replicaPorts) expect(report.checks.find((c) => c.name === `replica http://127.0.0.1:${p}`)?.status).toBe("pass");
  });

  it("every replica loads the guard and the front door: each refuses an unknown key and a request-borne fallback", { timeout: 60_000 }, async () => {
    for (const p of replicaPorts) {
      const stranger = await fetch(`http://127.0.0.1:${p}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer sk-not-a-key-of-this-gateway", "content-type": "application/json" },
        body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }] }),
      });
      expect([401, 403], `replica ${p}`).toContain(stranger.status);
      const before = ollama.modelCalls().length;
      const borne = await fetch(`http://127.0.0.1:${p}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${APP_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "chat", fallbacks: ["burst"], messages: [{ role: "user", content: "hi" }] }),
      });
      const text = await borne.text();
      expect(borne.status, `replica ${p}: ${text}`).toBe(403);
      expect(text).toMatch(/gatewayctl/i);
      expect(ollama.modelCalls().length).toBe(before);
    }
  });

  it("requests through the balancer spread across both replicas", { timeout: 120_000 }, async () => {
    const count = async (p: number): Promise<number> => ((await readFile(join(stateDir, `replica-${p}.log`), "utf8")).match(/POST \/v1\/chat\/completions/g) ?? []).length;
    const before = await Promise.all(replicaPorts.map(count));
    for (let i = 0; i < 10; i++) expect((await chat(port, "chat", `spread ${i} ${PROMPT_CANARY}`)).status).toBe(200);
    const after = await Promise.all(replicaPorts.map(count));
    const served = after.map((n, i) => n - before[i]!);
    expect(served.reduce((x, y) => x + y, 0)).toBe(10);
    for (const n of served) expect(n).toBeGreaterThanOrEqual(3);
  });

  it("Redis holds no prompt, no response and no key", { timeout: 60_000 }, async () => {
    const keys = (await redisCli(redisPort, "--scan", "--pattern", "*")).split("\n").filter(Boolean);
    expect(keys.length).toBeGreaterThan(0); // the router state is there (cooldowns, counters)
    let dump = keys.join("\n");
    for (const key of keys) {
      const type = (await redisCli(redisPort, "TYPE", key)).trim();
      const read: Record<string, string[]> = { string: ["GET", key], hash: ["HGETALL", key], list: ["LRANGE", key, "0", "-1"], set: ["SMEMBERS", key], zset: ["ZRANGE", key, "0", "-1", "WITHSCORES"] };
      dump += `\n${type} ${await redisCli(redisPort, ...(read[type] ?? ["DUMP", key]))}`;
    }
    for (const secret of [PROMPT_CANARY, REPLY_CANARY, MASTER_KEY, APP_KEY, REDIS_PASSWORD]) expect(dump).not.toContain(secret);
    expect(dump).not.toMatch(/sk-scale-/);
  });

  it("500 requests at concurrency 20 through the balancer all succeed while a replica is killed -9 part-way", { timeout: 240_000 }, async () => {
    const [victim] = await replicaPids();
    let done = 0;
    let killed = false;
    const failures: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 500) {
        const i = next++;
        try {
          const r = await chat(port, "chat", `load ${i}`);
          if (r.status !== 200) failures.push(`${i}: ${r.status} ${r.text.slice(0, 120)}`);
        } catch (err) {
          failures.push(`${i}: ${(err as Error).message}`);
        }
        done++;
        if (!killed && done >= 150) {
          killed = true;
          process.kill(victim!, "SIGKILL");
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    expect(killed).toBe(true);
    expect(failures).toEqual([]);
    // status names the dead replica and fails; stop stops everything that is left
    const s = await gw(["status"]);
    expect(s.exitCode).toBe(1);
    expect(s.stdout).toMatch(new RegExp(`replica +127\\.0\\.0\\.1:\\d+ +pid ${victim} +crashed`));
    const pids = JSON.parse(await readFile(join(stateDir, "process.json"), "utf8")).scaled.members.map((m: { pid: number }) => m.pid) as number[];
    const stop = await gw(["stop"]);
    expect(stop.exitCode, stop.stderr).toBe(0);
    for (const pid of pids) expect(await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "gone")).toMatch(/gone|\) [ZX] /);
    for (const p of [port, ...replicaPorts, redisPort]) expect(await portOpen(p)).toBe(false);
  });
});
