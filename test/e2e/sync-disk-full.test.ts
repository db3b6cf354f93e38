/**
 * A full runtime disk, for real: a small tmpfs mounted for the test (needs root; CI runs as root). A full disk is
 * the runtime's problem, reported as such with what is free and what the new generation needs; never as an
 * unreadable source or an unexpected failure, and it never leaves a lock that blocks the next sync.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statfsSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DestinationFullError, copySource, scanSource } from "../../src/runtime/sync-source.js";
import { runCli, tempDir } from "../support/cli.js";
import { writeBuildOutput } from "../fixtures/sync/setup.js";

let work: { dir: string; cleanup: () => Promise<void> };
let mnt: string;
let src: string;
let mounted = false;

/** Fill the tmpfs until at most `leave` bytes are free (one file, removed by the caller). */
function fill(file: string, leave: number): void {
  const chunk = Buffer.alloc(64 * 1024, 1);
  const fd = openSync(file, "w");
  try {
    for (;;) {
      const free = statfsSync(mnt);
      if (free.bavail * free.bsize <= leave) break;
      const n = Math.min(chunk.length, free.bavail * free.bsize - leave);
      try {
        writeSync(fd, chunk, 0, Math.max(n, 1));
      } catch {
        break;
      }
    }
  } finally {
    closeSync(fd);
  }
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) {
    throw new Error("these tests mount a small tmpfs to fill it up: run them as root (CI does)");
  }
  work = await tempDir("gatewayctl-disk-full-");
  mnt = join(work.dir, "small-disk");
  mkdirSync(mnt);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", mnt]);
  mounted = true;
  src = join(work.dir, "src");
  await writeBuildOutput(src);
});

afterAll(async () => {
  if (mounted) execFileSync("umount", ["-l", mnt]);
  await work?.cleanup();
});

describe("a full runtime disk", () => {
  it("a source bigger than the free space is refused before anything is written, saying what is free and what is needed", async () => {
    writeFileSync(join(src, "model-card.bin"), randomBytes(2 * 1024 * 1024));
    const to = join(mnt, "big", "runtime");
    const r = await runCli(["sync", "--from", src, "--to", to]);
    rmSync(join(src, "model-card.bin"));
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/the runtime disk is full: .*small-disk\/big\/runtime\.generations has [\d.]+ (KiB|MiB|bytes) free \(\d+ files\); the new generation needs 2\.\d MiB in \d+ files/);
    expect(r.stderr).not.toMatch(/cannot be read|unexpected/i);
    expect(r.stderr).toContain("hint: free space on the file system of");
    expect(existsSync(`${to}.lock`)).toBe(false);
    expect(readdirSync(join(mnt, "big")).filter((n) => n !== "runtime.generations")).toEqual([]);
    expect(readdirSync(`${to}.generations`)).toEqual([]);
  });

  it("at 100% full: a full disk (not an unexpected failure), no lock left behind; once space is freed the next sync runs at once", async () => {
    const to = join(mnt, "full", "runtime");
    const first = await runCli(["sync", "--from", src, "--to", to]);
    expect(first.exitCode, first.stderr).toBe(0);
    writeFileSync(join(src, "routes.md"), "# a new build\n");
    const { restampBuildManifest } = await import("../fixtures/sync/setup.js");
    await restampBuildManifest(src);
    const filler = join(mnt, "filler");
    fill(filler, 0);
    const r = await runCli(["sync", "--from", src, "--to", to]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toContain("the runtime disk is full");
    expect(r.stderr).toContain("keeps running on generation 1");
    expect(r.stderr).not.toMatch(/cannot be read|unexpected|report it/i);
    expect(readdirSync(join(mnt, "full")).filter((n) => n.includes(".lock"))).toEqual([]);
    rmSync(filler);
    const again = await runCli(["sync", "--from", src, "--to", to]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain("synced generation 2");
  });

  for (const how of ["cp", "node"] as const) {
    it(`running out of space in the middle of the copy is the runtime disk's, not the source's (${how} copier)`, async () => {
      writeFileSync(join(src, "weights.bin"), randomBytes(600 * 1024));
      const entries = await scanSource(src, { timeoutMs: 10_000 });
      const files = entries.filter((e) => e.type === "f").map((e) => e.path);
      const staging = join(mnt, `staging-${how}`);
      mkdirSync(staging);
      const filler = join(mnt, "filler");
      fill(filler, 256 * 1024);
      try {
        const err = await copySource(src, staging, files, { timeoutMs: 10_000, ...(how === "cp" ? { entries } : {}) }).catch((e: unknown) => e);
        expect(err, String(err)).toBeInstanceOf(DestinationFullError);
        expect((err as DestinationFullError).code).toBe("ENOSPC");
      } finally {
        rmSync(filler);
        rmSync(staging, { recursive: true, force: true });
        rmSync(join(src, "weights.bin"));
      }
    });
  }
});
