/** The streaming reader: every line of every ledger file exactly once, however the files are split into segments. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledgerFiles, planSegments, readLedger, readSegment } from "../../src/report/read-ledger.js";
import type { LedgerRecord } from "../../src/report/record.js";

let dir: string;
const line = (i: number): string =>
  JSON.stringify({ v: 1, time: new Date(Date.UTC(2026, 11, 1, 0, 0, i)).toISOString(), client: i % 3 ? "app" : "änderung-ß-客户", status: "ok", tokensIn: i });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gatewayctl-read-ledger-"));
  // rotated files are older: .2 holds 0-99, .1 100-199, the current file 200-299 and a cut last line
  const lines = (from: number, to: number): string => Array.from({ length: to - from }, (_, k) => `${line(from + k)}\n`).join("");
  await writeFile(join(dir, "ledger.jsonl.2"), lines(0, 100));
  await writeFile(join(dir, "ledger.jsonl.1"), lines(100, 200));
  await writeFile(join(dir, "ledger.jsonl"), `${lines(200, 300)}{"v":1,"time":"2026-12-01T0`);
  await writeFile(join(dir, "other.txt"), "not a ledger file\n");
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the ledger reader", () => {
  it("lists the rotated files oldest first, then the current one", async () => {
    expect((await ledgerFiles(dir)).map((f) => f.slice(dir.length + 1))).toEqual(["ledger.jsonl.2", "ledger.jsonl.1", "ledger.jsonl"]);
  });

  it("reads every record once, in order, and counts the cut line as skipped", async () => {
    const seen: number[] = [];
    const stats = await readLedger(dir, undefined, (r) => seen.push(r.tokensIn!));
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(stats).toEqual({ files: 3, lines: 301, skipped: 1 });
  });

  it("gives each line to exactly one segment, for any number of segments (multibyte names included)", async () => {
    const files = await ledgerFiles(dir);
    for (const parts of [2, 3, 7, 50, 997]) {
      const seen: LedgerRecord[] = [];
      let skipped = 0;
      for (const seg of await planSegments(files, parts)) skipped += (await readSegment(seg, undefined, (r) => seen.push(r))).skipped;
      expect(seen.map((r) => r.tokensIn).sort((a, b) => a! - b!), `${parts} parts`).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(seen.filter((r) => r.client !== "app").every((r) => r.client === "änderung-ß-客户")).toBe(true);
      expect(skipped, `${parts} parts`).toBe(1);
    }
  });

  it("skips lines before --since", async () => {
    const seen: number[] = [];
    await readLedger(dir, "2026-12-01T00:04:10", (r) => seen.push(r.tokensIn!));
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => 250 + i));
  });
});
