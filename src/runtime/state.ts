/**
 * State files of what is running (process pid, container id), shared by both runtimes. They live in the state
 * directory beside the runtime directory (runtimePaths(dir).stateDir), are readable only by their owner, and
 * never hold a secret value.
 */
import { createHash } from "node:crypto";
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { OperationError } from "../lib/errors.js";

/** Create the state directory (mode 0700) if needed and return its path. */
export async function ensureStateDir(stateDir: string): Promise<string> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  return stateDir;
}

/** Read `<stateDir>/<name>` as JSON; undefined when it does not exist. A corrupt file is an OperationError. */
export async function readState<T>(stateDir: string, name: string): Promise<T | undefined> {
  const file = join(stateDir, name);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new OperationError(`cannot read state file ${file}`, { code: "STATE_UNREADABLE", cause: err, hint: "check the permissions of the state directory" });
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new OperationError(`state file ${file} is not valid JSON`, {
      code: "STATE_CORRUPT",
      cause: err,
      hint: `remove ${file} after checking that no gateway started by gatewayctl is still running`,
    });
  }
}

/**
 * Write `<stateDir>/<name>` as JSON atomically: a temporary file with mode 0600 is written, fsynced and renamed
 * over the old one, so a reader sees either the old or the new content.
 */
export async function writeState(stateDir: string, name: string, value: unknown): Promise<string> {
  await ensureStateDir(stateDir);
  const file = join(stateDir, name);
  const tmp = join(stateDir, `.${name}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(tmp, "w", 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(tmp, 0o600);
  await rename(tmp, file);
  return file;
}

/** Remove `<stateDir>/<name>`; no error when it is already gone. */
export async function removeState(stateDir: string, name: string): Promise<void> {
  await rm(join(stateDir, name), { force: true });
}

async function hashTree(root: string): Promise<string> {
  const files: string[] = [];
  async function walk(rel: string): Promise<void> {
    const entries = await readdir(join(root, rel), { withFileTypes: true });
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) files.push(r);
    }
  }
  await walk("");
  files.sort();
  const h = createHash("sha256");
  for (const f of files) {
    const content = await readFile(join(root, f));
    h.update(f).update("\0").update(createHash("sha256").update(content).digest("hex")).update("\n");
  }
  return h.digest("hex");
}

/**
 * The configuration on disk in a runtime directory: the generation and manifest hash sync recorded, or, when
 * sync has not recorded one, a sha256 over every file's path and content. Undefined when there is no config.yaml.
 * Both runtimes compare the hash of what runs against this one.
 */
export async function readDiskConfig(runtimeDir: string): Promise<{ hash: string; generation?: number } | undefined> {
  try {
    const s = await stat(join(runtimeDir, "config.yaml"));
    if (!s.isFile()) return undefined;
  } catch {
    return undefined;
  }
  const { readRuntimeGeneration } = await import("./sync.js");
  const gen = await readRuntimeGeneration(runtimeDir);
  if (gen) return { hash: gen.hash, generation: gen.generation };
  return { hash: await hashTree(runtimeDir) };
}

/**
 * Run `fn` holding `<stateDir>/<name>` (the lock of lock.ts), so two `gatewayctl start` at once do not launch or
 * restart the gateway under each other; the second waits up to `waitMs` for the first.
 */
export async function withStateLock<T>(stateDir: string, name: string, waitMs: number, fn: () => Promise<T>, onWait?: (line: string) => void): Promise<T> {
  await ensureStateDir(stateDir);
  const { acquireLockFile } = await import("./lock.js");
  const lock = await acquireLockFile(join(stateDir, name), {
    code: "STATE_LOCKED",
    busy: "another gatewayctl is starting or stopping this gateway",
    waitMs,
    ...(onWait ? { onWait } : {}),
  });
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
