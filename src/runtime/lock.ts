/**
 * The one lock implementation: a lock file holding its owner (pid, host, boot id, process start time), written to a
 * private temporary file first and then linked into place (link(2) fails if the lock exists), so a lock is never
 * seen empty: an empty or torn lock (a full disk, a killed writer of an older gatewayctl) is broken at once, as is
 * one whose owner is dead (killed, from before a reboot, a reused pid). A live holder is waited for up to `waitMs`
 * (default: not at all), then reported as an OperationError with `code`. When the lock cannot be written (a full
 * disk) nothing is left behind and the error is thrown as it is (its errno code intact for the caller).
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, readdir, rename, rm, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
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
  await removeDeadTemporaries(lock);
  for (let attempt = 0; ; attempt++) {
    if (await createLock(lock, `${JSON.stringify(info)}\n`)) return { release: () => rm(lock, { force: true }) };
    let held: LockInfo | undefined;
    try {
      held = JSON.parse(await readFile(lock, "utf8")) as LockInfo;
    } catch {
      // empty or torn (never written whole: a full disk, an older gatewayctl killed mid-write), or just released
      held = undefined;
    }
    const live = held ? await isAlive(held) : false;
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
    if (moved && (!held || moved.pid !== held.pid || moved.createdAt !== held.createdAt)) {
      // we raced another breaker and moved its fresh lock: put it back and report contention
      await rename(aside, lock).catch(() => undefined);
      throw busy(undefined, "wait for it to finish, then run the command again");
    }
    await rm(aside, { force: true });
  }
}

const TEMP_SUFFIX = ".tmp";

/** `<lock>.<pid>.<random>.tmp`: where a lock's content is written before it is linked into place. */
function temporaryName(lock: string): string {
  return `${lock}.${process.pid}.${randomBytes(4).toString("hex")}${TEMP_SUFFIX}`;
}

/**
 * Create the lock with its whole content, or return false when it exists. The content goes into a temporary file
 * first, which is then hard-linked as the lock: the lock appears with its content or not at all. A file system
 * without hard links gets an exclusive create and a write (and a write that fails removes what it created).
 */
async function createLock(lock: string, content: string): Promise<boolean> {
  const tmp = temporaryName(lock);
  try {
    const fh = await open(tmp, "wx", 0o644);
    try {
      await fh.writeFile(content);
    } finally {
      await fh.close();
    }
    try {
      await link(tmp, lock);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST") return false;
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw err;
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  let fh;
  try {
    fh = await open(lock, "wx", 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    await fh.writeFile(content);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(lock, { force: true });
    throw err;
  }
  await fh.close();
  return true;
}

/** Temporaries of lock writers that died between writing and linking (their pid is gone). */
async function removeDeadTemporaries(lock: string): Promise<void> {
  const prefix = `${basename(lock)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(lock));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue;
    const pid = Number(name.slice(prefix.length).split(".")[0]);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code !== "ESRCH";
    }
    if (!alive) await unlink(join(dirname(lock), name)).catch(() => undefined);
  }
}

