/**
 * The process runtime: LiteLLM runs as a local, detached process (its own process group) from the runtime
 * directory, with a minimal environment plus the resolved secrets. What runs is recorded in
 * `<stateDir>/process.json` (no secrets); its output is appended to `<stateDir>/gateway.log`.
 */
import { constants } from "node:fs";
import { access, appendFile, chmod, mkdir, open, readFile, realpath, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { OperationError } from "../lib/errors.js";
import { redact } from "../lib/output.js";
import { packageRoot } from "../lib/package-root.js";
import { gatewayEnvName } from "../artifact/front-door.js";
import { gatewayBaseUrl, GATEWAY_ENV } from "../artifact/gateway.js";
import { LEDGER_DIR_ENV, LEDGER_DIR_NAME } from "../artifact/types.js";
import { judgeLitellmVersion } from "../lib/versions.js";
import { fetchLitellmVersion, probeHealth, waitForHealth, HealthWaitError } from "./health.js";
import { expandPath } from "./paths.js";
import { ensureStateDir, readDiskConfig, readState, removeState, writeState } from "./state.js";
import { pinGeneration, unpinGeneration } from "./sync-generations.js";
import type { GatewayRuntime, LogsRequest, RuntimeContext, RuntimeStatus, StartRequest, StartResult } from "./runtime.js";

export const PROCESS_STATE_FILE = "process.json";
export const GATEWAY_LOG_FILE = "gateway.log";
/** Lines of LiteLLM's log shown when it fails to start. */
export const LOG_TAIL_ON_FAILURE = 30;
export const STOP_GRACE_MS = 10_000;
/** Owner name of this runtime's pin in `D.state/pins/` (see sync-generations.ts). */
export const PIN_OWNER = "process";

/** What `process.json` records about the running gateway. Never a secret. */
export interface ProcessState {
  kind: "process";
  pid: number;
  port: number;
  bind: string;
  baseUrl: string;
  configHash: string;
  generation?: number;
  litellmVersion?: string;
  litellmBin: string;
  configPath: string;
  runtimeDir: string;
  logFile: string;
  startedAt: string;
  /** a gateway with `scale:`: every process gatewayctl started for it (pid above is the balancer's) */
  scaled?: { members: ProcessMember[] };
}

/** One process of a scaled-out gateway on this machine. */
export interface ProcessMember {
  role: "replica" | "balancer" | "redis";
  pid: number;
  host: string;
  port: number;
  /** text the process's command line contains (pids get reused) */
  marker: string;
  logFile: string;
}

/** Variables of the caller's environment the gateway inherits; everything else is left behind. */
const INHERITED_ENV = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "LANGUAGE",
  "LC_ALL",
  "LC_CTYPE",
  "TZ",
  "TMPDIR",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "REQUESTS_CA_BUNDLE",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
];
/** Variables LiteLLM honours as default API bases: never passed, whatever their source. */
export const DROPPED_ENV = ["OPENAI_API_BASE", "OPENAI_BASE_URL", "OLLAMA_API_BASE"];

/** The environment the gateway process gets: a few inherited variables, the fixed gateway switches, then the request's (secrets). */
export function gatewayEnv(extra: Record<string, string>, from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of INHERITED_ENV) {
    const v = from[k];
    if (v !== undefined) env[k] = v;
  }
  Object.assign(env, GATEWAY_ENV, extra);
  env.PYTHONUNBUFFERED = "1";
  // the runtime directory is a read-only generation: no __pycache__ for the guard module in it
  env.PYTHONDONTWRITEBYTECODE = "1";
  for (const k of DROPPED_ENV) delete env[k];
  return env;
}


async function isExecutable(file: string): Promise<boolean> {
  try {
    const s = await stat(file);
    if (!s.isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The project's own virtualenv (scripts/setup-litellm.sh), beside gatewayctl's package.json. */
export function projectLitellmBin(): string {
  return join(packageRoot(), ".venv-litellm", "bin", "litellm");
}

/** `--litellm-bin`, else the project's `.venv-litellm`, else `litellm` on PATH. */
export async function findLitellmBin(explicit?: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (explicit) {
    const file = expandPath(explicit);
    if (await isExecutable(file)) return file;
    throw new OperationError(`the litellm executable ${file} does not exist or is not executable`, {
      code: "LITELLM_NOT_FOUND",
      hint: "pass --litellm-bin the litellm of a virtualenv with litellm[proxy] installed, or run scripts/setup-litellm.sh and leave --litellm-bin out",
    });
  }
  const venv = projectLitellmBin();
  if (await isExecutable(venv)) return venv;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "litellm");
    if (await isExecutable(candidate)) return candidate;
  }
  throw new OperationError("no litellm executable found (not in the project's .venv-litellm, not on PATH)", {
    code: "LITELLM_NOT_FOUND",
    hint: "run scripts/setup-litellm.sh (installs the pinned LiteLLM into .venv-litellm), or pass --litellm-bin PATH",
  });
}

/** True while `pid` exists and is not a zombie. */
export async function isProcessAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT" || process.platform === "linux") return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True when `pid` is alive and is the LiteLLM gatewayctl started with `configPath` (pids get reused). */
async function isOurProcess(state: ProcessState): Promise<boolean> {
  if (!(await isProcessAlive(state.pid))) return false;
  try {
    const cmdline = (await readFile(`/proc/${state.pid}/cmdline`, "utf8")).split("\0");
    return cmdline.includes(state.configPath);
  } catch {
    // no /proc (not Linux): trust the pid
    return process.platform !== "linux";
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntilDead(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!(await isProcessAlive(pid))) return true;
    await sleep(100);
  }
  return !(await isProcessAlive(pid));
}

/** SIGTERM the process group, wait up to `graceMs`, then SIGKILL it. */
export async function terminateGroup(pid: number, graceMs = STOP_GRACE_MS): Promise<"terminated" | "killed"> {
  signalGroup(pid, "SIGTERM");
  if (await waitUntilDead(pid, graceMs)) return "terminated";
  signalGroup(pid, "SIGKILL");
  await waitUntilDead(pid, 5_000);
  return "killed";
}

/** Resolves with a message when `bind:port` cannot be listened on (in use, or not an address of this host). */
export async function portProblem(bind: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) => {
      resolve(err.code === "EADDRINUSE" ? "in use" : `not usable (${err.code ?? err.message})`);
    });
    server.listen({ host: bind, port, exclusive: true }, () => {
      server.close(() => resolve(undefined));
    });
  });
}

/** The last `n` lines of a file (read from its last 256 KiB), redacted; empty when the file cannot be read. */
export async function tailFile(file: string, n: number): Promise<string[]> {
  let text: string;
  try {
    const fh = await open(file, "r");
    try {
      const { size } = await fh.stat();
      const length = Math.min(size, 256 * 1024);
      const buf = Buffer.alloc(length);
      await fh.read(buf, 0, length, size - length);
      text = buf.toString("utf8");
      // a partial first line when the file is longer than what was read
      if (length < size) text = text.slice(text.indexOf("\n") + 1);
    } finally {
      await fh.close();
    }
  } catch {
    return [];
  }
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.slice(-n).map((l) => redact(l));
}

function statePaths(ctx: RuntimeContext): { logFile: string; configPath: string } {
  return { logFile: join(ctx.stateDir, GATEWAY_LOG_FILE), configPath: join(ctx.runtimeDir, "config.yaml") };
}

async function runningState(ctx: RuntimeContext): Promise<{ state?: ProcessState; running: boolean }> {
  const state = await readState<ProcessState>(ctx.stateDir, PROCESS_STATE_FILE);
  if (!state) return { running: false };
  if (state.scaled) {
    const alive = await Promise.all(state.scaled.members.map((m) => isOurMember(m)));
    return { state, running: alive.some(Boolean) };
  }
  return { state, running: await isOurProcess(state) };
}

/** True when a member's pid is alive and still the process gatewayctl started (its command line has the marker). */
export async function isOurMember(m: Pick<ProcessMember, "pid" | "marker">): Promise<boolean> {
  if (!(await isProcessAlive(m.pid))) return false;
  try {
    return (await readFile(`/proc/${m.pid}/cmdline`, "utf8")).split("\0").join(" ").includes(m.marker);
  } catch {
    return process.platform !== "linux";
  }
}

async function launch(req: StartRequest, bin: string): Promise<ProcessState> {
  const { bind, port } = req.facts;
  const baseUrl = gatewayBaseUrl(bind, port);
  const { logFile } = statePaths(req);
  // the runtime path is a symlink that sync swaps: resolve it once, so LiteLLM, its working directory and the
  // guard (which reads route-map.json beside config.yaml) all see one generation even if a sync lands meanwhile
  const generationDir = await realpath(req.runtimeDir);
  const configPath = join(generationDir, "config.yaml");
  const progress = req.onProgress ?? (() => undefined);

  const problem = await portProblem(bind, port);
  if (problem) {
    throw new OperationError(`port ${port} on ${bind} is ${problem}: another program is listening there, not a gateway started by gatewayctl`, {
      code: "PORT_IN_USE",
      hint: `stop the program using ${bind}:${port} (ss -ltnp 'sport = :${port}' shows it), or set gateway.port in the policy`,
    });
  }

  await ensureStateDir(req.stateDir);
  // the request ledger (gatewayctl_ledger.py) appends here; it outlives every restart and sync
  const ledgerDir = join(req.stateDir, LEDGER_DIR_NAME);
  await mkdir(ledgerDir, { recursive: true, mode: 0o700 });
  await appendFile(logFile, `--- gatewayctl: starting ${bin} --config ${configPath} --host ${bind} --port ${port} at ${new Date().toISOString()}\n`, { mode: 0o600 });
  await chmod(logFile, 0o600);
  const log = await open(logFile, "a", 0o600);

  // node's spawn (not execa): the child must inherit the log's file descriptor directly and outlive gatewayctl
  const { spawn } = await import("node:child_process");
  const child = spawn(bin, ["--config", configPath, "--host", bind, "--port", String(port)], {
    cwd: generationDir,
    env: gatewayEnv({ ...req.env, [LEDGER_DIR_ENV]: ledgerDir }),
    detached: true,
    stdio: ["ignore", log.fd, log.fd],
  });
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = code !== null ? `LiteLLM exited with code ${code} before it was ready` : `LiteLLM was killed (${signal ?? "signal"}) before it was ready`;
  });
  child.once("error", (err: NodeJS.ErrnoException) => {
    exited = `LiteLLM could not be run (${err.code ?? err.message})`;
  });
  await log.close();
  const pid = child.pid;
  if (pid === undefined) {
    throw new OperationError(`could not run ${bin}`, { code: "LITELLM_SPAWN_FAILED", hint: "check that the file is a litellm executable (scripts/setup-litellm.sh installs one)" });
  }
  const state: ProcessState = {
    kind: "process",
    pid,
    port,
    bind,
    baseUrl,
    configHash: req.configHash,
    ...(req.generation !== undefined ? { generation: req.generation } : {}),
    litellmBin: bin,
    configPath,
    runtimeDir: req.runtimeDir,
    logFile,
    startedAt: new Date().toISOString(),
  };
  // recorded before waiting, so `stop` finds a gateway whose start was interrupted; the generation it runs
  // from (its working directory) is pinned so sync's retention never deletes it
  await writeState(req.stateDir, PROCESS_STATE_FILE, state);
  if (req.generation !== undefined) await pinGeneration(req.runtimeDir, PIN_OWNER, req.generation);
  progress(`started LiteLLM (pid ${pid}), log ${logFile}`);

  // Ctrl-C while waiting stops the half-started gateway instead of leaving it behind
  let interrupted: string | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = `start interrupted by ${signal}: stopped LiteLLM again`;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const health = await waitForHealth({ baseUrl, timeoutMs: req.timeoutMs, onProgress: progress, checkAborted: () => interrupted ?? exited });
    const masterKey = req.env[gatewayEnvName(req.facts.masterKeySecret)];
    const version = await fetchLitellmVersion(baseUrl, masterKey, health.readinessBody);
    const verdict = version ? judgeLitellmVersion(version, req.facts.litellmVersion) : { warnings: ["could not read the LiteLLM version from /health/readiness/details"] };
    if (verdict.refuse) {
      await terminateGroup(pid, 3_000);
      await removeState(req.stateDir, PROCESS_STATE_FILE);
      await unpinGeneration(req.runtimeDir, PIN_OWNER);
      throw new OperationError(`${verdict.refuse}: stopped it again (${bin})`, {
        code: "LITELLM_FORBIDDEN_VERSION",
        hint: "install the pinned release with scripts/setup-litellm.sh, or pass --litellm-bin with a safe one",
      });
    }
    for (const w of verdict.warnings) progress(`warning: ${w}`);
    if (version) state.litellmVersion = version;
    await writeState(req.stateDir, PROCESS_STATE_FILE, state);
    child.unref();
    return state;
  } catch (err) {
    if (!(err instanceof HealthWaitError)) throw err;
    await terminateGroup(pid, 3_000);
    await removeState(req.stateDir, PROCESS_STATE_FILE);
    await unpinGeneration(req.runtimeDir, PIN_OWNER);
    const tail = await tailFile(logFile, LOG_TAIL_ON_FAILURE);
    throw new OperationError(
      `${err.message}; last ${tail.length} lines of ${logFile}:\n${tail.map((l) => `  | ${l}`).join("\n")}`,
      {
        code: err.code,
        hint:
          err.reason === "timeout"
            ? "LiteLLM may need longer on a slow machine (--timeout SEC); otherwise the log lines above say what it is waiting for"
            : interrupted
              ? "run gatewayctl start again to start it"
              : "the log lines above say why LiteLLM stopped; fix the runtime config or the policy, then run gatewayctl start again",
      },
    );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export function createProcessRuntime(): GatewayRuntime {
  return {
    kind: "process",

    async start(req: StartRequest): Promise<StartResult> {
      const progress = req.onProgress ?? (() => undefined);
      const { state, running } = await runningState(req);
      if (req.facts.scale || state?.scaled) {
        const { startScaled } = await import("./process-replicas.js");
        return startScaled(req, state, running);
      }
      let action: StartResult["action"] = "started";
      if (state && running) {
        const same = state.configHash === req.configHash && state.port === req.facts.port && state.bind === req.facts.bind;
        if (same) {
          const health = await probeHealth(state.baseUrl);
          if (health.liveliness && health.readiness) {
            return { action: "unchanged", baseUrl: state.baseUrl, id: String(state.pid), configHash: state.configHash };
          }
          progress(`the running gateway (pid ${state.pid}) is not healthy: restarting it`);
        } else if (state.configHash !== req.configHash) {
          progress(`configuration changed (${state.configHash.slice(0, 12)} -> ${req.configHash.slice(0, 12)}): restarting the gateway (pid ${state.pid})`);
        } else {
          progress(`address changed (${state.bind}:${state.port} -> ${req.facts.bind}:${req.facts.port}): restarting the gateway (pid ${state.pid})`);
        }
        await terminateGroup(state.pid);
        await removeState(req.stateDir, PROCESS_STATE_FILE);
        action = "recreated";
      } else if (state) {
        await removeState(req.stateDir, PROCESS_STATE_FILE);
      }
      const bin = await findLitellmBin(req.litellmBin);
      const started = await launch(req, bin);
      return { action, baseUrl: started.baseUrl, id: String(started.pid), configHash: started.configHash };
    },

    async stop(ctx: RuntimeContext): Promise<{ stopped: boolean; id?: string }> {
      const { state, running } = await runningState(ctx);
      if (!state) return { stopped: false };
      if (state.scaled) {
        const { stopScaled } = await import("./process-replicas.js");
        return stopScaled(ctx, state, running);
      }
      if (running) {
        ctx.onProgress?.(`stopping LiteLLM (pid ${state.pid})`);
        const how = await terminateGroup(state.pid);
        if (how === "killed") ctx.onProgress?.(`LiteLLM did not stop within ${STOP_GRACE_MS / 1000}s of SIGTERM: killed it`);
      }
      await removeState(ctx.stateDir, PROCESS_STATE_FILE);
      await unpinGeneration(ctx.runtimeDir, PIN_OWNER);
      return running ? { stopped: true, id: String(state.pid) } : { stopped: false };
    },

    async status(ctx: RuntimeContext): Promise<RuntimeStatus> {
      const { state, running } = await runningState(ctx);
      const disk = await readDiskConfig(ctx.runtimeDir);
      const base: RuntimeStatus = {
        kind: "process",
        state: "stopped",
        baseUrl: state?.baseUrl ?? gatewayBaseUrl(ctx.facts.bind, ctx.facts.port),
        ...(disk ? { diskConfigHash: disk.hash } : {}),
        ...(disk?.generation !== undefined ? { diskGeneration: disk.generation } : {}),
      };
      if (!state) return base;
      if (state.scaled) {
        const { statusScaled } = await import("./process-replicas.js");
        return statusScaled(base, state, running);
      }
      // a state file whose process is gone: it died (killed, crashed) rather than being stopped by gatewayctl stop
      if (!running) return { ...base, state: "crashed", id: String(state.pid), runningConfigHash: state.configHash, startedAt: state.startedAt };
      const health = await probeHealth(state.baseUrl);
      return {
        ...base,
        state: health.liveliness && health.readiness ? "running" : health.liveliness ? "starting" : "unhealthy",
        id: String(state.pid),
        health: { liveliness: health.liveliness, readiness: health.readiness },
        ...(state.litellmVersion ? { litellmVersion: state.litellmVersion } : {}),
        runningConfigHash: state.configHash,
        ...(state.generation !== undefined ? { runningGeneration: state.generation } : {}),
        startedAt: state.startedAt,
      };
    },

    async logs(req: LogsRequest): Promise<void> {
      const scaledState = await readState<ProcessState>(req.stateDir, PROCESS_STATE_FILE).catch(() => undefined);
      if (scaledState?.scaled) {
        const { logsScaled } = await import("./process-replicas.js");
        return logsScaled(req, scaledState);
      }
      const logFile = join(req.stateDir, GATEWAY_LOG_FILE);
      let size: number;
      try {
        size = (await stat(logFile)).size;
      } catch {
        throw new OperationError(`no gateway log at ${logFile}`, { code: "LOG_MISSING", hint: "the process runtime writes it when gatewayctl start runs LiteLLM" });
      }
      const text = await readFile(logFile, "utf8");
      let lines = text.split("\n");
      if (lines.at(-1) === "") lines.pop();
      if (req.tail !== undefined) lines = req.tail === 0 ? [] : lines.slice(-req.tail);
      if (lines.length) req.write(`${lines.join("\n")}\n`);
      if (!req.follow) return;
      let offset = Buffer.byteLength(text);
      if (offset > size) size = offset;
      let pending = "";
      const signal = req.signal;
      while (!signal?.aborted) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, 250);
          signal?.addEventListener("abort", () => {
            clearTimeout(t);
            r();
          }, { once: true });
        });
        let now: number;
        try {
          now = (await stat(logFile)).size;
        } catch {
          continue;
        }
        if (now < offset) offset = 0; // truncated or replaced
        if (now === offset) continue;
        const fh = await open(logFile, "r");
        try {
          const buf = Buffer.alloc(now - offset);
          const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
          offset += bytesRead;
          pending += buf.subarray(0, bytesRead).toString("utf8");
        } finally {
          await fh.close();
        }
        const cut = pending.lastIndexOf("\n");
        if (cut !== -1) {
          req.write(pending.slice(0, cut + 1));
          pending = pending.slice(cut + 1);
        }
      }
      if (pending) req.write(`${pending}\n`);
    },
  };
}
