/**
 * The process runtime with `scale:`: N LiteLLM processes on consecutive loopback ports (the artifact's
 * scale.replicaPorts), Debian's HAProxy in front of them on gateway.bind:gateway.port with the one balancer
 * configuration (artifact/haproxy.ts), and a local redis-server on loopback when the policy bundles Redis. Every
 * process is detached in its own process group and recorded in process.json (no secrets); each has its own log in
 * the state directory.
 */
import { constants } from "node:fs";
import { access, appendFile, chmod, mkdir, open, readFile, realpath, stat, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { delimiter, join } from "node:path";
import { gatewayEnvName } from "../artifact/front-door.js";
import { LEDGER_DIR_ENV, LEDGER_DIR_NAME } from "../artifact/types.js";
import { gatewayBaseUrl } from "../artifact/gateway.js";
import { HAPROXY_CONFIG_FILE, haproxyConfig } from "../artifact/haproxy.js";
import type { ScaleFacts } from "../artifact/types.js";
import { OperationError } from "../lib/errors.js";
import { judgeLitellmVersion } from "../lib/versions.js";
import { fetchLitellmVersion, HealthWaitError, probeHealth, waitForHealth } from "./health.js";
import {
  findLitellmBin,
  gatewayEnv,
  isOurMember,
  PIN_OWNER,
  portProblem,
  PROCESS_STATE_FILE,
  tailFile,
  terminateGroup,
  LOG_TAIL_ON_FAILURE,
  type ProcessMember,
  type ProcessState,
} from "./process-runtime.js";
import type { LogsRequest, RuntimeContext, RuntimeStatus, StartRequest, StartResult } from "./runtime.js";
import { ensureStateDir, removeState, writeState } from "./state.js";
import { pinGeneration, unpinGeneration } from "./sync-generations.js";

/** Replicas listen on loopback only: nothing but the balancer reaches them. */
export const REPLICA_HOST = "127.0.0.1";

/** A Debian executable on PATH or in the usual sbin directories; a clear error naming the package otherwise. */
async function findSystemBin(name: string, pkg: string): Promise<string> {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/bin", "/sbin", "/usr/local/sbin", "/usr/local/bin"];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  throw new OperationError(`${name} is not installed: a gateway with scale: on the process runtime needs it`, {
    code: "SCALE_PART_MISSING",
    hint: `apt-get install ${pkg} (Debian), or run the gateway with docker-compose`,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.setTimeout(500);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
    s.once("timeout", () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** A value for a double-quoted redis.conf string. */
function redisConfString(value: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new OperationError("the Redis password contains a line break or NUL", { code: "REDIS_PASSWORD_INVALID", hint: "use a password of printable characters, for example $(openssl rand -hex 24)" });
  }
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

interface Spawned {
  member: ProcessMember;
  exited: () => string | undefined;
  unref: () => void;
}

async function spawnMember(
  role: ProcessMember["role"],
  bin: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string>; logFile: string; host: string; port: number; marker: string; stdin?: string },
): Promise<Spawned> {
  await appendFile(opts.logFile, `--- gatewayctl: starting ${role} ${bin} ${args.join(" ")} at ${new Date().toISOString()}\n`, { mode: 0o600 });
  await chmod(opts.logFile, 0o600);
  const log = await open(opts.logFile, "a", 0o600);
  const { spawn } = await import("node:child_process");
  const child = spawn(bin, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: [opts.stdin !== undefined ? "pipe" : "ignore", log.fd, log.fd] });
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = code !== null ? `${role} on port ${opts.port} exited with code ${code}` : `${role} on port ${opts.port} was killed (${signal ?? "signal"})`;
  });
  child.once("error", (err: NodeJS.ErrnoException) => {
    exited = `${role} could not be run (${err.code ?? err.message})`;
  });
  if (opts.stdin !== undefined) {
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(opts.stdin);
  }
  await log.close();
  if (child.pid === undefined) throw new OperationError(`could not run ${bin}`, { code: "SCALE_SPAWN_FAILED", hint: `check that ${bin} runs` });
  return {
    member: { role, pid: child.pid, host: opts.host, port: opts.port, marker: opts.marker, logFile: opts.logFile },
    exited: () => exited,
    unref: () => child.unref(),
  };
}

async function stopMembers(members: ProcessMember[], graceMs = 10_000): Promise<void> {
  // the balancer first (no new requests), then the replicas, then the state they share
  const order: ProcessMember["role"][] = ["balancer", "replica", "redis"];
  for (const role of order) {
    await Promise.all(
      members.filter((m) => m.role === role).map(async (m) => {
        if (await isOurMember(m)) await terminateGroup(m.pid, graceMs);
      }),
    );
  }
}

function balancerConfig(scale: ScaleFacts, bind: string, port: number): string {
  return haproxyConfig(
    scale,
    { bind, port },
    { kind: "static", servers: scale.replicaPorts.map((p) => ({ host: REPLICA_HOST, port: p })) },
    "# Written by gatewayctl start for the process runtime's replicas. Do not edit.\n",
  );
}

export async function startScaled(req: StartRequest, state: ProcessState | undefined, running: boolean): Promise<StartResult> {
  const progress = req.onProgress ?? (() => undefined);
  const scale = req.facts.scale;
  let action: StartResult["action"] = "started";
  if (state && running) {
    const members = state.scaled?.members ?? [];
    const same = scale !== undefined && state.configHash === req.configHash && state.port === req.facts.port && state.bind === req.facts.bind;
    if (same) {
      const alive = await Promise.all(members.map((m) => isOurMember(m)));
      const replicasHealthy = await Promise.all(
        members.filter((m) => m.role === "replica").map(async (m) => {
          const h = await probeHealth(gatewayBaseUrl(m.host, m.port));
          return h.liveliness && h.readiness;
        }),
      );
      if (alive.every(Boolean) && replicasHealthy.every(Boolean) && members.filter((m) => m.role === "replica").length === scale.replicas) {
        return { action: "unchanged", baseUrl: state.baseUrl, id: String(state.pid), configHash: state.configHash };
      }
      progress("a process of the running gateway is gone or unhealthy: restarting all of them");
    } else {
      progress(`configuration changed (${state.configHash.slice(0, 12)} -> ${req.configHash.slice(0, 12)}): restarting the gateway`);
    }
    await stopMembers(members.length ? members : [{ role: "replica", pid: state.pid, host: state.bind, port: state.port, marker: state.configPath, logFile: state.logFile }]);
    await removeState(req.stateDir, PROCESS_STATE_FILE);
    action = "recreated";
  } else if (state) {
    if (state.scaled) await stopMembers(state.scaled.members);
    await removeState(req.stateDir, PROCESS_STATE_FILE);
  }
  if (!scale) {
    // the build no longer scales out: the single-process runtime takes over from a clean state
    const { createProcessRuntime } = await import("./process-runtime.js");
    const r = await createProcessRuntime().start(req);
    return { ...r, action: r.action === "started" ? action : r.action };
  }

  const { bind, port } = req.facts;
  const baseUrl = gatewayBaseUrl(bind, port);
  const redis = scale.redis;
  const haproxyBin = await findSystemBin("haproxy", "haproxy");
  const redisBin = redis?.bundled ? await findSystemBin("redis-server", "redis-server") : undefined;
  const litellmBin = await findLitellmBin(req.litellmBin);

  const wanted: Array<[string, number, string]> = [[bind, port, "the balancer"], ...scale.replicaPorts.map((p, i): [string, number, string] => [REPLICA_HOST, p, `replica ${i + 1}`])];
  if (redis?.bundled && redis.port !== undefined) wanted.push([REPLICA_HOST, redis.port, "the bundled Redis"]);
  for (const [host, p, what] of wanted) {
    const problem = await portProblem(host, p);
    if (problem) {
      throw new OperationError(`port ${p} on ${host} (${what}) is ${problem}: another program is listening there, not a gateway started by gatewayctl`, {
        code: "PORT_IN_USE",
        hint: `stop the program using ${host}:${p} (ss -ltnp 'sport = :${p}' shows it), or set gateway.port in the policy (replicas use the ports after it)`,
      });
    }
  }

  await ensureStateDir(req.stateDir);
  const generationDir = await realpath(req.runtimeDir);
  const configPath = join(generationDir, "config.yaml");
  const started: Spawned[] = [];
  let litellmVersion: string | undefined;
  const record = async (): Promise<void> => {
    const balancer = started.find((s) => s.member.role === "balancer");
    const st: ProcessState = {
      kind: "process",
      pid: balancer?.member.pid ?? started[0]?.member.pid ?? 0,
      port,
      bind,
      baseUrl,
      configHash: req.configHash,
      ...(req.generation !== undefined ? { generation: req.generation } : {}),
      litellmBin,
      configPath,
      runtimeDir: req.runtimeDir,
      logFile: join(req.stateDir, "gateway.log"),
      startedAt: new Date().toISOString(),
      ...(litellmVersion ? { litellmVersion } : {}),
      scaled: { members: started.map((s) => s.member) },
    };
    await writeState(req.stateDir, PROCESS_STATE_FILE, st);
  };

  let interrupted: string | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = `start interrupted by ${signal}: stopped the gateway's processes again`;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const fail = async (err: unknown, logFile?: string): Promise<never> => {
    await stopMembers(started.map((s) => s.member), 3_000);
    await removeState(req.stateDir, PROCESS_STATE_FILE);
    await unpinGeneration(req.runtimeDir, PIN_OWNER);
    if (!(err instanceof HealthWaitError) || !logFile) throw err;
    const tail = await tailFile(logFile, LOG_TAIL_ON_FAILURE);
    throw new OperationError(`${err.message}; last ${tail.length} lines of ${logFile}:\n${tail.map((l) => `  | ${l}`).join("\n")}`, {
      code: err.code,
      hint: err.reason === "timeout" ? "a slow machine may need longer (--timeout SEC); otherwise the log lines above say what it waits for" : "the log lines above say why it stopped; fix it, then run gatewayctl start again",
    });
  };

  try {
    if (req.generation !== undefined) await pinGeneration(req.runtimeDir, PIN_OWNER, req.generation);
    // 1. the shared state, if gatewayctl runs it: loopback only, password only, nothing persisted
    if (redis?.bundled && redisBin && redis.port !== undefined) {
      const password = req.env[redis.passwordEnv];
      if (!password) throw new OperationError(`the Redis password ${redis.passwordSecret} is empty`, { code: "REDIS_PASSWORD_INVALID", hint: `set ${redis.passwordSecret} with the secrets provider` });
      const conf = [`bind ${REPLICA_HOST}`, `port ${redis.port}`, `requirepass ${redisConfString(password)}`, 'save ""', "appendonly no", "protected-mode yes", "daemonize no", `dir ${req.stateDir}`, ""].join("\n");
      const logFile = join(req.stateDir, "redis.log");
      // the configuration (with the password) on stdin: never on a command line or in a file
      const r = await spawnMember("redis", redisBin, ["-"], { cwd: req.stateDir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, logFile, host: REPLICA_HOST, port: redis.port, marker: "redis-server", stdin: conf });
      started.push(r);
      await record();
      const until = Date.now() + 15_000;
      while (!(await tcpOpen(REPLICA_HOST, redis.port))) {
        const why = r.exited() ?? interrupted;
        if (why || Date.now() > until) await fail(new HealthWaitError(why ?? `redis-server did not listen on ${REPLICA_HOST}:${redis.port} within 15s`, why ? "aborted" : "timeout"), logFile);
        await sleep(100);
      }
      progress(`started redis-server (pid ${r.member.pid}) on ${REPLICA_HOST}:${redis.port}`);
    }

    // 2. the replicas, each with the same config (guard and front door included) and the same environment
    // one request ledger for the gateway: every replica appends its lines (one write each) to the same file
    const ledgerDir = join(req.stateDir, LEDGER_DIR_NAME);
    await mkdir(ledgerDir, { recursive: true, mode: 0o700 });
    const env = gatewayEnv({ ...req.env, [LEDGER_DIR_ENV]: ledgerDir });
    const replicas: Spawned[] = [];
    for (const p of scale.replicaPorts) {
      const logFile = join(req.stateDir, `replica-${p}.log`);
      const r = await spawnMember("replica", litellmBin, ["--config", configPath, "--host", REPLICA_HOST, "--port", String(p)], { cwd: generationDir, env, logFile, host: REPLICA_HOST, port: p, marker: configPath });
      started.push(r);
      replicas.push(r);
    }
    await record();
    progress(`started ${replicas.length} LiteLLM replicas (pids ${replicas.map((r) => r.member.pid).join(", ")}) on ${REPLICA_HOST}:${scale.replicaPorts.join(", ")}`);
    await Promise.all(
      replicas.map(async (r) => {
        try {
          await waitForHealth({
            baseUrl: gatewayBaseUrl(REPLICA_HOST, r.member.port),
            timeoutMs: req.timeoutMs,
            checkAborted: () => interrupted ?? r.exited(),
            progressEverySeconds: 15,
            onProgress: (line) => progress(`replica ${r.member.port}: ${line.trim()}`),
          });
        } catch (err) {
          await fail(err, r.member.logFile);
        }
      }),
    );

    // 3. the balancer, published where the single gateway would be
    const cfgFile = join(req.stateDir, HAPROXY_CONFIG_FILE);
    await writeFile(cfgFile, balancerConfig(scale, bind, port), { mode: 0o644 });
    const hLog = join(req.stateDir, "haproxy.log");
    const h = await spawnMember("balancer", haproxyBin, ["-W", "-db", "-f", cfgFile], { cwd: req.stateDir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, logFile: hLog, host: bind, port, marker: cfgFile });
    started.push(h);
    await record();
    progress(`started haproxy (pid ${h.member.pid}) on ${bind}:${port}`);
    try {
      await waitForHealth({ baseUrl, timeoutMs: 30_000, checkAborted: () => interrupted ?? h.exited() });
    } catch (err) {
      await fail(err, hLog);
    }

    const masterKey = req.env[gatewayEnvName(req.facts.masterKeySecret)];
    const version = await fetchLitellmVersion(gatewayBaseUrl(REPLICA_HOST, scale.replicaPorts[0]!), masterKey);
    const verdict = version ? judgeLitellmVersion(version, req.facts.litellmVersion) : { warnings: ["could not read the LiteLLM version from /health/readiness/details"] };
    if (verdict.refuse) {
      await fail(new OperationError(`${verdict.refuse}: stopped the gateway again (${litellmBin})`, { code: "LITELLM_FORBIDDEN_VERSION", hint: "install the pinned release with scripts/setup-litellm.sh" }));
    }
    for (const w of verdict.warnings) progress(`warning: ${w}`);
    litellmVersion = version;
    await record();
    for (const s of started) s.unref();
    return { action, baseUrl, id: String(h.member.pid), configHash: req.configHash };
  } catch (err) {
    if (started.some((s) => s.exited() === undefined)) await stopMembers(started.map((s) => s.member), 3_000).catch(() => undefined);
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export async function stopScaled(ctx: RuntimeContext, state: ProcessState, running: boolean): Promise<{ stopped: boolean; id?: string }> {
  const members = state.scaled?.members ?? [];
  if (running) {
    ctx.onProgress?.(`stopping ${members.map((m) => `${m.role} (pid ${m.pid})`).join(", ")}`);
    await stopMembers(members);
  }
  await removeState(ctx.stateDir, PROCESS_STATE_FILE);
  await unpinGeneration(ctx.runtimeDir, PIN_OWNER);
  return running ? { stopped: true, id: String(state.pid) } : { stopped: false };
}

export async function statusScaled(base: RuntimeStatus, state: ProcessState, running: boolean): Promise<RuntimeStatus> {
  const members = await Promise.all(
    (state.scaled?.members ?? []).map(async (m) => {
      const alive = await isOurMember(m);
      const health = m.role === "redis" ? undefined : alive ? await probeHealth(gatewayBaseUrl(m.host, m.port)) : { liveliness: false, readiness: false };
      return {
        role: m.role,
        id: String(m.pid),
        address: `${m.host}:${m.port}`,
        state: alive ? ("running" as const) : ("crashed" as const),
        ...(health ? { health: { liveliness: health.liveliness, readiness: health.readiness } } : {}),
      };
    }),
  );
  const common = {
    ...base,
    id: String(state.pid),
    runningConfigHash: state.configHash,
    startedAt: state.startedAt,
    members,
    ...(state.generation !== undefined ? { runningGeneration: state.generation } : {}),
    ...(state.litellmVersion ? { litellmVersion: state.litellmVersion } : {}),
  };
  if (!running) return { ...common, state: "crashed" };
  const front = await probeHealth(state.baseUrl);
  const allUp = members.every((m) => m.state === "running" && (m.health === undefined || (m.health.liveliness && m.health.readiness)));
  return {
    ...common,
    state: front.liveliness && front.readiness ? (allUp ? "running" : "unhealthy") : front.liveliness ? "starting" : "unhealthy",
    health: { liveliness: front.liveliness, readiness: front.readiness },
  };
}

/**
 * The logs of a scaled-out gateway: every process's own log, each line prefixed with the process it came from
 * (`[replica 127.0.0.1:4101]`); `tail` applies to each log; `follow` polls them all.
 */
export async function logsScaled(req: LogsRequest, state: ProcessState): Promise<void> {
  const members = state.scaled?.members ?? [];
  const label = (m: ProcessMember): string => `[${m.role} ${m.host}:${m.port}] `;
  const offsets = new Map<string, number>();
  for (const m of members) {
    const text = await readFile(m.logFile, "utf8").catch(() => "");
    offsets.set(m.logFile, Buffer.byteLength(text));
    let lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    if (req.tail !== undefined) lines = req.tail === 0 ? [] : lines.slice(-req.tail);
    if (lines.length) req.write(`${lines.map((l) => label(m) + l).join("\n")}\n`);
  }
  if (!req.follow) return;
  const pending = new Map<string, string>();
  while (!req.signal?.aborted) {
    await new Promise<void>((r) => {
      const t = setTimeout(r, 250);
      req.signal?.addEventListener("abort", () => {
        clearTimeout(t);
        r();
      }, { once: true });
    });
    for (const m of members) {
      const size = await stat(m.logFile).then((st) => st.size, () => undefined);
      let offset = offsets.get(m.logFile) ?? 0;
      if (size === undefined || size === offset) continue;
      if (size < offset) offset = 0;
      const fh = await open(m.logFile, "r");
      try {
        const buf = Buffer.alloc(size - offset);
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        offsets.set(m.logFile, offset + bytesRead);
        const text = (pending.get(m.logFile) ?? "") + buf.subarray(0, bytesRead).toString("utf8");
        const cut = text.lastIndexOf("\n");
        if (cut !== -1) {
          req.write(`${text.slice(0, cut).split("\n").map((l) => label(m) + l).join("\n")}\n`);
          pending.set(m.logFile, text.slice(cut + 1));
        } else pending.set(m.logFile, text);
      } finally {
        await fh.close();
      }
    }
  }
}
