/**
 * Streaming read of a ledger directory: the rotated files oldest first (ledger.jsonl.N ... .1), then the current one,
 * in 1 MiB chunks, one record at a time. Lines older than `since` are skipped by their time prefix without parsing.
 */
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
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

/** Call `visit` for every record at or after `sinceIso` (ISO 8601 UTC, same format as the ledger's). */
export async function readLedger(dir: string, sinceIso: string | undefined, visit: (r: LedgerRecord) => void): Promise<ReadStats> {
  const files = await ledgerFiles(dir);
  const stats: ReadStats = { files: files.length, lines: 0, skipped: 0 };
  const take = (line: string): void => {
    if (line.length === 0) return;
    stats.lines++;
    if (sinceIso !== undefined && line.startsWith(TIME_PREFIX)) {
      // the time is the second field: compare it as text, and skip an old line unparsed
      const time = line.slice(TIME_PREFIX.length, TIME_PREFIX.length + sinceIso.length);
      if (time < sinceIso) return;
    }
    const r = parseLedgerLine(line);
    if (!r) {
      stats.skipped++;
      return;
    }
    if (sinceIso !== undefined && !line.startsWith(TIME_PREFIX) && r.time < sinceIso) return;
    visit(r);
  };
  for (const file of files) {
    let rest = "";
    const stream = createReadStream(file, { encoding: "utf8", highWaterMark: 1 << 20 });
    try {
      for await (const chunk of stream as AsyncIterable<string>) {
        const text = rest + chunk;
        let start = 0;
        for (let nl = text.indexOf("\n", start); nl !== -1; nl = text.indexOf("\n", start)) {
          take(text.slice(start, nl));
          start = nl + 1;
        }
        rest = text.slice(start);
      }
    } catch (err) {
      // a file rotated away between listing and reading is not an error: its lines are in the next one
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new InputError(`cannot read ${file}: ${(err as Error).message}`, { code: "LEDGER_UNREADABLE", cause: err, hint: "check its permissions" });
    }
    take(rest);
  }
  return stats;
}
