/**
 * Reading the sync source (a NAS mount or a Git checkout) without ever blocking gatewayctl itself.
 *
 * A hung NFS mount blocks every system call that touches it, and a blocked call cannot be interrupted: not in a
 * worker thread, not on libuv's thread pool (the process then cannot even exit). So this process never touches
 * the source: a child process lists it (`find`, or a small Node program when `find` lacks -printf) and another
 * copies it into the staging directory. Each child is SIGKILLed when it makes no progress for `timeoutMs`, and is
 * then abandoned (unref'd) so a child stuck in the kernel cannot keep gatewayctl alive.
 */
import { sha256FileSync, type ManifestFile } from "./sync-generations.js";
import { spawn } from "node:child_process";
import { join } from "node:path";

/** One entry of the source tree as the listing reports it. */
export interface SourceEntry {
  /** path relative to the source root, forward slashes */
  path: string;
  /** "f" regular file, "d" directory, "l" dangling symlink, anything else a special file (FIFO, socket, device) */
  type: string;
  size: number;
  /** modification time in integer nanoseconds since the epoch, as a decimal string */
  mtimeNs: string;
  /** permission bits */
  mode: number;
}

/** One file the copier read (and wrote into the staging directory): its manifest entry, and its content if asked for. */
export interface CopiedFile extends ManifestFile {
  /** base64 content, only for the files asked for with `inline` */
  content?: string;
}

/** The source did not answer (no progress for the timeout); the child was killed. */
export class SourceTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(`${what} made no progress for ${(timeoutMs / 1000).toFixed(timeoutMs % 1000 === 0 ? 0 : 1)}s and was stopped`);
    this.name = "SourceTimeoutError";
  }
}

/**
 * The source could not be read (missing, not a directory, unreadable, a dangling link, a special file), or it changed
 * under the reader ("changed": a listed file vanished), which a caller may retry.
 */
export class SourceReadError extends Error {
  constructor(
    message: string,
    readonly reason: "missing" | "not-a-directory" | "unreadable" | "empty" | "changed" | "link-outside",
  ) {
    super(message);
    this.name = "SourceReadError";
  }
}

/** Writing the staged copy failed for lack of space or quota on the runtime's disk (not the source's fault). */
export class DestinationFullError extends Error {
  constructor(
    message: string,
    readonly code: "ENOSPC" | "EDQUOT",
  ) {
    super(message);
    this.name = "DestinationFullError";
  }
}

const FULL_MESSAGE = /No space left on device|Disk quota exceeded/;

export interface KillableResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Run a command, SIGKILL it when it makes no progress (no output and no exit) for `timeoutMs`. On a timeout the
 * promise rejects with SourceTimeoutError right away, without waiting for the child to die.
 */
export function runKillable(
  command: string,
  args: string[],
  options: { timeoutMs: number; what: string; onStdout?: (chunk: Buffer) => void; cwd?: string },
): Promise<KillableResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...(options.cwd ? { cwd: options.cwd } : {}) });
    const out: Buffer[] = [];
    let err = "";
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
        child.stdout?.destroy();
        child.stderr?.destroy();
        child.unref();
        reject(new SourceTimeoutError(options.what, options.timeoutMs));
      }, options.timeoutMs);
    };
    arm();
    child.stdout.on("data", (c: Buffer) => {
      arm();
      if (options.onStdout) options.onStdout(c);
      else out.push(c);
    });
    child.stderr.on("data", (c: Buffer) => {
      arm();
      if (err.length < 64_000) err += c.toString("utf8");
    });
    child.on("error", (e) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolvePromise({ code, signal, stdout: Buffer.concat(out), stderr: err });
    });
  });
}

/** `find -printf` time `1764084169.5439175120` → integer nanoseconds as a string. */
export function findTimeToNs(t: string): string {
  const [sec = "0", frac = ""] = t.split(".");
  const ns = BigInt(sec) * 1_000_000_000n + BigInt((frac + "000000000").slice(0, 9));
  return ns.toString();
}

/** Directory names never copied from a source: a Git checkout's metadata. */
export const EXCLUDED_DIRS = [".git"] as const;

interface Listing {
  root?: SourceEntry;
  entries: SourceEntry[];
  /** paths of the symbolic links the listing followed */
  links: string[];
}

function parseFindOutput(buf: Buffer): Listing {
  const entries: SourceEntry[] = [];
  const links: string[] = [];
  let root: SourceEntry | undefined;
  for (const rec of buf.toString("utf8").split("\0")) {
    if (!rec) continue;
    if (rec.startsWith("L\t")) {
      links.push(rec.slice(2));
      continue;
    }
    const parts = rec.split("\t");
    if (parts.length < 5) continue;
    const [type = "", size = "0", time = "0", mode = "0"] = parts;
    const path = parts.slice(4).join("\t");
    const entry: SourceEntry = { path, type, size: Number(size), mtimeNs: findTimeToNs(time), mode: parseInt(mode, 8) };
    if (path === "") root = entry;
    else entries.push(entry);
  }
  return { root, entries, links };
}

/**
 * The child program behind the Node scanner and the copier. It runs as `node -e` text, so it must be
 * self-contained (only `require` and its argument). Messages: one JSON object a line on stdout.
 */
function copierProgram(): void {
  // `node -e` puts require on globalThis; reaching it there (not as a bare `require`) keeps bundlers from
  // rewriting the call into a helper that would not exist in the child
  const load = (globalThis as unknown as { require: NodeJS.Require }).require;
  const fs = load("node:fs") as typeof import("node:fs");
  const pathMod = load("node:path") as typeof import("node:path");
  const crypto = load("node:crypto") as typeof import("node:crypto");
  const params = JSON.parse(process.argv[process.argv.length - 1] ?? "{}") as {
    mode: "scan" | "copy" | "links";
    from: string;
    staging: string | null;
    files: string[];
    inline: string[];
    excluded: string[];
  };
  const out: string[] = [];
  const flush = (): void => {
    if (out.length) fs.writeSync(1, out.splice(0).join(""));
  };
  const emit = (o: unknown): void => {
    out.push(JSON.stringify(o) + "\n");
    if (out.length >= 64) flush();
  };
  const fail = (path: string, e: unknown): never => {
    const err = e as NodeJS.ErrnoException;
    flush();
    fs.writeSync(1, JSON.stringify({ t: "error", path, code: err.code ?? "EIO", message: err.message }) + "\n");
    process.exit(3);
  };
  const perm = (m: number | bigint): number => Number(m) & 0o7777;
  // a symbolic link is followed only to a place inside the source, never out of it
  let rootReal: string | undefined;
  const checkLink = (rel: string): void => {
    let real: string;
    try {
      rootReal ??= fs.realpathSync(params.from);
      real = fs.realpathSync(pathMod.join(params.from, rel));
    } catch (e) {
      fail(rel, e);
      return;
    }
    if (real !== rootReal && !real.startsWith(`${rootReal}/`)) {
      fail(rel, Object.assign(new Error(`${rel} is a symbolic link to ${real}, outside the source`), { code: "ELINKOUT" }));
    }
  };
  if (params.mode === "links") {
    for (const rel of params.files) checkLink(rel);
    emit({ t: "done" });
    flush();
    return;
  }
  if (params.mode === "scan") {
    let rootStat: import("node:fs").BigIntStats;
    try {
      rootStat = fs.statSync(params.from, { bigint: true });
    } catch (e) {
      fail("", e);
      return;
    }
    const typeOf = (s: import("node:fs").BigIntStats): string => (s.isFile() ? "f" : s.isDirectory() ? "d" : s.isFIFO() ? "p" : s.isSocket() ? "s" : "c");
    emit({ t: "entry", path: "", type: typeOf(rootStat), size: Number(rootStat.size), mtimeNs: String(rootStat.mtimeNs), mode: perm(rootStat.mode) });
    if (rootStat.isDirectory()) {
      // a loop is a directory that is its own ancestor (a link to a sibling directory is no loop)
      const walk = (rel: string, ancestors: ReadonlySet<string>): void => {
        const abs = rel ? pathMod.join(params.from, rel) : params.from;
        let real: string;
        try {
          real = fs.realpathSync(abs);
        } catch (e) {
          fail(rel, e);
          return;
        }
        if (ancestors.has(real)) fail(rel, Object.assign(new Error(`file system loop detected at ${rel}`), { code: "ELOOP" }));
        const within = new Set(ancestors).add(real);
        let names: string[];
        try {
          names = fs.readdirSync(abs).sort();
        } catch (e) {
          fail(rel, e);
          return;
        }
        for (const name of names) {
          const r = rel ? `${rel}/${name}` : name;
          let s: import("node:fs").BigIntStats;
          try {
            s = fs.statSync(pathMod.join(params.from, r), { bigint: true });
          } catch (e) {
            const err = e as NodeJS.ErrnoException;
            if (err.code === "ENOENT") {
              // a dangling symlink: report it like find -L does
              emit({ t: "entry", path: r, type: "l", size: 0, mtimeNs: "0", mode: 0 });
              continue;
            }
            fail(r, e);
            return;
          }
          if (s.isDirectory() && params.excluded.includes(name)) continue;
          if (fs.lstatSync(pathMod.join(params.from, r)).isSymbolicLink()) checkLink(r);
          emit({ t: "entry", path: r, type: typeOf(s), size: Number(s.size), mtimeNs: String(s.mtimeNs), mode: perm(s.mode) });
          if (s.isDirectory()) walk(r, within);
        }
      };
      walk("", new Set());
    }
    emit({ t: "done" });
    flush();
    return;
  }
  // copy
  const made = new Set<string>();
  const chunk = Buffer.allocUnsafe(1 << 20);
  for (const rel of params.files) {
    let fd: number;
    try {
      fd = fs.openSync(pathMod.join(params.from, rel), "r");
    } catch (e) {
      fail(rel, e);
      return;
    }
    let st: import("node:fs").BigIntStats;
    try {
      st = fs.fstatSync(fd, { bigint: true });
      if (!st.isFile()) fail(rel, Object.assign(new Error(`${rel} is not a regular file`), { code: "ENOTREG" }));
    } catch (e) {
      fail(rel, e);
      return;
    }
    const mode = Number(st.mode) & 0o777;
    let out: number | undefined;
    if (params.staging) {
      const dst = pathMod.join(params.staging, rel);
      const dir = pathMod.dirname(dst);
      try {
        if (!made.has(dir)) {
          fs.mkdirSync(dir, { recursive: true });
          made.add(dir);
        }
        out = fs.openSync(dst, "wx", 0o600);
      } catch (e) {
        fail(rel, e);
        return;
      }
    }
    // streamed in chunks: a file of any size (2 GiB and more) takes the same memory
    const hash = crypto.createHash("sha256");
    const kept: Buffer[] | undefined = params.inline.includes(rel) ? [] : undefined;
    let size = 0;
    try {
      for (let n; (n = fs.readSync(fd, chunk, 0, chunk.length, null)) > 0; size += n) {
        const part = chunk.subarray(0, n);
        hash.update(part);
        if (kept) kept.push(Buffer.from(part));
        for (let off = 0; out !== undefined && off < n; ) off += fs.writeSync(out, part, off, n - off);
      }
      fs.closeSync(fd);
      if (out !== undefined) {
        // the source's permission bits, exactly: a 0600 file stays 0600
        fs.fchmodSync(out, mode);
        fs.closeSync(out);
      }
    } catch (e) {
      fail(rel, e);
      return;
    }
    const entry: Record<string, unknown> = {
      t: "file",
      path: rel,
      sha256: hash.digest("hex"),
      size,
      exec: (mode & 0o111) !== 0,
      mode,
      sourceSize: Number(st.size),
      sourceMtimeNs: String(st.mtimeNs),
    };
    if (kept) entry.content = Buffer.concat(kept).toString("base64");
    emit(entry);
  }
  emit({ t: "done" });
  flush();
}

const COPIER_SOURCE = `(${copierProgram.toString()})()`;

interface ChildMessage {
  t: "entry" | "file" | "error" | "done";
  [key: string]: unknown;
}

async function runCopier(params: Record<string, unknown>, timeoutMs: number, what: string): Promise<ChildMessage[]> {
  const r = await runKillable(process.execPath, ["-e", COPIER_SOURCE, JSON.stringify(params)], { timeoutMs, what });
  const messages = r.stdout
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ChildMessage);
  const error = messages.find((m) => m.t === "error");
  if (error) {
    const code = String(error.code);
    const path = String(error.path);
    const where = path ? `${path}: ` : "";
    if (code === "ENOENT" && !path) throw new SourceReadError("it does not exist", "missing");
    if (code === "ENOENT") throw new SourceReadError(`${where}it vanished while the source was read`, "changed");
    if (code === "ELINKOUT") throw new SourceReadError(String(error.message), "link-outside");
    if (code === "ENOSPC" || code === "EDQUOT") throw new DestinationFullError(`${where}${String(error.message)}`, code);
    throw new SourceReadError(`${where}${String(error.message)}`, code === "ENOTDIR" && !path ? "not-a-directory" : "unreadable");
  }
  if (r.code !== 0 || !messages.some((m) => m.t === "done")) {
    throw new SourceReadError(`${what} failed (exit ${r.code ?? r.signal}): ${r.stderr.trim().split("\n").slice(-3).join(" ") || "no output"}`, "unreadable");
  }
  return messages;
}

/** Whether this system's find has GNU -printf (BusyBox and BSD find do not); asked only after a find failed. */
async function findHasPrintf(timeoutMs: number): Promise<boolean> {
  try {
    const r = await runKillable("find", ["/", "-maxdepth", "0", "-printf", "x"], { timeoutMs, what: "find" });
    return r.code === 0 && r.stdout.toString() === "x";
  } catch {
    return false;
  }
}

/**
 * List with GNU find (a few milliseconds for thousands of files, so a no-op sync stays cheap). Undefined when
 * find is missing or lacks -printf, so the caller falls back to the Node lister.
 */
async function scanWithFind(from: string, timeoutMs: number, required: boolean): Promise<Listing | undefined> {
  const prune = EXCLUDED_DIRS.flatMap((d, i) => [...(i ? ["-o"] : []), "-name", d]);
  let r: KillableResult;
  try {
    // with -L, -xtype l is true for a symbolic link find followed: it gets an "L" record before its entry
    const entry = ["(", "(", "-xtype", "l", "-printf", "L\\t%P\\0", "-o", "-true", ")", "-printf", "%y\\t%s\\t%T@\\t%m\\t%P\\0", ")"];
    r = await runKillable("find", ["-L", from, "(", "-type", "d", "(", ...prune, ")", "-prune", ")", "-o", ...entry], {
      timeoutMs,
      what: `listing ${from}`,
    });
  } catch (err) {
    if (err instanceof SourceTimeoutError || required) throw err;
    return undefined; // no find at all
  }
  const listing = parseFindOutput(r.stdout);
  if (r.code === 0) return listing;
  if (!listing.root && !required && !(await findHasPrintf(timeoutMs))) return undefined;
  const msg = r.stderr
    .trim()
    .split("\n")
    .map((l) => l.replace(/^find: /, ""))
    .slice(0, 3)
    .join("; ");
  if (!listing.root && /No such file or directory/.test(msg)) throw new SourceReadError("it does not exist", "missing");
  if (listing.root && /No such file or directory/.test(msg)) throw new SourceReadError(`${msg} (it vanished while the source was listed)`, "changed");
  throw new SourceReadError(msg || `find exited ${r.code}`, "unreadable");
}

/**
 * List the source tree: every regular file (symlinks followed), minus `.git` directories. Throws
 * SourceReadError or SourceTimeoutError. `scanner` forces an implementation (tests cover both).
 */
export async function scanSource(
  from: string,
  options: { timeoutMs: number; scanner?: "find" | "node" },
): Promise<SourceEntry[]> {
  let listing: Listing | undefined;
  if (options.scanner !== "node") listing = await scanWithFind(from, options.timeoutMs, options.scanner === "find");
  if (!listing) {
    // the Node lister checks every link it follows itself
    const messages = await runCopier({ mode: "scan", from, staging: null, files: [], inline: [], excluded: EXCLUDED_DIRS }, options.timeoutMs, `listing ${from}`);
    listing = { entries: [], links: [] };
    for (const m of messages) {
      if (m.t !== "entry") continue;
      const e = { path: String(m.path), type: String(m.type), size: Number(m.size), mtimeNs: String(m.mtimeNs), mode: Number(m.mode) };
      if (e.path === "") listing.root = e;
      else listing.entries.push(e);
    }
  }
  const { root, entries, links } = listing;
  if (!root) throw new SourceReadError("it does not exist", "missing");
  if (root.type !== "d") throw new SourceReadError("it is not a directory", "not-a-directory");
  const bad = entries.find((e) => e.type === "l");
  if (bad) throw new SourceReadError(`${bad.path}: dangling symbolic link`, "unreadable");
  if (links.length > 0) {
    await runCopier({ mode: "links", from, staging: null, files: links, inline: [], excluded: EXCLUDED_DIRS }, options.timeoutMs, `resolving the links in ${from}`);
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return [root, ...entries];
}

/**
 * Copy `files` from the source into `staging` (or only hash them when staging is null), in a child process that
 * is killed when it makes no progress for `timeoutMs`. Special files (a FIFO, a device) are opened like files:
 * a FIFO without a writer blocks, exactly like a read from a mount that stopped answering.
 */
export async function copySource(
  from: string,
  staging: string | null,
  files: string[],
  options: { timeoutMs: number; inline?: string[]; entries?: readonly SourceEntry[] },
): Promise<CopiedFile[]> {
  if (staging !== null && options.entries && !options.inline?.length) {
    const viaCp = await copyWithCp(from, staging, files, options.entries, options.timeoutMs);
    if (viaCp) return viaCp;
  }
  const messages = await runCopier(
    { mode: "copy", from, staging, files, inline: options.inline ?? [], excluded: EXCLUDED_DIRS },
    options.timeoutMs,
    `reading ${from}`,
  );
  const out: CopiedFile[] = [];
  for (const m of messages) {
    if (m.t !== "file") continue;
    out.push({
      path: String(m.path),
      sha256: String(m.sha256),
      size: Number(m.size),
      exec: Boolean(m.exec),
      mode: Number(m.mode),
      sourceSize: Number(m.sourceSize),
      sourceMtimeNs: String(m.sourceMtimeNs),
      ...(typeof m.content === "string" ? { content: m.content } : {}),
    });
  }
  return out;
}

/** Files per cp invocation: keeps the argument list far below ARG_MAX. */
const CP_BATCH = 400;

/**
 * The fast copy: GNU cp reads the source in a killable child (one process, where the copier is a second Node),
 * then the staged copies, on local disk and so no longer at the mercy of a hung mount, are hashed here. The
 * source sizes and times recorded for the next quick check are the scan's. Undefined when cp cannot run here,
 * so the caller falls back to the Node copier.
 */
async function copyWithCp(
  from: string,
  staging: string,
  files: string[],
  entries: readonly SourceEntry[],
  timeoutMs: number,
): Promise<CopiedFile[] | undefined> {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  for (let i = 0; i < files.length; i += CP_BATCH) {
    const batch = files.slice(i, i + CP_BATCH);
    let r: KillableResult;
    try {
      // -L follows links like the scan (find -L); no -a/-R, so a FIFO or device is read like a file: a FIFO
      // without a writer blocks exactly like a mount that stopped answering, and is killed the same way
      r = await runKillable("cp", ["-L", "--parents", "-v", "-t", staging, "--", ...batch], {
        timeoutMs,
        what: `reading ${from}`,
        cwd: from,
        onStdout: () => undefined,
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" && i === 0) return undefined;
      throw err;
    }
    if (r.code !== 0) {
      const message = r.stderr.trim().split("\n").slice(-3).join(" ").replace(/^cp: /, "") || `cp exited ${r.code ?? r.signal}`;
      if (FULL_MESSAGE.test(message)) throw new DestinationFullError(message, /quota/i.test(message) ? "EDQUOT" : "ENOSPC");
      throw new SourceReadError(message, /No such file or directory/.test(message) ? "changed" : "unreadable");
    }
  }
  // the staged copies are on local disk: plain synchronous reads are the fastest way through many small files, in
  // chunks, so a file of any size takes the same memory
  const { chmodSync } = await import("node:fs");
  return files.map((rel) => {
    const dst = join(staging, rel);
    const { sha256, size } = sha256FileSync(dst);
    const entry = byPath.get(rel);
    const mode = (entry?.mode ?? 0o644) & 0o777;
    // the source's permission bits, exactly: a 0600 file stays 0600
    chmodSync(dst, mode);
    return {
      path: rel,
      sha256,
      size,
      exec: (mode & 0o111) !== 0,
      mode,
      sourceSize: entry?.size ?? size,
      sourceMtimeNs: entry?.mtimeNs ?? "0",
    };
  });
}
