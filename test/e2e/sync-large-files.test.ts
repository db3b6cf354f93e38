/**
 * Large files in the sync source (model cards, a vendored wheel, a mistake): sync streams them, so its memory stays
 * flat, and a file over 2 GiB (the most one Node read can return) syncs like any other. The files are sparse, so
 * the test costs little disk.
 */
import { spawnSync } from "node:child_process";
import { closeSync, openSync, ftruncateSync, writeSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copySource, scanSource } from "../../src/runtime/sync-source.js";
import { sha256FileSync } from "../../src/runtime/sync-generations.js";
import { CLI, tempDir } from "../support/cli.js";
import { writeBuildOutput } from "../fixtures/sync/setup.js";

const GiB = 1024 * 1024 * 1024;
let work: { dir: string; cleanup: () => Promise<void> };
let src: string;

/** A sparse file of `size` bytes with a few real bytes at both ends. */
function sparseFile(file: string, size: number): void {
  const fd = openSync(file, "w");
  try {
    writeSync(fd, "head of a large file\n");
    ftruncateSync(fd, size);
    writeSync(fd, "tail\n", size - 5);
  } finally {
    closeSync(fd);
  }
}

/** Run the built CLI with a hook that prints its own peak resident memory (KiB) when it exits. */
function cliWithPeakMemory(args: string[]): { status: number | null; stderr: string; stdout: string; maxRssKiB: number } {
  const hook = `data:text/javascript,process.on("exit",()=>process.stderr.write("\\nPEAK-RSS-KIB "+process.resourceUsage().maxRSS+"\\n"))`;
  const r = spawnSync(process.execPath, ["--import", hook, CLI, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  const { status, stdout, stderr } = r;
  const m = /PEAK-RSS-KIB (\d+)/.exec(stderr);
  return { status, stdout, stderr, maxRssKiB: m ? Number(m[1]) : Number.NaN };
}

beforeAll(async () => {
  work = await tempDir("gatewayctl-large-");
  src = join(work.dir, "src");
  await writeBuildOutput(src);
});

afterAll(async () => {
  await work?.cleanup();
});

describe("large files in the source", () => {
  it("a 1 GiB file syncs with flat memory (the copy is streamed and hashed in chunks)", () => {
    sparseFile(join(src, "model-card.bin"), GiB);
    const r = cliWithPeakMemory(["sync", "--from", src, "--to", join(work.dir, "rt1", "runtime")]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("synced generation 1");
    // a whole-file read would hold the gigabyte (about 1.1 GB peak before); streamed, the CLI stays near its usual size
    expect(r.maxRssKiB, `peak resident memory ${r.maxRssKiB} KiB`).toBeLessThan(300 * 1024);
    expect(readFileSync(join(work.dir, "rt1", "runtime", "model-card.bin")).subarray(0, 21).toString()).toBe("head of a large file\n");
  }, 120_000);

  it("a file over 2 GiB syncs (both copiers), with the right hash", async () => {
    const big = join(src, "model-card.bin");
    sparseFile(big, 2 * GiB + 4096);
    const r = cliWithPeakMemory(["sync", "--from", src, "--to", join(work.dir, "rt2", "runtime")]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("cause:");
    const expected = sha256FileSync(big);
    const manifest = JSON.parse(readFileSync(join(work.dir, "rt2", "runtime", ".gatewayctl-manifest.json"), "utf8")) as { files: Array<{ path: string; sha256: string; size: number }> };
    expect(manifest.files.find((f) => f.path === "model-card.bin")).toMatchObject({ sha256: expected.sha256, size: 2 * GiB + 4096 });
    // the Node copier (no cp on the machine, and the dry run) hashes it in chunks too
    const entries = await scanSource(src, { timeoutMs: 30_000 });
    const [hashed] = await copySource(src, null, ["model-card.bin"], { timeoutMs: 30_000 });
    expect(entries.find((e) => e.path === "model-card.bin")?.size).toBe(2 * GiB + 4096);
    expect(hashed).toMatchObject({ path: "model-card.bin", sha256: expected.sha256, size: 2 * GiB + 4096 });
  }, 180_000);
});
