/**
 * The runtime directory is always one complete generation: under readers that run while syncs swap generations,
 * and after `gatewayctl sync` is killed with SIGKILL at random moments (many times).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { readFile, realpath } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyGeneration, type Manifest } from "../../src/runtime/sync-generations.js";
import { CLI, runCli, tempDir } from "../support/cli.js";
import { writeBuildOutput } from "../fixtures/sync/setup.js";

const EXTRA_FILES = 150;
let work: { dir: string; cleanup: () => Promise<void> };
let srcA: string;
let srcB: string;

/** A build output plus EXTRA_FILES files whose first line names the version. */
async function makeSource(dir: string, version: string): Promise<void> {
  await writeBuildOutput(dir);
  for (let i = 0; i < EXTRA_FILES; i++) {
    const sub = join(dir, "extra", `d${i % 10}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.txt`), `version ${version}\n${"x".repeat(200 + ((i * 37) % 900))}\n`);
  }
}

beforeAll(async () => {
  work = await tempDir("gatewayctl-sync-crash-");
  srcA = join(work.dir, "src-a");
  srcB = join(work.dir, "src-b");
  await makeSource(srcA, "A");
  await makeSource(srcB, "B");
});

afterAll(async () => {
  await work?.cleanup();
});

/**
 * Read the whole runtime the way a consumer should: resolve the runtime path once (Docker does this when it
 * mounts it), then read every file in that directory. Returns the version all extra files carry.
 */
async function readWholeRuntime(dir: string): Promise<string> {
  const gen = await realpath(dir);
  const manifest = JSON.parse(await readFile(join(gen, ".gatewayctl-manifest.json"), "utf8")) as Manifest;
  const versions = new Set<string>();
  for (const f of manifest.files) {
    const buf = await readFile(join(gen, f.path));
    if (createHash("sha256").update(buf).digest("hex") !== f.sha256) throw new Error(`${gen}/${f.path} does not match its manifest`);
    if (f.path.startsWith("extra/")) versions.add(buf.toString("utf8").split("\n")[0]!);
  }
  if (manifest.files.length < EXTRA_FILES + 5) {
    throw new Error(`${gen} holds only ${manifest.files.length} files`);
  }
  if (versions.size !== 1) throw new Error(`${gen} mixes versions: ${[...versions].join(", ")}`);
  return [...versions][0]!;
}

describe("atomic swap", () => {
  it("readers running during syncs always see exactly one complete generation", async () => {
    const dir = join(work.dir, "readers", "runtime");
    const first = await runCli(["sync", "--from", srcA, "--to", dir, "--keep", "5"]);
    expect(first.exitCode, first.stderr).toBe(0);
    let stop = false;
    const seen = new Map<string, number>();
    const errors: string[] = [];
    const reader = async (): Promise<void> => {
      while (!stop) {
        try {
          const v = await readWholeRuntime(dir);
          seen.set(v, (seen.get(v) ?? 0) + 1);
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
    };
    const readers = [reader(), reader()];
    for (let i = 0; i < 6; i++) {
      const r = await runCli(["sync", "--from", i % 2 ? srcA : srcB, "--to", dir, "--keep", "5"]);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    stop = true;
    await Promise.all(readers);
    expect(errors).toEqual([]);
    // both versions were live at some point while the readers ran
    expect(seen.get("version A") ?? 0).toBeGreaterThan(0);
    expect(seen.get("version B") ?? 0).toBeGreaterThan(0);
  });
});

describe("kill -9 during sync", () => {
  it("leaves the runtime a complete generation every time (32 kills at random moments), and the next sync recovers", async () => {
    const dir = join(work.dir, "killed", "runtime");
    const first = await runCli(["sync", "--from", srcA, "--to", dir]);
    expect(first.exitCode, first.stderr).toBe(0);
    // how long one whole sync takes on this machine now: kills land anywhere from its start to past its end
    const t0 = Date.now();
    const timed = await runCli(["sync", "--from", srcB, "--to", dir]);
    expect(timed.exitCode, timed.stderr).toBe(0);
    const full = Date.now() - t0;
    const outcomes = { completed: 0, killed: 0 };
    const versions = new Set<string>();
    for (let i = 0; i < 32; i++) {
      const child = spawn(process.execPath, [CLI, "sync", "--from", i % 2 ? srcA : srcB, "--to", dir, "--keep", "3"], { stdio: "ignore" });
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      await new Promise((r) => setTimeout(r, Math.floor(Math.min(full, 2_500) * (0.05 + Math.random() * 1.25))));
      child.kill("SIGKILL");
      const code = await exited;
      if (code === 0) outcomes.completed++;
      else outcomes.killed++;

      expect(lstatSync(dir).isSymbolicLink()).toBe(true);
      const { problems } = await verifyGeneration(dir);
      expect(problems, `after kill ${i}`).toEqual([]);
      versions.add(await readWholeRuntime(dir));
    }
    expect(outcomes.killed).toBeGreaterThan(0);

    // let any orphaned copier notice its parent is gone, then a normal sync must succeed and clean up
    await new Promise((r) => setTimeout(r, 500));
    const after = await runCli(["sync", "--from", srcB, "--to", dir, "--json"]);
    expect(after.exitCode, after.stderr).toBe(0);
    expect(await readWholeRuntime(dir)).toBe("version B");
    expect(existsSync(`${dir}.lock`)).toBe(false);
    const leftovers = readdirSync(`${dir}.generations`).filter((n) => !n.startsWith("gen-") && n !== "current");
    expect(leftovers).toEqual([]);
    for (const g of readdirSync(`${dir}.generations`)) {
      expect((await verifyGeneration(join(`${dir}.generations`, g))).problems, g).toEqual([]);
    }
    console.log(`kill -9 during sync (a full sync took ${full} ms): ${outcomes.killed} killed mid-way, ${outcomes.completed} completed before the kill; versions seen: ${[...versions].join(", ")}`);
  }, 180_000);
});

/**
 * The file set of a build as { path → sha256 } (its build manifest's files plus the manifest itself), to tell which
 * build a generation's files came from.
 */
async function buildFiles(dir: string): Promise<Map<string, string>> {
  const manifest = JSON.parse(await readFile(join(dir, "build-manifest.json"), "utf8")) as { files: Array<{ path: string; sha256: string }> };
  const out = new Map(manifest.files.map((f) => [f.path, f.sha256]));
  out.set("build-manifest.json", createHash("sha256").update(await readFile(join(dir, "build-manifest.json"))).digest("hex"));
  return out;
}

/** Which of the builds every build file of a generation belongs to; "mixed" when they come from more than one. */
async function generationBuild(gen: string, builds: Record<string, Map<string, string>>): Promise<string> {
  const owners = new Set<string>();
  for (const path of builds.A!.keys()) {
    const buf = await readFile(join(gen, path)).catch(() => undefined);
    const sha = buf ? createHash("sha256").update(buf).digest("hex") : "missing";
    const of = Object.entries(builds).filter(([, files]) => files.get(path) === sha).map(([name]) => name);
    if (of.length === 0) return `mixed: ${path} is from no build`;
    if (of.length === 1) owners.add(of[0]!);
  }
  return owners.size === 1 ? [...owners][0]! : `mixed: ${[...owners].join("+")}`;
}

describe("kill -9 during sync while the source is being rewritten", () => {
  /**
   * A writer rewrites the source over and over, file by file in random order (as a NAS sync or a git pull does),
   * alternating two builds that both prove themselves; syncs are started and killed at random moments meanwhile.
   * Every generation on disk must be one build or the other, never files of both.
   */
  for (const withManifest of [true, false]) {
    it(`never leaves a generation mixing two builds (${withManifest ? "100 tries, checked against the build manifest" : "40 tries, no build manifest: the second pass"})`, async () => {
      const root = join(work.dir, withManifest ? "rewrite" : "rewrite-no-manifest");
      const buildA = join(root, "build-a");
      const buildB = join(root, "build-b");
      await writeBuildOutput(buildA, { port: 4100 });
      await writeBuildOutput(buildB, { port: 4200, extraRoutes: { notes: { lane: "private", model: "llama" } } });
      const builds = { A: await buildFiles(buildA), B: await buildFiles(buildB) };
      const contents = (dir: string, files: Map<string, string>) => Object.fromEntries([...files.keys()].map((p) => [p, readFileSync(join(dir, p), "utf8")]));
      const A = contents(buildA, builds.A);
      const B = contents(buildB, builds.B);
      if (!withManifest) {
        delete A["build-manifest.json"];
        delete B["build-manifest.json"];
        builds.A.delete("build-manifest.json");
        builds.B.delete("build-manifest.json");
      }
      expect(Object.keys(A).sort()).toEqual(Object.keys(B).sort());
      const src = join(root, "src");
      mkdirSync(src, { recursive: true });
      for (const [p, c] of Object.entries(A)) {
        mkdirSync(dirname(join(src, p)), { recursive: true });
        writeFileSync(join(src, p), c);
      }
      const dir = join(root, "runtime");
      const first = await runCli(["sync", "--from", src, "--to", dir]);
      expect(first.exitCode, first.stderr).toBe(0);
      // how long one whole sync of a changed source takes here: kills land anywhere from its start to well past its end
      writeFileSync(join(src, "routes.md"), "# a source that is neither build\n");
      const t0 = Date.now();
      await runCli(["sync", "--from", src, "--to", dir, "--dry-run"]);
      const full = Date.now() - t0;
      for (const [p, c] of Object.entries(A)) writeFileSync(join(src, p), c);

      const writerSource = `
        const fs = require("node:fs"), path = require("node:path");
        const [src, a, b] = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
        const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
        for (let i = 0; ; i++) {
          const files = Object.entries(i % 2 ? a : b).sort(() => Math.random() - 0.5);
          for (const [p, c] of files) { fs.writeFileSync(path.join(src, p), c); if (Math.random() < 0.3) sleep(1 + Math.random() * 4); }
          sleep(20 + Math.random() * 180);
        }`;
      // the two builds' files go to the writer in a file: together they are larger than one argument may be
      const builds2 = join(root, "builds.json");
      writeFileSync(builds2, JSON.stringify([src, A, B]));
      const writer = spawn(process.execPath, ["-e", writerSource, builds2], { stdio: "ignore" });
      const tries = withManifest ? 100 : 40;
      const outcomes = { completed: 0, refused: 0, killed: 0 };
      try {
        for (let i = 0; i < tries; i++) {
          const child = spawn(process.execPath, [CLI, "sync", "--from", src, "--to", dir, "--keep", "3"], { stdio: "ignore" });
          const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
          // every fifth sync runs to its end (a completed sync under a rewriting source must be one build too)
          const killer = i % 5 === 4 ? undefined : setTimeout(() => child.kill("SIGKILL"), Math.floor(full * Math.random() * 2));
          const code = await exited;
          clearTimeout(killer);
          if (code === 0) outcomes.completed++;
          else if (code === 1) outcomes.refused++;
          else outcomes.killed++;
          expect(await generationBuild(await realpath(dir), builds), `live generation after try ${i}`).toMatch(/^[AB]$/);
        }
      } finally {
        writer.kill("SIGKILL");
      }
      const generations = readdirSync(`${dir}.generations`).filter((n) => n.startsWith("gen-"));
      for (const g of generations) expect(await generationBuild(join(`${dir}.generations`, g), builds), g).toMatch(/^[AB]$/);
      console.log(`kill -9 while the source is rewritten (${withManifest ? "manifest" : "second pass"}): ${tries} tries: ${outcomes.completed} completed, ${outcomes.refused} refused (source kept changing), ${outcomes.killed} killed; ${generations.length} generations on disk, 0 mixed`);
      expect(outcomes.killed, JSON.stringify(outcomes)).toBeGreaterThan(0);
      expect(outcomes.completed, JSON.stringify(outcomes)).toBeGreaterThan(0);
    }, 300_000);
  }
});

