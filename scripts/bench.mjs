#!/usr/bin/env node
// npm run bench: prints every figure as a ratio against a baseline measured in the same run, never as a
// bare absolute time (absolute times are shown beside the ratio only for context).
// Sections: startup (cold build vs node -e 0), scale (1,000 routes / 3,000 models), policy-errors (20,000 bad
// routes vs 2,000), sync (1,000 files vs rsync -a),
// sync-example (no-op sync of the example build vs rsync -a), start (gatewayctl start --runtime process vs litellm --config
// directly), docker-start (gatewayctl start on Docker vs docker run of the same image and config; needs DOCKER_HOST and
// scripts/build-litellm-image.sh), door (per-request latency through the front door and guard vs the same LiteLLM
// and config without them, p50/p99 at concurrency 1 and 20), ledger (per-request latency with the request ledger
// callback vs the same LiteLLM and config without it, p50/p99 at concurrency 1 and 20), report (gatewayctl report
// over a generated 1,000,000-line ledger vs reading the same file line by line; time and peak RSS), test-routes
// (20 routes vs 1 route, 300 ms backend),
// replicas (2 LiteLLM replicas behind HAProxy vs 1 replica direct: time for 400 requests and p99 at concurrency 20, and
// the failed requests of 500 while one replica is killed -9; needs haproxy and redis-server).
// Everything listens on 127.0.0.1 only and stops by itself.
import { spawnSync, spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, cpSync, existsSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { parse as parseYaml, stringify } from "yaml";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
process.env.DOCKER_HOST ??= "unix:///tmp/gw-docker.sock";
const { DEFAULT_LITELLM_VERSION } = await import(join(ROOT, "dist", "lib", "versions.js"));
const CLI = join(ROOT, "dist", "cli.js");
const LITELLM = join(ROOT, ".venv-litellm", "bin", "litellm");
const only = process.argv.slice(2);
const want = (name) => only.length === 0 || only.includes(name);
const work = mkdtempSync(join(tmpdir(), "gatewayctl-bench-"));
const results = [];
const { writeSyntheticLedger } = await import(join(ROOT, "scripts", "synthetic-ledger.mjs"));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function timeOnce(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}\n${r.stderr}`);
  }
  return ms;
}

/** Like timeOnce, but without blocking this process's event loop (the model-server stand-in lives here). */
function timeAsync(cmd, args, opts = {}) {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
    let err = "";
    child.stdout.resume();
    child.stderr.on("data", (c) => (err += c));
    child.on("error", rej);
    child.on("exit", (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0 && !opts.allowFail) rej(new Error(`${cmd} ${args.join(" ")} exited ${code}\n${err}`));
      else res(ms);
    });
  });
}

function cliAsync(args, opts = {}) {
  return timeAsync(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: "1" }, ...opts });
}

function timeMedian(cmd, args, n, opts) {
  timeOnce(cmd, args, opts); // warm the page cache, as a person's second run would
  return median(Array.from({ length: n }, () => timeOnce(cmd, args, opts)));
}

function report(section, name, ms, baselineName, baselineMs, goal) {
  const ratio = ms / baselineMs;
  results.push({ section, name, ms, baselineName, baselineMs, ratio, goal });
  const goalText = goal ? `  (goal ${goal.text}: ${goal.ok(ratio, ms) ? "met" : "NOT met"})` : "";
  console.log(`${section.padEnd(12)} ${name.padEnd(44)} ${ratio.toFixed(2)}× ${baselineName}  [${ms.toFixed(0)} ms vs ${baselineMs.toFixed(0)} ms]${goalText}`);
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createNetServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on("error", rej);
  });
}

async function waitReady(baseUrl, timeoutMs) {
  // AbortSignal.timeout's timer does not keep Node alive, and a connect to a just-published Docker port can sit
  // without a handle that does: hold the loop open while waiting
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    await waitReadyLoop(baseUrl, timeoutMs);
  } finally {
    clearInterval(keepAlive);
  }
}

async function waitReadyLoop(baseUrl, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (const path of ["/health/liveliness", "/health/readiness"]) {
    for (;;) {
      try {
        const r = await fetch(baseUrl + path, { signal: AbortSignal.timeout(2000) });
        if (r.ok) break;
      } catch {}
      if (Date.now() > deadline) throw new Error(`${baseUrl}${path} not ready`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** An Ollama-compatible stand-in for a model server that answers /api/chat after `delayMs` (no model weights here). */
function startDelayedOllamaStandIn(delayMs) {
  return new Promise((res) => {
    const server = createServer((req, resp) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        if (req.url === "/api/tags") {
          resp.setHeader("content-type", "application/json");
          return resp.end(JSON.stringify({ models: [{ name: "bench:1b", model: "bench:1b" }] }));
        }
        setTimeout(() => {
          resp.setHeader("content-type", "application/json");
          resp.end(
            JSON.stringify({
              model: "bench:1b",
              created_at: new Date().toISOString(),
              message: { role: "assistant", content: "ok" },
              done: true,
              done_reason: "stop",
              prompt_eval_count: 3,
              eval_count: 1,
            }),
          );
        }, delayMs);
      });
    });
    server.listen(0, "127.0.0.1", () => res({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}

function benchPolicy({ routes, port, ollamaUrl, runtimeDir, secretsFile }) {
  const r = {};
  for (let i = 0; i < routes; i++) r[`route-${i}`] = { lane: "private", model: "local" };
  return {
    version: 1,
    gateway: { port, bind: "127.0.0.1", runtime: "process", masterKey: { secret: "LITELLM_MASTER_KEY" } },
    secrets: { provider: "env-file", file: secretsFile },
    runtime: { dir: runtimeDir },
    backends: { ollama: { type: "ollama", url: ollamaUrl, location: "local" } },
    models: { local: { backend: "ollama", name: "bench:1b" } },
    lanes: { private: { privacy: "local-only", description: "Private work" } },
    routes: r,
  };
}

function writeSecrets(dir) {
  const f = join(dir, "secrets.env");
  writeFileSync(f, `LITELLM_MASTER_KEY=sk-bench-${Math.random().toString(36).slice(2)}${Date.now()}\n`, { mode: 0o600 });
  chmodSync(f, 0o600);
  return f;
}

function cli(args, opts = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, ...opts });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`gatewayctl ${args.join(" ")} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

// --- baseline -------------------------------------------------------------------------------------------
const N = Number(process.env.BENCH_RUNS ?? 10);
const nodeBaseline = timeMedian(process.execPath, ["-e", "0"], N);
console.log(`baseline: node -e 0, median of ${N}: ${nodeBaseline.toFixed(0)} ms\n`);

try {
  // --- startup ----------------------------------------------------------------------------------------
  if (want("startup")) {
    const out = join(work, "startup-out");
    const ms = timeMedian(process.execPath, [CLI, "build", "--policy", join(ROOT, "examples/homelab/gateway.policy.yaml"), "--out", out], N);
    report("startup", "gatewayctl build (example), cold process", ms, "node -e 0", nodeBaseline, {
      text: "< 2.5×",
      ok: (r) => r < 2.5,
    });
  }

  // --- scale ------------------------------------------------------------------------------------------
  if (want("scale")) {
    const dir = join(work, "scale");
    mkdirSync(dir, { recursive: true });
    const backends = {
      ollama: { type: "ollama", url: "http://127.0.0.1:11434", location: "local" },
      openai: { type: "openai", apiKey: { secret: "OPENAI_API_KEY" }, location: "cloud" },
    };
    const models = {};
    for (let i = 0; i < 3000; i++) {
      models[`m${i}`] = i % 3 === 0
        ? { backend: "openai", name: `gpt-bench-${i}`, price: { input: 0.1, output: 0.4 } }
        : { backend: "ollama", name: `bench-${i}:7b` };
    }
    const lanes = {
      private: { privacy: "local-only", description: "Private" },
      routine: { privacy: "local-first", description: "Routine" },
      web: { privacy: "cloud-allowed", description: "Web" },
    };
    const routes = {};
    for (let i = 0; i < 1000; i++) {
      const local = (k) => `m${(k % 1000) * 3 + 1}`;
      const cloud = (k) => `m${(k % 1000) * 3}`;
      if (i % 3 === 0) routes[`r${i}`] = { lane: "private", model: local(i), fallbacks: [local(i + 1)] };
      else if (i % 3 === 1) routes[`r${i}`] = { lane: "routine", model: local(i), fallbacks: [cloud(i)] };
      else routes[`r${i}`] = { lane: "web", model: cloud(i), fallbacks: [cloud(i + 1), local(i)] };
    }
    const policy = { version: 1, secrets: { provider: "env" }, runtime: { dir: join(dir, "runtime") }, backends, models, lanes, routes };
    const file = join(dir, "big.policy.yaml");
    writeFileSync(file, stringify(policy));
    const ms = timeMedian(process.execPath, [CLI, "build", "--policy", file, "--out", join(dir, "out")], 5);
    report("scale", "build + proof, 1,000 routes / 3,000 models", ms, "node -e 0", nodeBaseline, {
      text: "< 1 s",
      ok: (_r, abs) => abs < 1000,
    });
  }

  // --- policy-errors ----------------------------------------------------------------------------------
  // error reporting must grow linearly: 20,000 bad routes in about ten times the time of 2,000
  if (want("policy-errors")) {
    const dir = join(work, "policy-errors");
    mkdirSync(dir, { recursive: true });
    const badPolicy = (n) => {
      const routes = {};
      for (let i = 0; i < n; i++) routes[`r${i}`] = { lane: `nolane${i}`, model: `nomodel${i}`, bogus: 1 };
      const file = join(dir, `bad-${n}.policy.yaml`);
      writeFileSync(file, stringify({ version: 1, backends: {}, models: {}, lanes: {}, routes }));
      return file;
    };
    const small = badPolicy(2000);
    const large = badPolicy(20000);
    const msSmall = timeMedian(process.execPath, [CLI, "build", "--policy", small, "--out", join(dir, "out")], 3, { allowFail: true });
    const msLarge = timeMedian(process.execPath, [CLI, "build", "--policy", large, "--out", join(dir, "out")], 3, { allowFail: true });
    report("policy-errors", "20,000 bad routes (every problem reported)", msLarge, "2,000 bad routes", msSmall, {
      text: "about 10× (linear)",
      ok: (r) => r <= 12,
    });
  }

  // --- sync -------------------------------------------------------------------------------------------
  if (want("sync")) {
    const rsyncOk = spawnSync("rsync", ["--version"]).status === 0;
    if (!rsyncOk) throw new Error("rsync is not installed (apt-get install -y rsync): the sync figures need it as the baseline");
    const src = join(work, "sync-src");
    cli(["build", "--policy", join(ROOT, "examples/homelab/gateway.policy.yaml"), "--out", src]);
    for (let i = 0; i < 1000 - 6; i++) {
      const d = join(src, "extra", `d${i % 20}`);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, `f${i}.txt`), `file ${i}\n`.repeat(40));
    }
    const firstSync = [], noopSync = [], firstRsync = [], noopRsync = [];
    for (let k = 0; k < 5; k++) {
      const to = join(work, `sync-to-${k}`, "runtime");
      mkdirSync(dirname(to), { recursive: true });
      firstSync.push(timeOnce(process.execPath, [CLI, "sync", "--from", src, "--to", to]));
      noopSync.push(timeOnce(process.execPath, [CLI, "sync", "--from", src, "--to", to]));
      const rto = join(work, `rsync-to-${k}`);
      firstRsync.push(timeOnce("rsync", ["-a", `${src}/`, `${rto}/`]));
      noopRsync.push(timeOnce("rsync", ["-a", `${src}/`, `${rto}/`]));
    }
    report("sync", "first sync, 1,000 files", median(firstSync), "rsync -a (first)", median(firstRsync), {
      text: "< 1.5×",
      ok: (r) => r < 1.5,
    });
    report("sync", "no-op sync, 1,000 files", median(noopSync), "rsync -a (no-op)", median(noopRsync), {
      text: "< 1×",
      ok: (r) => r < 1,
    });
    // the CLI pays Node's own start-up on every run; show the floor, and the sync engine without it
    const versionMs = timeMedian(process.execPath, [CLI, "--version"], N);
    report("sync", "no-op sync, 1,000 files (CLI)", median(noopSync), "gatewayctl --version", versionMs);
    const { syncRuntime } = await import(join(ROOT, "dist", "runtime", "sync.js"));
    const inFirst = [], inNoop = [];
    for (let k = 0; k < 5; k++) {
      const to = join(work, `sync-in-${k}`, "runtime");
      mkdirSync(dirname(to), { recursive: true });
      let t0 = process.hrtime.bigint();
      await syncRuntime({ from: src, to });
      inFirst.push(Number(process.hrtime.bigint() - t0) / 1e6);
      t0 = process.hrtime.bigint();
      await syncRuntime({ from: src, to });
      inNoop.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    report("sync", "first sync, in-process syncRuntime()", median(inFirst), "rsync -a (first)", median(firstRsync), {
      text: "< 1.5×",
      ok: (r) => r < 1.5,
    });
    report("sync", "no-op sync, in-process syncRuntime()", median(inNoop), "rsync -a (no-op)", median(noopRsync), {
      text: "< 1×",
      ok: (r) => r < 1,
    });
  }

  // --- no-op sync of the example build (11 files) -------------------------------------------------------
  if (want("sync-example")) {
    const src = join(work, "example-src");
    cli(["build", "--policy", join(ROOT, "examples/homelab/gateway.policy.yaml"), "--out", src]);
    const to = join(work, "example-to", "runtime");
    mkdirSync(dirname(to), { recursive: true });
    cli(["sync", "--from", src, "--to", to]);
    const rto = join(work, "example-rsync");
    spawnSync("rsync", ["-a", `${src}/`, `${rto}/`]);
    const noop = timeMedian(process.execPath, [CLI, "sync", "--from", src, "--to", to], N);
    const rsyncNoop = timeMedian("rsync", ["-a", `${src}/`, `${rto}/`], N);
    report("sync", "no-op sync of the example build (CLI)", noop, "rsync -a (no-op)", rsyncNoop);
  }

  // --- start on Docker (the real LiteLLM image) ----------------------------------------------------------
  if (want("docker-start")) {
    const image = `gatewayctl-local/litellm:${DEFAULT_LITELLM_VERSION}`;
    if (spawnSync("docker", ["image", "inspect", image], { stdio: "ignore" }).status !== 0) {
      throw new Error(`the LiteLLM image ${image} is missing: run bash scripts/build-litellm-image.sh (DOCKER_HOST=${process.env.DOCKER_HOST ?? "default"})`);
    }
    const viaCli = [], direct = [];
    for (let k = 0; k < 3; k++) {
      const dir = join(work, `docker-start-${k}`);
      mkdirSync(dir, { recursive: true });
      const port = await freePort();
      const secretsFile = writeSecrets(dir);
      const policy = benchPolicy({ routes: 5, port, ollamaUrl: "http://127.0.0.1:11434", runtimeDir: join(dir, "runtime"), secretsFile });
      policy.gateway = { ...policy.gateway, runtime: "docker", image };
      const policyFile = join(dir, "gateway.policy.yaml");
      writeFileSync(policyFile, stringify(policy));
      cli(["build", "--policy", policyFile]);
      cli(["sync", "--policy", policyFile]);
      // direct: docker run of the same image and generation, to ready
      const directPort = await freePort();
      spawnSync("docker", ["rm", "-f", `gw-bench-direct-${k}`], { stdio: "ignore" });
      const t0 = Date.now();
      const run = spawnSync("docker", [
        "run", "-d", "--rm", "--name", `gw-bench-direct-${k}`, "-p", `127.0.0.1:${directPort}:4000`,
        "-v", `${join(dir, "runtime.generations")}:/etc/gatewayctl/generations:ro`,
        "-e", "GATEWAYCTL_SECRET_LITELLM_MASTER_KEY=sk-bench-direct-0123456789", "-e", "LITELLM_MODE=PRODUCTION", "-e", "LITELLM_LOCAL_MODEL_COST_MAP=True",
        image, "--config", "/etc/gatewayctl/generations/current/config.yaml", "--port", "4000",
      ], { encoding: "utf8" });
      if (run.status !== 0) throw new Error(`docker run failed: ${run.stderr}`);
      await waitReady(`http://127.0.0.1:${directPort}`, 180_000);
      direct.push(Date.now() - t0);
      spawnSync("docker", ["rm", "-f", `gw-bench-direct-${k}`], { stdio: "ignore" });
      viaCli.push(await cliAsync(["start", "--policy", policyFile]));
      await cliAsync(["stop", "--policy", policyFile]);
    }
    report("start", "gatewayctl start (docker) to ready", median(viaCli), "docker run to ready", median(direct), {
      text: "< 1.2×",
      ok: (r) => r < 1.2,
    });
  }

  // --- per-request latency through the front door and the guard (real LiteLLM) -----------------------------
  if (want("door")) {
    if (!existsSync(LITELLM)) throw new Error("LiteLLM is not installed: run scripts/setup-litellm.sh");
    const backend = await startDelayedOllamaStandIn(0);
    try {
      const dir = join(work, "door");
      mkdirSync(dir, { recursive: true });
      const port = await freePort();
      const secretsFile = writeSecrets(dir);
      const clientKey = `sk-bench-client-${Date.now()}-0123456789`;
      writeFileSync(secretsFile, `${readFileSync(secretsFile, "utf8")}BENCH_CLIENT_KEY=${clientKey}\n`, { mode: 0o600 });
      const policy = benchPolicy({ routes: 3, port, ollamaUrl: backend.url, runtimeDir: join(dir, "runtime"), secretsFile });
      policy.clients = { bench: { key: { secret: "BENCH_CLIENT_KEY" }, lanes: ["private"] } };
      const policyFile = join(dir, "gateway.policy.yaml");
      writeFileSync(policyFile, stringify(policy));
      cli(["build", "--policy", policyFile]);
      // the same config without gatewayctl's modules: no callbacks, no custom_auth (the master key admits everything)
      const bare = join(dir, "bare");
      cpSync(join(dir, "generated"), bare, { recursive: true });
      const config = parseYaml(readFileSync(join(bare, "config.yaml"), "utf8"));
      delete config.litellm_settings.callbacks;
      delete config.general_settings.custom_auth;
      config.general_settings.master_key = "os.environ/BARE_MASTER_KEY";
      writeFileSync(join(bare, "config.yaml"), stringify(config));
      const bareKey = "sk-bench-bare-0123456789abcdef";
      const runSeries = async (baseUrl, key, concurrency, total) => {
        const lat = [];
        let next = 0;
        const worker = async () => {
          while (next < total) {
            next++;
            const t0 = performance.now();
            const r = await fetch(`${baseUrl}/v1/chat/completions`, {
              method: "POST",
              headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
              body: JSON.stringify({ model: "route-0", messages: [{ role: "user", content: "bench" }], max_tokens: 4 }),
            });
            await r.text();
            if (r.status !== 200) throw new Error(`bench request failed: HTTP ${r.status}`);
            lat.push(performance.now() - t0);
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
        lat.sort((a, b) => a - b);
        return { p50: lat[Math.floor(lat.length * 0.5)], p99: lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))] };
      };
      const barePort = await freePort();
      const bareProc = spawn(LITELLM, ["--config", join(bare, "config.yaml"), "--host", "127.0.0.1", "--port", String(barePort)], {
        cwd: bare, env: { ...process.env, LITELLM_LOCAL_MODEL_COST_MAP: "True", LITELLM_MODE: "PRODUCTION", BARE_MASTER_KEY: bareKey }, stdio: "ignore", detached: true,
      });
      const bareUrl = `http://127.0.0.1:${barePort}`;
      await waitReady(bareUrl, 180_000);
      await cliAsync(["start", "--policy", policyFile]);
      const doorUrl = `http://127.0.0.1:${port}`;
      try {
        for (const [concurrency, total] of [[1, 150], [20, 400]]) {
          await runSeries(bareUrl, bareKey, concurrency, 20); // warm-up
          await runSeries(doorUrl, clientKey, concurrency, 20);
          const b = await runSeries(bareUrl, bareKey, concurrency, total);
          const d = await runSeries(doorUrl, clientKey, concurrency, total);
          report("door", `p50 with front door + guard, concurrency ${concurrency}`, d.p50, "p50 bare LiteLLM", b.p50, { text: "< 1.15×", ok: (r) => r < 1.15 });
          report("door", `p99 with front door + guard, concurrency ${concurrency}`, d.p99, "p99 bare LiteLLM", b.p99);
        }
      } finally {
        process.kill(-bareProc.pid, "SIGTERM");
        await cliAsync(["stop", "--policy", policyFile], { allowFail: true });
      }
    } finally {
      backend.server.close();
    }
  }

  // --- per-request latency with the request ledger callback (real LiteLLM, same config otherwise) ----------
  if (want("ledger")) {
    if (!existsSync(LITELLM)) throw new Error("LiteLLM is not installed: run scripts/setup-litellm.sh");
    const backend = await startDelayedOllamaStandIn(0);
    const procs = [];
    try {
      const dir = join(work, "ledger");
      mkdirSync(dir, { recursive: true });
      const secretsFile = writeSecrets(dir);
      const policy = benchPolicy({ routes: 3, port: await freePort(), ollamaUrl: backend.url, runtimeDir: join(dir, "runtime"), secretsFile });
      policy.clients = { bench: { key: { secret: "BENCH_CLIENT_KEY" }, lanes: ["private"] } };
      const policyFile = join(dir, "gateway.policy.yaml");
      writeFileSync(policyFile, stringify(policy));
      cli(["build", "--policy", policyFile]);
      const masterKey = `sk-bench-ledger-master-${Date.now()}`;
      const clientKey = `sk-bench-ledger-client-${Date.now()}`;
      // two copies of the one build: with the ledger callback, and with the guard alone (front door in both)
      const variant = async (name, callbacks) => {
        const d = join(dir, name);
        cpSync(join(dir, "generated"), d, { recursive: true });
        const config = parseYaml(readFileSync(join(d, "config.yaml"), "utf8"));
        config.litellm_settings.callbacks = callbacks;
        writeFileSync(join(d, "config.yaml"), stringify(config));
        const port = await freePort();
        const ledgerDir = join(dir, `${name}-ledger`);
        const proc = spawn(LITELLM, ["--config", join(d, "config.yaml"), "--host", "127.0.0.1", "--port", String(port)], {
          cwd: d,
          env: {
            ...process.env, LITELLM_LOCAL_MODEL_COST_MAP: "True", LITELLM_MODE: "PRODUCTION", PYTHONDONTWRITEBYTECODE: "1",
            GATEWAYCTL_SECRET_LITELLM_MASTER_KEY: masterKey, GATEWAYCTL_SECRET_BENCH_CLIENT_KEY: clientKey, GATEWAYCTL_LEDGER_DIR: ledgerDir,
          },
          stdio: "ignore",
          detached: true,
        });
        procs.push(proc);
        const url = `http://127.0.0.1:${port}`;
        await waitReady(url, 180_000);
        return { url, ledgerDir };
      };
      const generated = parseYaml(readFileSync(join(dir, "generated", "config.yaml"), "utf8"));
      const all = generated.litellm_settings.callbacks;
      const withLedger = await variant("with-ledger", all);
      const without = await variant("without-ledger", all.filter((c) => !c.startsWith("gatewayctl_ledger.")));
      const series = async (baseUrl, concurrency, total) => {
        const lat = [];
        let next = 0;
        const worker = async () => {
          while (next < total) {
            next++;
            const t0 = performance.now();
            const r = await fetch(`${baseUrl}/v1/chat/completions`, {
              method: "POST",
              headers: { authorization: `Bearer ${clientKey}`, "content-type": "application/json" },
              body: JSON.stringify({ model: "route-0", messages: [{ role: "user", content: "bench" }], max_tokens: 4 }),
            });
            await r.text();
            if (r.status !== 200) throw new Error(`bench request failed: HTTP ${r.status}`);
            lat.push(performance.now() - t0);
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
        return lat;
      };
      const pct = (lat, q) => {
        const s = [...lat].sort((a, b) => a - b);
        return s[Math.min(s.length - 1, Math.floor(s.length * q))];
      };
      for (const [concurrency, total] of [[1, 200], [20, 400]]) {
        await series(without.url, concurrency, 20); // warm-up
        await series(withLedger.url, concurrency, 20);
        // interleaved halves, so that drift on a shared machine hits both alike
        const a = [], b = [];
        for (let half = 0; half < 2; half++) {
          a.push(...(await series(without.url, concurrency, total / 2)));
          b.push(...(await series(withLedger.url, concurrency, total / 2)));
        }
        report("ledger", `p50 with the ledger callback, concurrency ${concurrency}`, pct(b, 0.5), "p50 without it", pct(a, 0.5), { text: "< 1.05×", ok: (r) => r < 1.05 });
        report("ledger", `p99 with the ledger callback, concurrency ${concurrency}`, pct(b, 0.99), "p99 without it", pct(a, 0.99));
      }
      // LiteLLM runs success callbacks after the response: give the last ones a moment
      await new Promise((r) => setTimeout(r, 3000));
      const written = readFileSync(join(withLedger.ledgerDir, "ledger.jsonl"), "utf8").split("\n").filter(Boolean).length;
      console.log(`ledger       lines written by the ledger callback: ${written} (requests sent to it: ${2 * 20 + 200 + 400})`);
    } finally {
      for (const p of procs) {
        try {
          process.kill(-p.pid, "SIGTERM");
        } catch {}
      }
      backend.server.close();
    }
  }

  // --- replicas: two LiteLLM replicas behind HAProxy vs one replica direct (real LiteLLM, redis-server, haproxy) ---
  if (want("replicas")) {
    if (!existsSync(LITELLM)) throw new Error("LiteLLM is not installed: run scripts/setup-litellm.sh");
    for (const bin of ["/usr/sbin/haproxy", "/usr/bin/redis-server"]) if (!existsSync(bin)) throw new Error(`${bin} is missing: apt-get install haproxy redis-server`);
    const backend = await startDelayedOllamaStandIn(0);
    const dir = join(work, "replicas");
    mkdirSync(dir, { recursive: true });
    // the balancer's port and the three after it (two replicas, the bundled Redis) must be free
    let port;
    for (;;) {
      port = await freePort();
      const next = await Promise.all([1, 2, 3].map((i) => new Promise((res) => {
        const s = createNetServer();
        s.once("error", () => res(false));
        s.listen(port + i, "127.0.0.1", () => s.close(() => res(true)));
      })));
      if (next.every(Boolean)) break;
    }
    const secretsFile = writeSecrets(dir);
    writeFileSync(secretsFile, `${readFileSync(secretsFile, "utf8")}BENCH_REDIS_PASSWORD=bench-redis-${Date.now()}\n`, { mode: 0o600 });
    const master = /LITELLM_MASTER_KEY=(.*)/.exec(readFileSync(secretsFile, "utf8"))[1];
    const policy = benchPolicy({ routes: 2, port, ollamaUrl: backend.url, runtimeDir: join(dir, "runtime"), secretsFile });
    policy.scale = { replicas: 2, redis: { bundled: true, password: { secret: "BENCH_REDIS_PASSWORD" } } };
    const policyFile = join(dir, "gateway.policy.yaml");
    writeFileSync(policyFile, stringify(policy));
    cli(["build", "--policy", policyFile]);
    const send = async (baseUrl) => {
      const r = await fetch(`${baseUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${master}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "route-0", messages: [{ role: "user", content: "bench" }], max_tokens: 4 }),
        signal: AbortSignal.timeout(60_000),
      });
      await r.text();
      return r.status;
    };
    const series = async (baseUrl, concurrency, total, onProgress) => {
      const lat = [];
      let next = 0, done = 0, failed = 0;
      const t0 = performance.now();
      const worker = async () => {
        while (next < total) {
          next++;
          const s0 = performance.now();
          const status = await send(baseUrl).catch(() => 0);
          if (status !== 200) failed++;
          lat.push(performance.now() - s0);
          onProgress?.(++done);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const ms = performance.now() - t0;
      lat.sort((a, b) => a - b);
      return { ms, p99: lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))], failed };
    };
    try {
      await cliAsync(["start", "--policy", policyFile]);
      const balancer = `http://127.0.0.1:${port}`;
      const direct = `http://127.0.0.1:${port + 1}`;
      await series(balancer, 20, 60); // warm-up, both replicas
      await series(direct, 20, 40);
      const one = await series(direct, 20, 400);
      const two = await series(balancer, 20, 400);
      if (one.failed + two.failed) throw new Error(`replicas bench: ${one.failed + two.failed} requests failed without any kill`);
      report("replicas", "400 requests, concurrency 20, 2 replicas + HAProxy", two.ms, "1 replica direct", one.ms);
      console.log(`${"replicas".padEnd(12)} ${"throughput".padEnd(44)} ${(400000 / two.ms).toFixed(1)} req/s through the balancer vs ${(400000 / one.ms).toFixed(1)} req/s one replica direct`);
      report("replicas", "p99, 2 replicas + HAProxy, concurrency 20", two.p99, "p99 1 replica direct", one.p99);
      const state = JSON.parse(readFileSync(join(dir, "runtime.state", "process.json"), "utf8"));
      const victim = state.scaled.members.find((m) => m.role === "replica").pid;
      let killed = false;
      const kill = await series(balancer, 20, 500, (done) => {
        if (!killed && done >= 150) {
          killed = true;
          process.kill(victim, "SIGKILL");
        }
      });
      console.log(`${"replicas".padEnd(12)} ${"failed requests, 500 at concurrency 20".padEnd(44)} ${kill.failed} of 500 with one replica killed -9 after 150  (goal 0: ${kill.failed === 0 ? "met" : "NOT met"})`);
      results.push({ section: "replicas", name: "failed requests during a replica kill", failed: kill.failed, total: 500, goal: { text: "0" } });
    } finally {
      await cliAsync(["stop", "--policy", policyFile], { allowFail: true });
      backend.server.close();
    }
  }

  // --- gatewayctl report over a generated ledger of 1,000,000 lines ---------------------------------------
  if (want("report")) {
    const lines = Number(process.env.BENCH_LEDGER_LINES ?? 1_000_000);
    const ledgerDir = join(work, "report-ledger");
    const bytes = await writeSyntheticLedger(ledgerDir, lines);
    const file = join(ledgerDir, "ledger.jsonl");
    // baseline: node reading the same file line by line (no parsing), as fast as a streaming reader can be
    const baselineScript = `const rl=require("readline").createInterface({input:require("fs").createReadStream(${JSON.stringify(file)},{highWaterMark:1<<20})});let n=0;rl.on("line",()=>n++);rl.on("close",()=>console.log(n));`;
    // peak memory of the CLI process itself, reported by a preload on exit
    const rssFile = join(work, "report-rss.txt");
    const preload = join(work, "report-rss.cjs");
    writeFileSync(preload, `process.on("exit",()=>require("fs").writeFileSync(${JSON.stringify(rssFile)},String(process.resourceUsage().maxRSS)));`);
    const args = ["--require", preload, CLI, "report", "--policy", join(ROOT, "examples", "homelab", "gateway.policy.yaml"), "--from", join(ROOT, "examples", "homelab", "generated"), "--ledger", ledgerDir, "--json"];
    const runs = Number(process.env.BENCH_REPORT_RUNS ?? 3);
    const base = timeMedian(process.execPath, ["-e", baselineScript], runs);
    const times = [], rss = [];
    timeOnce(process.execPath, args);
    for (let k = 0; k < runs; k++) {
      times.push(timeOnce(process.execPath, args));
      rss.push(Number(readFileSync(rssFile, "utf8")) / 1024);
    }
    const ms = median(times);
    const peak = Math.max(...rss);
    report("report", `report --json over ${lines.toLocaleString("en")} lines (${(bytes / 1e6).toFixed(0)} MB)`, ms, "reading its lines", base, { text: "< 3 s", ok: (_r, t) => t < 3000 });
    console.log(`report       peak RSS of report over ${lines.toLocaleString("en")} lines: ${peak.toFixed(0)} MB  (goal < 200 MB: ${peak < 200 ? "met" : "NOT met"})`);
    results.push({ section: "report", name: "peak RSS MB", value: peak });
    const day = [];
    for (let k = 0; k < runs; k++) day.push(timeOnce(process.execPath, [...args, "--since", "24h"]));
    report("report", `report --json --since 24h (1/7 of the same ledger)`, median(day), "reading its lines", base);
  }

  // --- start and test-routes (real LiteLLM) -----------------------------------------------------------
  if (want("start") || want("test-routes")) {
    if (!existsSync(LITELLM)) throw new Error("LiteLLM is not installed: run scripts/setup-litellm.sh");
    const backend = await startDelayedOllamaStandIn(300);
    const gateways = [];
    try {
      const setup = async (name, routes) => {
        const dir = join(work, name);
        mkdirSync(dir, { recursive: true });
        const port = await freePort();
        const secretsFile = writeSecrets(dir);
        const policyFile = join(dir, "gateway.policy.yaml");
        writeFileSync(policyFile, stringify(benchPolicy({ routes, port, ollamaUrl: backend.url, runtimeDir: join(dir, "runtime"), secretsFile })));
        cli(["build", "--policy", policyFile]);
        return { dir, port, policyFile };
      };

      if (want("start")) {
        const direct = [], viaCli = [];
        for (let k = 0; k < 3; k++) {
          const g = await setup(`start-${k}`, 5);
          // direct: litellm --config on the generated config, to ready
          const env = { ...process.env, LITELLM_LOCAL_MODEL_COST_MAP: "True", LITELLM_MODE: "PRODUCTION", GATEWAYCTL_SECRET_LITELLM_MASTER_KEY: "sk-bench-direct-0123456789" };
          const t0 = Date.now();
          const p = spawn(LITELLM, ["--config", join(g.dir, "generated", "config.yaml"), "--host", "127.0.0.1", "--port", String(g.port)], {
            cwd: join(g.dir, "generated"), env, stdio: "ignore", detached: true,
          });
          await waitReady(`http://127.0.0.1:${g.port}`, 180_000);
          direct.push(Date.now() - t0);
          process.kill(-p.pid, "SIGTERM");
          await new Promise((r) => p.on("exit", r));
          // gatewayctl start --runtime process: sync + secrets + launch + wait for ready
          viaCli.push(await cliAsync(["start", "--policy", g.policyFile, "--runtime", "process"]));
          await cliAsync(["stop", "--policy", g.policyFile, "--runtime", "process"]);
        }
        report("start", "gatewayctl start --runtime process to ready", median(viaCli), "litellm --config to ready", median(direct), {
          text: "< 1.2×",
          ok: (r) => r < 1.2,
        });
      }

      if (want("test-routes")) {
        const one = await setup("tr-1", 1);
        const twenty = await setup("tr-20", 20);
        for (const g of [one, twenty]) {
          gateways.push(g);
          await cliAsync(["start", "--policy", g.policyFile, "--runtime", "process"]);
        }
        for (const concurrency of ["4", "20"]) {
          const t1 = [], t20 = [];
          for (let k = 0; k < 5; k++) {
            t1.push(await cliAsync(["test-routes", "--policy", one.policyFile, "--json", "--concurrency", concurrency]));
            t20.push(await cliAsync(["test-routes", "--policy", twenty.policyFile, "--json", "--concurrency", concurrency]));
          }
          report("test-routes", `test-routes, 20 routes, 300 ms, --concurrency ${concurrency}`, median(t20), "test-routes, 1 route", median(t1), {
            text: "< 2×",
            ok: (r) => r < 2,
          });
        }
      }
    } finally {
      for (const g of gateways) await cliAsync(["stop", "--policy", g.policyFile, "--runtime", "process"], { allowFail: true });
      backend.server.close();
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ nodeBaseline, results }, null, 2));
