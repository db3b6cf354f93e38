/**
 * The one lock implementation: a lock file created with O_EXCL holding its owner (pid, host, boot id, process start
 * time). A lock whose owner is dead (killed, from before a reboot, a reused pid) is broken; an empty or torn one
 * only once it is older than a few seconds (its writer may be between create and write). A live holder is waited
 * for up to `waitMs` (default: not at all), then reported as an OperationError with `code`.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { OperationError } from "../lib/errors.js";


interface LockInfo {
  pid: number;
  host: string;
  bootId?: string;
  /** process start time in clock ticks since boot (Linux), to tell a reused pid from the lock's owner */
  startTicks?: string;
  createdAt: string;
}

async function readProc(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, "utf8")).trim();
  } catch {
    return undefined;
  }
}

async function startTicksOf(pid: number): Promise<string | undefined> {
  const stat = await readProc(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // field 22; the command name (field 2) may contain spaces, so count from the last ')'
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return rest[19];
}

async function isAlive(info: LockInfo): Promise<boolean> {
  if (info.host !== hostname()) return true; // cannot tell: treat as held
  const bootId = await readProc("/proc/sys/kernel/random/boot_id");
  if (bootId && info.bootId && bootId !== info.bootId) return false; // written before a reboot
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  if (info.startTicks) {
    const ticks = await startTicksOf(info.pid);
    if (ticks && ticks !== info.startTicks) return false; // the pid was reused
  }
  return true;
}

export interface HeldLock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** error code when the lock is held */
  code: string;
  /** the sentence saying what was not done because the lock is held */
  busy: string;
  /** wait this long for a live holder (default 0: report at once) */
  waitMs?: number;
  onWait?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function acquireLockFile(lock: string, options: LockOptions): Promise<HeldLock> {
  await mkdir(dirname(lock), { recursive: true });
  const info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    ...(await readProc("/proc/sys/kernel/random/boot_id").then((b) => (b ? { bootId: b } : {}))),
    ...(await startTicksOf(process.pid).then((t) => (t ? { startTicks: t } : {}))),
    createdAt: new Date().toISOString(),
  };
  const until = Date.now() + (options.waitMs ?? 0);
  let announced = false;
  const busy = (held: LockInfo | undefined, hint: string): OperationError =>
    new OperationError(held ? options.busy.replace("another gatewayctl", `another gatewayctl (pid ${held.pid}, since ${held.createdAt})`) : options.busy, { code: options.code, hint });
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(lock, "wx", 0o644);
      try {
        await fh.writeFile(`${JSON.stringify(info)}\n`);
      } finally {
        await fh.close();
      }
      return { release: () => rm(lock, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let held: LockInfo | undefined;
    try {
      held = JSON.parse(await readFile(lock, "utf8")) as LockInfo;
    } catch {
      // torn or vanished: a writer died between create and write, or it was just released
      held = undefined;
    }
    const age = await stat(lock).then(
      (st) => Date.now() - st.mtimeMs,
      () => 0,
    );
    const live = held ? await isAlive(held) : age < 10_000;
    if (live) {
      if (Date.now() < until) {
        if (!announced) options.onWait?.(`waiting for another gatewayctl${held ? ` (pid ${held.pid})` : ""} that holds ${lock}`);
        announced = true;
        await sleep(200);
        continue;
      }
      throw busy(held, `wait for it to finish; if no gatewayctl is running, remove ${lock}`);
    }
    if (attempt > 50) throw busy(undefined, "another gatewayctl keeps taking it; wait, then run the command again");
    // break the stale lock: move it aside (only one breaker wins the rename), then check we moved the stale one
    const aside = `${lock}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      await rename(lock, aside);
    } catch {
      continue;
    }
    let moved: LockInfo | undefined;
    try {
      moved = JSON.parse(await readFile(aside, "utf8")) as LockInfo;
    } catch {
      moved = undefined;
    }
    if (moved && held && (moved.pid !== held.pid || moved.createdAt !== held.createdAt)) {
      // we raced another breaker and moved its fresh lock: put it back and report contention
      await rename(aside, lock).catch(() => undefined);
      throw busy(undefined, "wait for it to finish, then run the command again");
    }
    await rm(aside, { force: true });
  }
}
