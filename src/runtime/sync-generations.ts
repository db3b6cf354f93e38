/**
 * Generations of the runtime directory `D` (see runtimePaths in paths.ts):
 *
 *   D                         a symlink to `D.generations/gen-00000N` (relative), replaced with one rename(2)
 *   D.generations/gen-00000N/ a complete generation: the files plus `.gatewayctl-manifest.json`
 *   D.generations/.staging-*  a generation being built (removed by the next sync when its writer died)
 *   D.generations/.trash-*    a generation being deleted
 *   D.generations/current     a symlink to the live generation (what the container mounts and reads through)
 *   D.lock                    the sync lock
 *
 * A generation directory only ever gets its final name once it is complete and flushed, and `D` only ever
 * points at such a directory, so a reader (or a kill -9, or a power cut) sees either the old or the new tree.
 */
import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { closeSync, openSync, readSync } from "node:fs";
import { lstat, mkdir, open, readdir, readFile, readlink, rename, rm, symlink, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { CURRENT_LINK } from "../artifact/gateway.js";
import { acquireLockFile, type HeldLock } from "./lock.js";
import { runtimePaths } from "./paths.js";

export const MANIFEST_NAME = ".gatewayctl-manifest.json";
const GEN_RE = /^gen-(\d{6,})$/;

export interface ManifestFile {
  path: string;
  sha256: string;
  size: number;
  exec: boolean;
  /** permission bits as in the source (absent in manifests of gatewayctl before modes were kept) */
  mode?: number;
  /** size and mtime of the source file when it was read: the next sync's quick check (like rsync's) */
  sourceSize: number;
  sourceMtimeNs: string;
}

export interface Manifest {
  format: 1;
  generation: number;
  /** tree hash over every file's path, execute bit and sha256 */
  hash: string;
  source: string;
  createdAt: string;
  createdBy: string;
  files: ManifestFile[];
}

/** Bytes read at a time when hashing a file: memory stays flat whatever the file's size (2 GiB and more). */
const HASH_CHUNK = 1 << 20;

/** sha256 and size of a local file, read in chunks (never the whole file in memory). */
export function sha256FileSync(path: string): { sha256: string; size: number } {
  const h = createHash("sha256");
  const buf = Buffer.allocUnsafe(HASH_CHUNK);
  const fd = openSync(path, "r");
  let size = 0;
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; size += n) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return { sha256: h.digest("hex"), size };
}

export function generationName(n: number): string {
  return `gen-${String(n).padStart(6, "0")}`;
}

/** The tree hash: sha256 over `<x|->[ <octal mode>] <sha256> <json path>\n` for every file, sorted by path. */
export function treeHash(files: ReadonlyArray<Pick<ManifestFile, "path" | "sha256" | "exec" | "mode">>): string {
  const h = createHash("sha256");
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const mode = f.mode === undefined ? "" : ` ${f.mode.toString(8).padStart(3, "0")}`;
    h.update(`${f.exec ? "x" : "-"}${mode} ${f.sha256} ${JSON.stringify(f.path)}\n`);
  }
  return h.digest("hex");
}

export async function readManifest(genDir: string): Promise<Manifest | undefined> {
  try {
    const m = JSON.parse(await readFile(join(genDir, MANIFEST_NAME), "utf8")) as Manifest;
    if (m.format !== 1 || typeof m.generation !== "number" || !Array.isArray(m.files)) return undefined;
    return m;
  } catch {
    return undefined;
  }
}

/** Check every file of a generation against its manifest; returns the problems (empty when complete). */
export async function verifyGeneration(genDir: string): Promise<{ manifest?: Manifest; problems: string[] }> {
  const manifest = await readManifest(genDir);
  if (!manifest) return { problems: [`${genDir} has no readable ${MANIFEST_NAME}`] };
  const problems: string[] = [];
  if (treeHash(manifest.files) !== manifest.hash) problems.push("the manifest's tree hash does not match its file list");
  const expected = new Set(manifest.files.map((f) => f.path));
  for (const f of manifest.files) {
    try {
      if (sha256FileSync(join(genDir, f.path)).sha256 !== f.sha256) problems.push(`${f.path}: content differs from the manifest`);
    } catch (err) {
      problems.push(`${f.path}: ${(err as Error).message}`);
    }
  }
  for (const rel of await listFiles(genDir)) {
    if (rel !== MANIFEST_NAME && !rel.startsWith(`${MANIFEST_NAME}.`) && !expected.has(rel)) problems.push(`${rel}: not in the manifest`);
  }
  return { manifest, problems };
}

/** Every regular file under `root`, relative, sorted. */
export async function listFiles(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, r)));
    else out.push(r);
  }
  return out.sort();
}

export interface GenerationState {
  /** the runtime path D */
  dir: string;
  generationsDir: string;
  /** what D is: a symlink to a generation, a plain directory (an install from before generations), or nothing */
  kind: "symlink" | "directory" | "missing" | "other";
  /** the generation D points at */
  current?: number;
  /** every complete-named generation on disk, ascending */
  generations: number[];
}

export async function readGenerationState(dir: string): Promise<GenerationState> {
  const { generations: generationsDir } = runtimePaths(dir);
  const generations: number[] = [];
  try {
    for (const name of await readdir(generationsDir)) {
      const m = GEN_RE.exec(name);
      if (m) generations.push(Number(m[1]));
    }
  } catch {
    // no generations yet
  }
  generations.sort((a, b) => a - b);
  let kind: GenerationState["kind"] = "missing";
  let current: number | undefined;
  try {
    const s = await lstat(dir);
    if (s.isSymbolicLink()) {
      kind = "symlink";
      const m = GEN_RE.exec(basename(await readlink(dir)));
      if (m) current = Number(m[1]);
    } else if (s.isDirectory()) kind = "directory";
    else kind = "other";
  } catch {
    kind = "missing";
  }
  return { dir, generationsDir, kind, ...(current !== undefined ? { current } : {}), generations };
}

/** fsync a directory so a rename inside it survives a power cut (best effort where directories cannot be opened). */
export async function fsyncDir(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | (constants.O_DIRECTORY ?? 0));
    await fh.sync();
  } catch {
    // some platforms cannot fsync a directory; the rename is still atomic
  } finally {
    await fh?.close();
  }
}

/** Replace `link` with a symlink to `target` in one rename(2). */
async function relink(link: string, target: string): Promise<void> {
  const tmp = join(dirname(link), `.${basename(link)}.link-${process.pid}-${randomBytes(4).toString("hex")}`);
  await symlink(target, tmp);
  try {
    await rename(tmp, link);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/**
 * Make `D.generations/current` point at the generation D points at (the container reads its config through that
 * link, so a restart serves the live generation). No-op when it already does.
 */
export async function syncCurrentLink(dir: string): Promise<void> {
  const state = await readGenerationState(dir);
  if (state.kind !== "symlink" || state.current === undefined) return;
  const link = join(runtimePaths(dir).generations, CURRENT_LINK);
  const want = generationName(state.current);
  const have = await readlink(link).catch(() => undefined);
  if (have !== want) await relink(link, want);
}

/**
 * Point D at generation `n` with one rename(2) of a fresh symlink over D, and `D.generations/current` at it first
 * (both only ever point at complete generations).
 */
export async function switchTo(dir: string, n: number): Promise<void> {
  const { generations } = runtimePaths(dir);
  await relink(join(generations, CURRENT_LINK), generationName(n));
  await relink(dir, join(basename(generations), generationName(n)));
  await fsyncDir(dirname(dir));
}

/**
 * Remove what dead syncs left behind: staging and trash directories in D.generations and temporary links beside D.
 * Only called while holding the lock, so nothing found belongs to a live sync.
 */
export async function cleanLeftovers(dir: string): Promise<void> {
  const { generations } = runtimePaths(dir);
  try {
    for (const name of await readdir(generations)) {
      if (name.startsWith(".staging-") || name.startsWith(".trash-")) await rm(join(generations, name), { recursive: true, force: true });
      else if (name.startsWith(`.${CURRENT_LINK}.link-`)) await unlink(join(generations, name)).catch(() => undefined);
      else if (GEN_RE.test(name)) {
        // a manifest update (same content, new source timestamps) killed before its rename
        for (const f of await readdir(join(generations, name))) {
          if (f.startsWith(`${MANIFEST_NAME}.`) && f.endsWith(".tmp")) await rm(join(generations, name, f), { force: true });
        }
      }
    }
  } catch {
    // nothing there yet
  }
  const prefix = `.${basename(dir)}.link-`;
  try {
    for (const name of await readdir(dirname(dir))) {
      if (name.startsWith(prefix)) await unlink(join(dirname(dir), name)).catch(() => undefined);
    }
  } catch {
    // parent unreadable: the sync itself will report it
  }
}

/** Delete a generation: renamed out of the `gen-` namespace first, so a half-deleted tree never looks complete. */
export async function removeGeneration(dir: string, n: number): Promise<void> {
  const { generations } = runtimePaths(dir);
  const trash = join(generations, `.trash-${generationName(n)}-${randomBytes(4).toString("hex")}`);
  await rename(join(generations, generationName(n)), trash);
  await rm(trash, { recursive: true, force: true });
}

/** Generations that something running still uses: `D.state/pins/*.json` with a numeric `generation`. */
export async function pinnedGenerations(dir: string): Promise<Set<number>> {
  const pins = join(runtimePaths(dir).stateDir, "pins");
  const out = new Set<number>();
  try {
    for (const name of await readdir(pins)) {
      if (!name.endsWith(".json")) continue;
      try {
        const v = JSON.parse(await readFile(join(pins, name), "utf8")) as { generation?: unknown };
        if (typeof v.generation === "number") out.add(v.generation);
      } catch {
        // a torn pin file protects nothing; ignore it
      }
    }
  } catch {
    // no pins
  }
  return out;
}

/** Record that `owner` (for example "docker") runs generation `n`, so sync never prunes it. */
export async function pinGeneration(dir: string, owner: string, n: number): Promise<void> {
  const pins = join(runtimePaths(dir).stateDir, "pins");
  await mkdir(pins, { recursive: true, mode: 0o700 });
  const file = join(pins, `${owner}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(`${JSON.stringify({ generation: n, pinnedAt: new Date().toISOString() })}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

export async function unpinGeneration(dir: string, owner: string): Promise<void> {
  await rm(join(runtimePaths(dir).stateDir, "pins", `${owner}.json`), { force: true });
}

/** Keep the current generation, every pinned one, and the `keep` newest others; delete the rest. Returns the deleted. */
export async function pruneGenerations(dir: string, keep: number): Promise<number[]> {
  const state = await readGenerationState(dir);
  const pinned = await pinnedGenerations(dir);
  const others = state.generations.filter((g) => g !== state.current && !pinned.has(g)).sort((a, b) => b - a);
  const doomed = others.slice(keep);
  for (const g of doomed) await removeGeneration(dir, g);
  return doomed.sort((a, b) => a - b);
}

/** Take `D.lock` (see lock.ts): one sync or rollback at a time; a live holder is reported at once. */
export async function acquireLock(dir: string, what: string, gatewayNote: string): Promise<HeldLock> {
  const { lock } = runtimePaths(dir);
  return acquireLockFile(lock, { code: "SYNC_LOCKED", busy: `another gatewayctl is working on ${dir}: ${what} not started; ${gatewayNote}` });
}
