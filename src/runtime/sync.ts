/**
 * `gatewayctl sync` and `rollback`: copy the source of truth (a NAS path or a Git checkout) into a local runtime
 * directory, validate it, and swap it in atomically, keeping previous generations for rollback.
 * Layout and crash safety: sync-generations.ts. Reading a source that may hang: sync-source.ts.
 */
import { randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdir, open, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, parse, resolve, sep } from "node:path";
import { GatewayctlError, InputError, OperationError } from "../lib/errors.js";
import { GATEWAYCTL_VERSION } from "../lib/version.js";
import { INPUT_LIMITS, readTextWithin } from "../lib/read-limited.js";
import { BUILD_MANIFEST_FILE, CONFIG_FILE, ROUTE_MAP_FILE } from "../artifact/types.js";
import { buildManifestProblems } from "../artifact/build-manifest.js";
import { runtimePaths } from "./paths.js";
import {
  MANIFEST_NAME,
  acquireLock,
  cleanLeftovers,
  fsyncDir,
  generationName,
  listFiles,
  pruneGenerations,
  readGenerationState,
  readManifest,
  sha256FileSync,
  switchTo,
  treeHash,
  verifyGeneration,
  type Manifest,
  type ManifestFile,
} from "./sync-generations.js";
import { DestinationFullError, SourceReadError, SourceTimeoutError, copySource, scanSource, type CopiedFile, type SourceEntry } from "./sync-source.js";

export { MANIFEST_NAME, pinGeneration, unpinGeneration, verifyGeneration } from "./sync-generations.js";

export interface SyncOptions {
  from: string;
  to: string;
  dryRun?: boolean;
  /** previous generations kept (policy runtime.keep), default 5 */
  keep?: number;
  /** the source counts as hung after this long without progress (policy runtime.sourceTimeoutSeconds), default 15 s */
  timeoutMs?: number;
  onProgress?: (line: string) => void;
  /** force the source listing implementation (tests); default: find when it supports -printf, else Node */
  scanner?: "find" | "node";
}

export interface SyncReport {
  action: "synced" | "unchanged" | "dry-run";
  /** the generation now live (synced/unchanged), or the one that would be created / stays live (dry-run) */
  generation: number;
  previousGeneration?: number;
  added: string[];
  changed: string[];
  removed: string[];
  hash: string;
  source: string;
  runtimeDir: string;
  /** dry-run only: whether a sync would create a new generation */
  wouldChange?: boolean;
  /** generations deleted by the retention rule */
  pruned?: number[];
  /** one sentence for a person, e.g. "unchanged, still generation 3" */
  summary: string;
}

export interface RollbackReport {
  action: "rolled-back";
  generation: number;
  previousGeneration: number;
  hash: string;
  runtimeDir: string;
  summary: string;
}

const DEFAULT_KEEP = 5;
const DEFAULT_TIMEOUT_MS = 15_000;

function keepsRunning(current: number | undefined): string {
  return current === undefined
    ? "the runtime directory holds no generation yet, so there is nothing for the gateway to run"
    : `the gateway keeps running on generation ${current}`;
}

/** The generation a runtime directory holds now (from its manifest), or undefined. */
export async function readRuntimeGeneration(dir: string): Promise<{ generation: number; hash: string } | undefined> {
  const m = await readManifest(resolve(dir));
  return m ? { generation: m.generation, hash: m.hash } : undefined;
}

/** Wrap any failure to read the source into the message every caller shows. */
function sourceError(from: string, err: unknown, current: number | undefined): OperationError {
  const tail = keepsRunning(current);
  if (err instanceof SourceTimeoutError) {
    return new OperationError(`the source ${from} did not answer: ${err.message}; the runtime was not changed and ${tail}`, {
      code: "SOURCE_HUNG",
      cause: err,
      hint: "check the mount (NAS, NFS, SMB); raise runtime.sourceTimeoutSeconds if it is just slow",
    });
  }
  if (err instanceof SourceReadError && err.reason === "link-outside") {
    return new OperationError(`the source ${from} has a symbolic link out of it (${err.message}); nothing outside the source is copied, the runtime was not changed and ${tail}`, {
      code: "SOURCE_LINK_OUTSIDE",
      cause: err,
      hint: "sync follows a link only to a place inside the source: put the file itself there, or point the link inside the source",
    });
  }
  if (err instanceof SourceReadError) {
    const what =
      err.reason === "missing"
        ? "does not exist (not mounted?)"
        : err.reason === "empty"
          ? "is empty (not mounted?)"
          : err.reason === "not-a-directory"
            ? "is not a directory"
            : `cannot be read: ${err.message}`;
    return new OperationError(`the source ${from} ${what}; the runtime was not changed and ${tail}`, {
      code: err.reason === "missing" || err.reason === "empty" ? "SOURCE_MISSING" : "SOURCE_UNREADABLE",
      cause: err,
      hint: "mount the source (or pass --from DIR with a gatewayctl build output) and run gatewayctl sync again",
    });
  }
  return new OperationError(`reading the source ${from} failed; the runtime was not changed and ${tail}`, {
    code: "SOURCE_UNREADABLE",
    cause: err,
    hint: "check the source directory, then run gatewayctl sync again",
  });
}

/** How often sync reads a source that changes under it before it gives up and keeps the current generation. */
export const SNAPSHOT_ATTEMPTS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A failure to read the source: a file vanishing under the reader is retried; anything else is reported as it is. */
function retryableOr(err: unknown, from: string, current: number | undefined): unknown {
  if (err instanceof SourceReadError && err.reason === "changed") return err;
  if (err instanceof GatewayctlError || isDiskFull(err)) return err;
  return sourceError(from, err, current);
}

/**
 * Read the source as one build: `attempt` reads it once and says what keeps the copy from being one consistent
 * build; a source that changed under it is read again, up to SNAPSHOT_ATTEMPTS times, then refused.
 */
async function readConsistently<T>(
  from: string,
  current: number | undefined,
  progress: (line: string) => void,
  attempt: () => Promise<{ result: T; problems: string[]; discard?: () => Promise<void> }>,
): Promise<T> {
  let last: string[] = [];
  for (let n = 1; n <= SNAPSHOT_ATTEMPTS; n++) {
    if (n > 1) {
      progress(`the source changed while it was read (${last.slice(0, 2).join("; ")}); reading it again (attempt ${n} of ${SNAPSHOT_ATTEMPTS})`);
      await sleep(100 * (n - 1));
    }
    try {
      const r = await attempt();
      if (r.problems.length === 0) return r.result;
      last = r.problems;
      await r.discard?.();
    } catch (err) {
      if (err instanceof SourceReadError && err.reason === "changed") {
        last = [err.message];
        continue;
      }
      throw err;
    }
  }
  throw new OperationError(
    `the source ${from} kept changing while it was read (${SNAPSHOT_ATTEMPTS} attempts; the last: ${last.slice(0, 3).join("; ")}); the runtime was not changed and ${keepsRunning(current)}`,
    {
      code: "SOURCE_CHANGING",
      hint: "wait until whatever writes the source (a build, a git pull, a NAS sync) has finished, then run gatewayctl sync again",
    },
  );
}

/** Files whose listed size or time differ between two listings of the source (appeared, vanished, changed). */
function listingChanges(first: readonly SourceEntry[], second: readonly SourceEntry[]): string[] {
  const files = (l: readonly SourceEntry[]) => l.filter((e) => e.type !== "d" && e.path !== MANIFEST_NAME);
  const before = new Map(files(first).map((e) => [e.path, e]));
  const changes: string[] = [];
  for (const e of files(second)) {
    const b = before.get(e.path);
    if (!b) changes.push(`${e.path} appeared`);
    else if (b.size !== e.size || b.mtimeNs !== e.mtimeNs) changes.push(`${e.path} changed`);
    before.delete(e.path);
  }
  for (const path of before.keys()) changes.push(`${path} vanished`);
  return changes;
}

/**
 * Why the files read are not one build (empty: they are), for readConsistently to read again. With a build manifest
 * every file it lists must have its hash; when one does not while the source holds still, the source itself is not
 * one build (edited after the build, a partial copy) and is refused at once. Without a manifest (an older
 * gatewayctl's build, a hand-made source) a second pass must find the same files, sizes, times and contents.
 */
async function snapshotProblems(
  from: string,
  entries: readonly SourceEntry[],
  copied: readonly CopiedFile[],
  readCopied: (name: string) => Promise<string>,
  options: { timeoutMs: number; scanner?: "find" | "node"; current: number | undefined },
): Promise<string[]> {
  const scan = { timeoutMs: options.timeoutMs, ...(options.scanner ? { scanner: options.scanner } : {}) };
  if (copied.some((f) => f.path === BUILD_MANIFEST_FILE)) {
    const problems = buildManifestProblems(await readCopied(BUILD_MANIFEST_FILE), copied);
    if (problems.length === 0) return [];
    const changes = listingChanges(entries, await scanSource(from, scan));
    if (changes.length > 0) return changes;
    throw new OperationError(
      `the source ${from} is not one gatewayctl build: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}; it was edited after the build or copied in part; the runtime was not changed and ${keepsRunning(options.current)}`,
      { code: "SOURCE_INVALID", hint: "rebuild it with gatewayctl build (never hand-edit a build output), or copy the whole build again, then sync" },
    );
  }
  const changes = listingChanges(entries, await scanSource(from, scan));
  if (changes.length > 0) return changes;
  const hashes = new Map(copied.map((f) => [f.path, f.sha256]));
  const problems: string[] = [];
  for (const f of await copySource(from, null, [...hashes.keys()], { timeoutMs: options.timeoutMs })) {
    if (hashes.get(f.path) !== f.sha256) problems.push(`${f.path} changed while it was read`);
  }
  return problems;
}

/**
 * Give the staged directories the source's permission bits (a 0700 directory stays 0700), keeping the owner's rwx
 * so gatewayctl can remove a generation it prunes. Directories holding no file are not staged.
 */
async function keepDirectoryModes(staging: string, entries: readonly SourceEntry[]): Promise<void> {
  const { chmod } = await import("node:fs/promises");
  const dirs = entries.filter((e) => e.type === "d").sort((a, b) => b.path.length - a.path.length);
  for (const d of dirs) {
    await chmod(d.path ? join(staging, d.path) : staging, (d.mode & 0o777) | 0o700).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
  }
}

/** What a new generation takes on the runtime's disk: bytes (whole blocks per file) and files. */
interface Need {
  bytes: number;
  files: number;
}

function isDiskFull(err: unknown): boolean {
  if (err instanceof DestinationFullError) return true;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}

function formatBytes(n: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Free space and files on the file system holding `dir` (for an unprivileged user), or undefined. */
async function freeSpace(dir: string): Promise<{ bytes: number; files: number; blockSize: number } | undefined> {
  const { statfs } = await import("node:fs/promises");
  for (let d = dir; ; d = dirname(d)) {
    try {
      const s = await statfs(d);
      return { bytes: s.bavail * s.bsize, files: s.ffree, blockSize: s.bsize };
    } catch {
      if (d === dirname(d)) return undefined;
    }
  }
}

/** The new generation's need on the disk holding `generations`: files rounded up to whole blocks, directories, manifest. */
async function spaceNeeded(generations: string, entries: readonly SourceEntry[]): Promise<{ need: Need; free: Awaited<ReturnType<typeof freeSpace>> }> {
  const free = await freeSpace(generations);
  const block = free?.blockSize ?? 4096;
  const files = entries.filter((e) => e.type !== "d");
  const dirs = entries.length - files.length;
  const bytes = files.reduce((sum, e) => sum + Math.ceil(Math.max(e.size, 1) / block) * block, 0) + (dirs + 1) * block + Math.ceil((files.length * 400) / block + 1) * block;
  return { need: { bytes, files: files.length + dirs + 1 }, free };
}

function fits(need: Need, free: Awaited<ReturnType<typeof freeSpace>>): boolean {
  // file systems without inode limits (btrfs) report 0 free files
  return !free || (free.bytes >= need.bytes && (free.files === 0 || free.files >= need.files));
}

/** A full (or over-quota) runtime disk, said as such: where, how much is free, how much the new generation needs. */
async function diskFullError(dir: string, err: unknown, need: Need | undefined, current: number | undefined): Promise<OperationError> {
  const where = runtimePaths(dir).generations;
  const free = await freeSpace(where);
  const quota = (err as { code?: string }).code === "EDQUOT";
  const has = free ? `${formatBytes(free.bytes)} free (${free.files} files)` : "no free space";
  const needs = need ? `; the new generation needs ${formatBytes(need.bytes)} in ${need.files} files` : "";
  return new OperationError(
    `the runtime disk is ${quota ? "over its quota" : "full"}: ${where} has ${has}${needs}; the runtime was not changed and ${keepsRunning(current)}`,
    {
      code: "RUNTIME_DISK_FULL",
      cause: err,
      hint: `free space on the file system of ${dirname(dir)} (or point runtime.dir at a larger one), then run gatewayctl sync again`,
    },
  );
}

/** Same path set and same size+mtime for every file as the manifest recorded: nothing to copy (rsync's quick check). */
function quickCheckUnchanged(entries: SourceEntry[], manifest: Manifest | undefined): boolean {
  if (!manifest) return false;
  const files = entries.filter((e) => e.type !== "d" && e.path !== MANIFEST_NAME);
  if (files.length !== manifest.files.length) return false;
  const byPath = new Map(manifest.files.map((f) => [f.path, f]));
  for (const e of files) {
    const m = byPath.get(e.path);
    if (!m || m.sourceSize !== e.size || m.sourceMtimeNs !== e.mtimeNs) return false;
    if ((e.mode & 0o111) !== 0 !== m.exec) return false;
    if (m.mode !== undefined && (e.mode & 0o777) !== m.mode) return false;
  }
  return true;
}

function diff(next: ReadonlyArray<Pick<ManifestFile, "path" | "sha256" | "exec" | "mode">>, prev: Manifest | undefined): { added: string[]; changed: string[]; removed: string[] } {
  const before = new Map((prev?.files ?? []).map((f) => [f.path, f]));
  const added: string[] = [];
  const changed: string[] = [];
  for (const f of next) {
    const p = before.get(f.path);
    if (!p) added.push(f.path);
    else if (p.sha256 !== f.sha256 || p.exec !== f.exec || (p.mode !== undefined && p.mode !== f.mode)) changed.push(f.path);
    before.delete(f.path);
  }
  return { added: added.sort(), changed: changed.sort(), removed: [...before.keys()].sort() };
}

type Validators = [typeof import("../artifact/read.js"), typeof import("../artifact/prove.js")];

/** Start loading the validation modules (YAML parser, route map reader, proof) while the copier child reads the source. */
function preloadValidators(): Promise<Validators> {
  const p = Promise.all([import("../artifact/read.js"), import("../artifact/prove.js")]);
  p.catch(() => undefined); // awaited (and reported) by validateStaged
  return p;
}

/**
 * The staged copy is a complete build that proves itself: config.yaml parses as LiteLLM reads it, route-map.json is
 * a valid route map, every module it names is there and loaded, and the privacy proof holds against that route map
 * (the same proof `build` ran). Throws OperationError naming the problem; nothing was changed.
 */
async function validateStaged(
  read: (name: string) => Promise<string | undefined>,
  opts: { from: string; current: number | undefined; validators: Promise<Validators> },
): Promise<void> {
  const [{ loadArtifact }, { proveArtifact }] = await opts.validators;
  const tail = `the runtime was not changed and ${keepsRunning(opts.current)}`;
  let artifact: import("../artifact/read.js").Artifact;
  try {
    artifact = await loadArtifact(opts.from, read);
  } catch (err) {
    throw new OperationError(`the source ${opts.from} is not a usable gatewayctl build: ${(err as Error).message}; ${tail}`, {
      code: "SOURCE_INVALID",
      cause: err,
      hint: "point the source at a complete gatewayctl build output (gatewayctl build --out DIR), then sync again",
    });
  }
  const proof = proveArtifact(artifact);
  if (proof.moduleProblems.length > 0) {
    throw new OperationError(`the source's build is incomplete: ${proof.moduleProblems.join("; ")}; ${tail}`, {
      code: "SOURCE_INVALID",
      hint: "rebuild it with gatewayctl build (never hand-edit the runtime config), then sync again",
    });
  }
  if (!proof.ok) {
    const lines = proof.leaks.slice(0, 5).map((l) => l.path);
    throw new OperationError(
      `the source's ${CONFIG_FILE} fails the privacy proof against its ${ROUTE_MAP_FILE}: ${proof.leaks.length} private route${proof.leaks.length === 1 ? "" : "s"} can reach a cloud backend (${lines.join("; ")}); ${tail}`,
      { code: "SOURCE_LEAKS", hint: "run gatewayctl audit on the source config to see every path, fix the policy, rebuild, then sync again" },
    );
  }
}

/** Flush every file of `dir` to disk: one syncfs(2) via `sync -f` (coreutils), else fsync per file and directory. */
async function flushTree(dir: string): Promise<void> {
  const ok = await new Promise<boolean>((res) => {
    execFile("sync", ["-f", dir], { timeout: 60_000 }, (err) => res(!err));
  });
  if (ok) return;
  const dirs = new Set<string>([dir]);
  for (const rel of await listFiles(dir)) {
    const fh = await open(join(dir, rel), "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    dirs.add(dirname(join(dir, rel)));
  }
  for (const d of dirs) await fsyncDir(d);
}

async function writeJsonDurably(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, "w", 0o444);
  try {
    await fh.writeFile(`${JSON.stringify(value, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

/**
 * Bring a runtime directory that predates generations (a plain directory) under the generation layout: it becomes
 * generation 1 as it is (with a manifest), and D becomes a symlink to it. The only moment D does not exist is
 * between two renames; a crash there is repaired by the next sync (D is re-pointed at the newest generation).
 */
async function migrateOrRepair(dir: string, onProgress: (l: string) => void): Promise<void> {
  const state = await readGenerationState(dir);
  if (state.kind === "other") {
    throw new OperationError(`the runtime path ${dir} exists but is neither a directory nor a symlink`, {
      code: "RUNTIME_INVALID",
      hint: `move ${dir} away, then run gatewayctl sync again`,
    });
  }
  if (state.kind === "missing" && state.generations.length > 0) {
    const newest = state.generations[state.generations.length - 1]!;
    onProgress(`repairing ${dir}: it pointed nowhere; pointing it at the newest generation ${newest}`);
    await switchTo(dir, newest);
    return;
  }
  if (state.kind !== "directory") return;
  const files = (await listFiles(dir)).filter((f) => f !== MANIFEST_NAME);
  if (files.length === 0) {
    await rm(dir, { recursive: true, force: true });
    return;
  }
  // only a runtime gatewayctl wrote (from before generations) is taken over; a user's directory never is
  if (!(await looksLikeGatewayctlRuntime(dir))) {
    throw new InputError(`refusing to use ${dir} as the runtime directory: it holds ${files.length} file${files.length === 1 ? "" : "s"} gatewayctl did not write; nothing was moved or deleted`, {
      code: "RUNTIME_NOT_OURS",
      hint: "point runtime.dir (or sync --to) at a new or empty directory; gatewayctl takes over only directories it created",
    });
  }
  const n = (state.generations[state.generations.length - 1] ?? 0) + 1;
  onProgress(`migrating ${dir} (a plain directory) to generation ${n}`);
  const entries: ManifestFile[] = [];
  const { stat } = await import("node:fs/promises");
  for (const rel of files) {
    const { sha256, size } = sha256FileSync(join(dir, rel));
    const s = await stat(join(dir, rel), { bigint: true });
    entries.push({
      path: rel,
      sha256,
      size,
      exec: (Number(s.mode) & 0o111) !== 0,
      sourceSize: -1, // never matches a source: the next sync compares contents
      sourceMtimeNs: "0",
    });
  }
  const manifest: Manifest = {
    format: 1,
    generation: n,
    hash: treeHash(entries),
    source: dir,
    createdAt: new Date().toISOString(),
    createdBy: `gatewayctl ${GATEWAYCTL_VERSION} (migrated)`,
    files: entries,
  };
  const { generations } = runtimePaths(dir);
  await mkdir(generations, { recursive: true });
  await writeJsonDurably(join(dir, MANIFEST_NAME), manifest);
  await flushTree(dir);
  await rename(dir, join(generations, generationName(n)));
  await switchTo(dir, n);
  await fsyncDir(generations);
}

/** A plain directory that a gatewayctl sync of before generations wrote: its config and route map say so. */
async function looksLikeGatewayctlRuntime(dir: string): Promise<boolean> {
  const head = async (name: string): Promise<string> => {
    const fh = await open(join(dir, name), "r").catch(() => undefined);
    if (!fh) return "";
    try {
      const buf = Buffer.alloc(400);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return buf.subarray(0, bytesRead).toString("utf8");
    } finally {
      await fh.close();
    }
  };
  return (await head("config.yaml")).startsWith("# Generated by gatewayctl") && /"generatedBy":\s*"gatewayctl/.test(await head("route-map.json"));
}

/**
 * A runtime directory gatewayctl can own: never the root, the home directory, the source itself, a directory that
 * holds the source (runtime.dir "" or "." is the policy's own directory), or one inside the source.
 */
export function runtimeDirProblem(dir: string, from: string): string | undefined {
  const home = resolve(homedir());
  const inside = (a: string, b: string): boolean => a === b || a.startsWith(b.endsWith(sep) ? b : `${b}${sep}`);
  if (dir === parse(dir).root) return "it is the filesystem root";
  if (dir === home) return "it is your home directory";
  if (inside(from, dir)) return `it holds the source ${from} (an empty or "." runtime.dir means the policy's own directory)`;
  if (inside(dir, from)) return `it is inside the source ${from}`;
  return undefined;
}

/**
 * Sync `from` into the runtime directory `to`. See the module comment; never leaves `to` incomplete, and throws
 * OperationError (exit 1) saying which generation the gateway keeps running on when the source cannot be used.
 */
export async function syncRuntime(opts: SyncOptions): Promise<SyncReport> {
  const from = resolve(opts.from);
  const dir = resolve(opts.to);
  const problem = runtimeDirProblem(dir, from);
  if (problem) {
    throw new InputError(`refusing to use ${dir} as the runtime directory: ${problem}; nothing was changed`, {
      code: "RUNTIME_DIR_REFUSED",
      hint: "set runtime.dir (or sync --to) to a directory of its own, for example ~/.local/state/gatewayctl/runtime",
    });
  }
  const keep = opts.keep ?? DEFAULT_KEEP;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const progress = opts.onProgress ?? (() => undefined);
  const paths = runtimePaths(dir);

  const initial = await readGenerationState(dir);
  const initialManifest = initial.kind === "missing" ? undefined : await readManifest(dir);
  let current = initialManifest?.generation ?? initial.current;

  if (opts.dryRun) return dryRun(opts, from, dir, current, initialManifest, timeoutMs);

  let lock: Awaited<ReturnType<typeof acquireLock>>;
  try {
    await mkdir(dirname(dir), { recursive: true });
    lock = await acquireLock(dir, "sync", keepsRunning(current));
  } catch (err) {
    if (isDiskFull(err)) throw await diskFullError(dir, err, undefined, current);
    throw err;
  }
  let staging: string | undefined;
  let needed: Need | undefined;
  try {
    await cleanLeftovers(dir);
    await migrateOrRepair(dir, progress);
    const state = await readGenerationState(dir);
    const manifest = await readManifest(dir);
    current = manifest?.generation ?? state.current;

    const base = { source: from, runtimeDir: dir };
    const scanner = opts.scanner ? { scanner: opts.scanner } : {};
    const validators = preloadValidators();
    type Read = { unchanged: true } | { unchanged: false; copied: CopiedFile[]; into: string };
    const read = await readConsistently<Read>(from, current, progress, async () => {
      let entries: SourceEntry[];
      try {
        entries = await scanSource(from, { timeoutMs, ...scanner });
        if (!entries.some((e) => e.type !== "d")) throw new SourceReadError("it is empty", "empty");
      } catch (err) {
        throw retryableOr(err, from, current);
      }
      if (manifest && quickCheckUnchanged(entries, manifest)) return { result: { unchanged: true }, problems: [] };
      await mkdir(paths.generations, { recursive: true });
      // refused before anything is written when the runtime's disk cannot hold the new generation
      const space = await spaceNeeded(paths.generations, entries);
      needed = space.need;
      if (!fits(space.need, space.free)) throw new DestinationFullError("too little free space for the new generation", "ENOSPC");
      const into = join(paths.generations, `.staging-${process.pid}-${randomBytes(4).toString("hex")}`);
      staging = into;
      await mkdir(into);
      const fileList = entries.filter((e) => e.type !== "d" && e.path !== MANIFEST_NAME).map((e) => e.path);
      progress(`reading ${fileList.length} file${fileList.length === 1 ? "" : "s"} from ${from}`);
      let copied: CopiedFile[];
      let problems: string[];
      try {
        copied = await copySource(from, into, fileList, { timeoutMs, entries });
        await keepDirectoryModes(into, entries);
        problems = await snapshotProblems(from, entries, copied, (name) => readTextWithin(join(into, name), INPUT_LIMITS.artifact, "build manifest"), { timeoutMs, ...scanner, current });
      } catch (err) {
        throw retryableOr(err, from, current);
      }
      const discard = async (): Promise<void> => {
        await rm(into, { recursive: true, force: true });
        staging = undefined;
      };
      return { result: { unchanged: false, copied, into }, problems, discard };
    });
    if (read.unchanged) {
      return { action: "unchanged", generation: manifest!.generation, added: [], changed: [], removed: [], hash: manifest!.hash, ...base, summary: `unchanged, still generation ${manifest!.generation}` };
    }
    const copied = read.copied;
    const files: ManifestFile[] = copied.map(({ content: _c, ...f }) => f);
    const hash = treeHash(files);
    const changes = diff(files, manifest);

    if (manifest && hash === manifest.hash) {
      // same content, new timestamps (a rebuild): remember the new stats so the next quick check succeeds
      await writeJsonDurably(join(dir, MANIFEST_NAME), { ...manifest, files: files.map((f) => ({ ...f })) });
      return { action: "unchanged", generation: manifest.generation, added: [], changed: [], removed: [], hash, ...base, summary: `unchanged, still generation ${manifest.generation}` };
    }

    const present = new Set(files.map((f) => f.path));
    const stagedDir = read.into;
    await validateStaged(async (name) => (present.has(name) ? readTextWithin(join(stagedDir, name), INPUT_LIMITS.artifact, "build file") : undefined), { from, current, validators });

    const n = (state.generations[state.generations.length - 1] ?? 0) + 1;
    const next: Manifest = {
      format: 1,
      generation: n,
      hash,
      source: from,
      createdAt: new Date().toISOString(),
      createdBy: `gatewayctl ${GATEWAYCTL_VERSION}`,
      files,
    };
    await writeFile(join(stagedDir, MANIFEST_NAME), `${JSON.stringify(next, null, 2)}\n`, { mode: 0o444 });
    await flushTree(stagedDir);
    await rename(stagedDir, join(paths.generations, generationName(n)));
    staging = undefined;
    await fsyncDir(paths.generations);
    await switchTo(dir, n);
    const pruned = await pruneGenerations(dir, keep);
    const counts = `${changes.added.length} added, ${changes.changed.length} changed, ${changes.removed.length} removed`;
    return {
      action: "synced",
      generation: n,
      ...(current !== undefined ? { previousGeneration: current } : {}),
      ...changes,
      hash,
      ...base,
      ...(pruned.length ? { pruned } : {}),
      summary: `synced generation ${n}${current !== undefined ? ` (was ${current})` : ""}: ${counts}`,
    };
  } catch (err) {
    if (err instanceof GatewayctlError) throw err;
    if (isDiskFull(err)) throw await diskFullError(dir, err, needed, current);
    throw new OperationError(`sync into ${dir} failed: ${(err as Error).message}; ${keepsRunning(current)}`, {
      code: "SYNC_FAILED",
      cause: err,
      hint: `check that ${dirname(dir)} is writable and has free space, then run gatewayctl sync again`,
    });
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    await lock.release();
  }
}

/** Read and hash the source, validate it, and report what a sync would do; writes nothing. */
async function dryRun(
  opts: SyncOptions,
  from: string,
  dir: string,
  current: number | undefined,
  manifest: Manifest | undefined,
  timeoutMs: number,
): Promise<SyncReport> {
  const scanner = opts.scanner ? { scanner: opts.scanner } : {};
  const validators = preloadValidators();
  const copied = await readConsistently(from, current, () => undefined, async () => {
    let listed: CopiedFile[];
    let problems: string[];
    try {
      const entries = await scanSource(from, { timeoutMs, ...scanner });
      if (!entries.some((e) => e.type !== "d")) throw new SourceReadError("it is empty", "empty");
      const fileList = entries.filter((e) => e.type !== "d" && e.path !== MANIFEST_NAME).map((e) => e.path);
      // what validation reads: config, route map, the build manifest and the generated modules beside them
      const inline = fileList.filter((p) => p === CONFIG_FILE || p === ROUTE_MAP_FILE || p === BUILD_MANIFEST_FILE || (p.endsWith(".py") && !p.includes("/")));
      listed = await copySource(from, null, fileList, { timeoutMs, inline });
      const texts = new Map(listed.filter((f) => f.content !== undefined).map((f) => [f.path, Buffer.from(f.content!, "base64").toString("utf8")]));
      problems = await snapshotProblems(from, entries, listed, async (name) => texts.get(name) ?? "", { timeoutMs, ...scanner, current });
    } catch (err) {
      throw retryableOr(err, from, current);
    }
    return { result: listed, problems };
  });
  const files: ManifestFile[] = copied.map(({ content: _c, ...f }) => f);
  const hash = treeHash(files);
  const changes = diff(files, manifest);
  const wouldChange = !manifest || hash !== manifest.hash;
  if (wouldChange) {
    const texts = new Map<string, string>();
    for (const f of copied) if (f.content !== undefined) texts.set(f.path, Buffer.from(f.content, "base64").toString("utf8"));
    await validateStaged(async (name) => texts.get(name), { from, current, validators });
  }
  const state = await readGenerationState(dir);
  const next = (state.generations[state.generations.length - 1] ?? current ?? 0) + 1;
  const counts = `${changes.added.length} added, ${changes.changed.length} changed, ${changes.removed.length} removed`;
  return {
    action: "dry-run",
    generation: wouldChange ? next : (current ?? 0),
    ...(current !== undefined ? { previousGeneration: current } : {}),
    ...changes,
    hash,
    source: from,
    runtimeDir: dir,
    wouldChange,
    summary: wouldChange
      ? `dry run: would sync generation ${next}${current !== undefined ? ` (now ${current})` : ""}: ${counts}; nothing was written`
      : `dry run: unchanged, still generation ${current}; nothing was written`,
  };
}

/** Switch the runtime directory back to the previous generation (the newest below the current one), or to `to`. */
export async function rollbackRuntime(opts: { dir: string; to?: number; onProgress?: (l: string) => void }): Promise<RollbackReport> {
  const dir = resolve(opts.dir);
  const before = await readGenerationState(dir);
  const note = keepsRunning(before.current);
  if (before.kind !== "symlink" || before.current === undefined) {
    throw new OperationError(`${dir} holds no synced generation to roll back from`, {
      code: "ROLLBACK_UNAVAILABLE",
      hint: "run gatewayctl sync first; rollback switches between generations that sync created",
    });
  }
  const lock = await acquireLock(dir, "rollback", note);
  try {
    const state = await readGenerationState(dir);
    const current = state.current!;
    let target: number | undefined;
    if (opts.to !== undefined) {
      if (!state.generations.includes(opts.to)) {
        throw new OperationError(`generation ${opts.to} does not exist (on disk: ${state.generations.join(", ") || "none"}); ${keepsRunning(current)}`, {
          code: "ROLLBACK_UNAVAILABLE",
          hint: "pick one of the generations listed, or raise runtime.keep to keep more",
        });
      }
      target = opts.to;
    } else {
      target = [...state.generations].reverse().find((g) => g < current);
      if (target === undefined) {
        throw new OperationError(`there is no generation before ${current} to roll back to; ${keepsRunning(current)}`, {
          code: "ROLLBACK_UNAVAILABLE",
          hint: `generations on disk: ${state.generations.join(", ")}; pass --to N to pick one`,
        });
      }
    }
    const genDir = join(runtimePaths(dir).generations, generationName(target));
    const { manifest, problems } = await verifyGeneration(genDir);
    if (!manifest || problems.length) {
      throw new OperationError(`generation ${target} is damaged (${problems.slice(0, 3).join("; ")}); ${keepsRunning(current)}`, {
        code: "GENERATION_DAMAGED",
        hint: "roll back to another generation with --to N",
      });
    }
    if (target !== current) await switchTo(dir, target);
    return {
      action: "rolled-back",
      generation: target,
      previousGeneration: current,
      hash: manifest.hash,
      runtimeDir: dir,
      summary:
        target === current
          ? `already on generation ${target}`
          : `rolled back ${dir} from generation ${current} to ${target}; restart the gateway (gatewayctl start) to run it; the next sync applies the source again`,
    };
  } finally {
    await lock.release();
  }
}
