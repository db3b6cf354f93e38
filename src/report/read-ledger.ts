/**
 * Streaming read of a ledger directory: the rotated files oldest first (ledger.jsonl.N ... .1), then the current one,
 * in 1 MiB chunks, one record at a time. Lines older than `since` are skipped by their time prefix without parsing.
 */
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { LEDGER_FILE_NAME } from "../artifact/types.js";
import { InputError } from "../lib/errors.js";
import { LEDGER_RECORD_VERSION, parseLedgerLine, type LedgerRecord } from "./record.js";

/** Ledger files in `dir`, oldest first. */
export async function ledgerFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new InputError(`no request ledger at ${dir}`, {
        code: "LEDGER_MISSING",
        hint: "the gateway writes it once `gatewayctl start` has run it and it has served a request; pass --ledger DIR for another one",
      });
    }
    throw new InputError(`cannot read the ledger directory ${dir}: ${(err as Error).message}`, { code: "LEDGER_UNREADABLE", cause: err, hint: "check its permissions (it is 0700, its owner's)" });
  }
  const rotated = names
    .map((n) => ({ n, m: /^ledger\.jsonl\.(\d+)$/.exec(n) }))
    .filter((e): e is { n: string; m: RegExpExecArray } => e.m !== null)
    .sort((a, b) => Number(b.m[1]) - Number(a.m[1]))
    .map((e) => e.n);
  return [...rotated, ...(names.includes(LEDGER_FILE_NAME) ? [LEDGER_FILE_NAME] : [])].map((n) => join(dir, n));
}

export interface ReadStats {
  files: number;
  lines: number;
  /** lines that are not ledger records (a line cut by a crash, another version) */
  skipped: number;
}

const TIME_PREFIX = `{"v":${LEDGER_RECORD_VERSION},"time":"`;
const NEWLINE = 0x0a;

/** A byte range of one ledger file: the lines that start inside it. */
export interface Segment {
  file: string;
  start: number;
  end: number;
}

/** Split the files into about `parts` ranges of similar size (never across files). */
export async function planSegments(files: string[], parts: number): Promise<Segment[]> {
  const sizes = await Promise.all(files.map(async (f) => ({ file: f, size: await stat(f).then((s) => s.size, () => 0) })));
  const total = sizes.reduce((n, f) => n + f.size, 0);
  const target = Math.max(1, Math.ceil(total / Math.max(1, parts)));
  const out: Segment[] = [];
  for (const { file, size } of sizes) {
    for (let start = 0; start < size; start += target) out.push({ file, start, end: Math.min(size, start + target) });
  }
  return out;
}

/** One record per line of a segment (the lines that start in [start, end)); returns lines seen and skipped. */
export async function readSegment(seg: Segment, sinceIso: string | undefined, visit: (r: LedgerRecord) => void): Promise<{ lines: number; skipped: number }> {
  const stats = { lines: 0, skipped: 0 };
  const take = (line: string): void => {
    if (line.length === 0) return;
    stats.lines++;
    if (sinceIso !== undefined && line.startsWith(TIME_PREFIX)) {
      // the time is the second field: compare it as text, and skip an old line unparsed
      if (line.slice(TIME_PREFIX.length, TIME_PREFIX.length + sinceIso.length) < sinceIso) return;
    }
    const r = parseLedgerLine(line);
    if (!r) {
      stats.skipped++;
      return;
    }
    if (sinceIso !== undefined && !line.startsWith(TIME_PREFIX) && r.time < sinceIso) return;
    visit(r);
  };
  // from the byte before `start`: the first line that starts at or after `start` is this segment's
  const readFrom = seg.start > 0 ? seg.start - 1 : 0;
  let skipFirst = seg.start > 0;
  let rest: Buffer | undefined;
  let restAt = readFrom; // file offset of rest[0]
  const stream = createReadStream(seg.file, { start: readFrom, highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf = rest && rest.length ? Buffer.concat([rest, chunk]) : chunk;
      const bufAt = restAt;
      let lineStart = 0;
      let done = false;
      for (let nl = buf.indexOf(NEWLINE, 0); nl !== -1; nl = buf.indexOf(NEWLINE, lineStart)) {
        if (skipFirst) skipFirst = false;
        else if (bufAt + lineStart >= seg.end) {
          done = true;
          break;
        } else take(buf.toString("utf8", lineStart, nl));
        lineStart = nl + 1;
      }
      if (done) {
        rest = undefined;
        stream.destroy();
        return stats;
      }
      rest = buf.subarray(lineStart);
      restAt = bufAt + lineStart;
    }
  } catch (err) {
    // a file rotated away between listing and reading is not an error: its lines are in the next one
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return stats;
    throw new InputError(`cannot read ${seg.file}: ${(err as Error).message}`, { code: "LEDGER_UNREADABLE", cause: err, hint: "check its permissions" });
  }
  // a last line without its newline (being written, or cut by a crash)
  if (rest && rest.length && !skipFirst && restAt < seg.end) take(rest.toString("utf8"));
  return stats;
}

/** Call `visit` for every record at or after `sinceIso` (ISO 8601 UTC, same format as the ledger's), in file order. */
export async function readLedger(dir: string, sinceIso: string | undefined, visit: (r: LedgerRecord) => void): Promise<ReadStats> {
  const files = await ledgerFiles(dir);
  const stats: ReadStats = { files: files.length, lines: 0, skipped: 0 };
  for (const seg of await planSegments(files, 1)) {
    const s = await readSegment(seg, sinceIso, visit);
    stats.lines += s.lines;
    stats.skipped += s.skipped;
  }
  return stats;
}
