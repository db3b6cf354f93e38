/**
 * syncRuntime / rollbackRuntime / readRuntimeGeneration against the real filesystem: generations, manifests,
 * no-op detection, dry run, retention, migration, locks, and every way a source can be unusable.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OperationError } from "../../src/lib/errors.js";
import { rollbackRuntime, readRuntimeGeneration, syncRuntime, type SyncReport } from "../../src/runtime/sync.js";
import { MANIFEST_NAME, pinGeneration, verifyGeneration } from "../../src/runtime/sync-generations.js";
import { runKillable, scanSource, SourceTimeoutError } from "../../src/runtime/sync-source.js";
import { ROOT, tempDir } from "../support/cli.js";
import { restampBuildManifest, writeBuildOutput } from "../fixtures/sync/setup.js";

let work: { dir: string; cleanup: () => Promise<void> };
let src: string;
let dir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  work = await tempDir("gatewayctl-sync-");
  src = join(work.dir, "src");
  dir = join(work.dir, "local", "runtime");
  await writeBuildOutput(src);
});

afterEach(async () => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  await work.cleanup();
});

/** Everything under the runtime's parent, with sizes and mtimes: "nothing was written" means this is unchanged. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    for (const name of readdirSync(p).sort()) {
      const full = join(p, name);
      const s = lstatSync(full);
      out.push(`${full} ${s.isSymbolicLink() ? `-> ${readlinkSync(full)}` : s.isDirectory() ? "dir" : `${s.size} ${s.mtimeMs}`}`);
      if (s.isDirectory() && !s.isSymbolicLink()) walk(full);
    }
  };
  walk(root);
  return out;
}

async function expectOperationError(p: Promise<unknown>, code: string): Promise<OperationError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OperationError);
  expect((err as OperationError).code).toBe(code);
  expect((err as OperationError).exitCode).toBe(1);
  return err as OperationError;
}

describe("first sync, no-op, changes", () => {
  it("creates generation 1: D is a symlink to a complete generation with a verified manifest", async () => {
    const r = await syncRuntime({ from: src, to: dir });
    expect(r.action).toBe("synced");
    expect(r.generation).toBe(1);
    expect(r.previousGeneration).toBeUndefined();
    expect(r.added).toContain("config.yaml");
    expect(r.added).toContain("route-map.json");
    expect(r.changed).toEqual([]);
    expect(lstatSync(dir).isSymbolicLink()).toBe(true);
    expect(readlinkSync(dir)).toBe("runtime.generations/gen-000001");
    const { manifest, problems } = await verifyGeneration(dir);
    expect(problems).toEqual([]);
    expect(manifest?.hash).toBe(r.hash);
    expect(manifest?.source).toBe(src);
    expect(readFileSync(join(dir, "config.yaml"), "utf8")).toBe(readFileSync(join(src, "config.yaml"), "utf8"));
    expect(await readRuntimeGeneration(dir)).toEqual({ generation: 1, hash: r.hash });
    // a generation keeps the source's permission bits
    expect(statSync(join(dir, "config.yaml")).mode & 0o777).toBe(statSync(join(src, "config.yaml")).mode & 0o777);
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  it("is a no-op when nothing changed, also after a rebuild that only touched timestamps", async () => {
    const first = await syncRuntime({ from: src, to: dir });
    const again = await syncRuntime({ from: src, to: dir });
    expect(again).toMatchObject({ action: "unchanged", generation: 1, hash: first.hash, added: [], changed: [], removed: [] });
    expect(again.summary).toBe("unchanged, still generation 1");
    const later = new Date(Date.now() + 5_000);
    for (const f of ["config.yaml", "routes.md"]) utimesSync(join(src, f), later, later);
    const touched = await syncRuntime({ from: src, to: dir });
    expect(touched).toMatchObject({ action: "unchanged", generation: 1 });
    expect(readdirSync(`${dir}.generations`).sort()).toEqual(["current", "gen-000001"]);
    // the container reads through D.generations/current, which names the live generation
    expect(readlinkSync(join(`${dir}.generations`, "current"))).toBe("gen-000001");
    expect((await verifyGeneration(dir)).problems).toEqual([]);
  });

  it("reports added, changed and removed files and keeps the previous generation", async () => {
    await syncRuntime({ from: src, to: dir });
    writeFileSync(join(src, "routes.md"), "# changed\n");
    writeFileSync(join(src, "extra.txt"), "new\n");
    rmSync(join(src, ".env.example")); await restampBuildManifest(src);
    const r = await syncRuntime({ from: src, to: dir });
    expect(r).toMatchObject({ action: "synced", generation: 2, previousGeneration: 1, added: ["extra.txt"], changed: ["build-manifest.json", "routes.md"], removed: [".env.example"] });
    expect(r.summary).toBe("synced generation 2 (was 1): 1 added, 2 changed, 1 removed");
    expect(readFileSync(join(dir, "routes.md"), "utf8")).toBe("# changed\n");
    expect(existsSync(join(dir, ".env.example"))).toBe(false);
    expect(existsSync(join(`${dir}.generations`, "gen-000001", ".env.example"))).toBe(true);
  });

  it("copies nested directories, keeps the execute bit in the hash, and never copies .git", async () => {
    mkdirSync(join(src, ".git", "objects"), { recursive: true });
    writeFileSync(join(src, ".git", "HEAD"), "ref: refs/heads/main\n");
    writeFileSync(join(src, "hook.sh"), "#!/bin/sh\n", { mode: 0o755 }); await restampBuildManifest(src);
    const r = await syncRuntime({ from: src, to: dir });
    expect(r.added).toContain("clients/continue.yaml");
    expect(r.added).toContain("hook.sh");
    expect(r.added.some((p) => p.startsWith(".git"))).toBe(false);
    expect(statSync(join(dir, "hook.sh")).mode & 0o111).not.toBe(0);
    chmodSync(join(src, "hook.sh"), 0o644);
    const r2 = await syncRuntime({ from: src, to: dir });
    expect(r2).toMatchObject({ action: "synced", changed: ["hook.sh"] });
  });

  it("a source that is itself a runtime generation: its manifest is not copied, and a re-sync is a no-op", async () => {
    const other = join(work.dir, "other", "runtime");
    await syncRuntime({ from: src, to: other });
    const r = await syncRuntime({ from: other, to: dir });
    expect(r.added).not.toContain(MANIFEST_NAME);
    expect(await syncRuntime({ from: other, to: dir })).toMatchObject({ action: "unchanged", generation: 1 });
  });

  it("the Node scanner (used where find lacks -printf) lists the same tree as find", async () => {
    mkdirSync(join(src, ".git"), { recursive: true });
    writeFileSync(join(src, ".git", "HEAD"), "x");
    symlinkSync(join(src, "routes.md"), join(src, "linked.md"));
    const byFind = await scanSource(src, { timeoutMs: 5_000, scanner: "find" });
    const byNode = await scanSource(src, { timeoutMs: 5_000, scanner: "node" });
    expect(byNode).toEqual(byFind);
    expect(byFind.find((e) => e.path === "linked.md")).toMatchObject({ type: "f" });
    const r = await syncRuntime({ from: src, to: dir, scanner: "node" });
    expect(r.action).toBe("synced");
    expect(await syncRuntime({ from: src, to: dir, scanner: "find" })).toMatchObject({ action: "unchanged" });
  });
});

describe("symbolic links and modes", () => {
  for (const scanner of ["find", "node"] as const) {
    it(`refuses a link out of the source, copying nothing of what it points at (${scanner} lister)`, async () => {
      const outside = join(work.dir, "outside-tree");
      mkdirSync(join(outside, "deep"), { recursive: true });
      writeFileSync(join(outside, "deep", "id_rsa"), "PRIVATE KEY OUTSIDE THE SOURCE\n");
      symlinkSync(outside, join(src, "vendor"));
      await restampBuildManifest(src);
      const err = await syncRuntime({ from: src, to: dir, scanner }).catch((e: unknown) => e);
      expect((err as OperationError).code, String(err)).toBe("SOURCE_LINK_OUTSIDE");
      expect((err as Error).message).toContain(`vendor is a symbolic link to ${outside}, outside the source`);
      expect(existsSync(dir)).toBe(false);
      const generations = existsSync(`${dir}.generations`) ? readdirSync(`${dir}.generations`, { recursive: true }).map(String) : [];
      expect(generations.filter((n) => n.includes("id_rsa"))).toEqual([]);
      // a file link out of the source, too
      rmSync(join(src, "vendor"));
      symlinkSync(join(outside, "deep", "id_rsa"), join(src, "key.txt"));
      const err2 = await syncRuntime({ from: src, to: dir, scanner }).catch((e: unknown) => e);
      expect((err2 as OperationError).code, String(err2)).toBe("SOURCE_LINK_OUTSIDE");
    });

    it(`follows a link that stays inside the source (${scanner} lister)`, async () => {
      mkdirSync(join(src, "docs"), { recursive: true });
      writeFileSync(join(src, "docs", "notes.md"), "inside\n");
      symlinkSync("docs", join(src, "docs-link"));
      symlinkSync("docs/notes.md", join(src, "notes.md"));
      await restampBuildManifest(src);
      const r = await syncRuntime({ from: src, to: dir, scanner });
      expect(r.action).toBe("synced");
      expect(readFileSync(join(dir, "docs-link", "notes.md"), "utf8")).toBe("inside\n");
      expect(readFileSync(join(dir, "notes.md"), "utf8")).toBe("inside\n");
      expect(lstatSync(join(dir, "notes.md")).isSymbolicLink()).toBe(false);
    });
  }

  it("keeps modes: a 0600 file stays 0600, a 0700 directory stays 0700, an executable stays executable", async () => {
    mkdirSync(join(src, "private"), { mode: 0o700 });
    chmodSync(join(src, "private"), 0o700);
    writeFileSync(join(src, "private", "token"), "t\n");
    chmodSync(join(src, "private", "token"), 0o600);
    writeFileSync(join(src, "run.sh"), "#!/bin/sh\n");
    chmodSync(join(src, "run.sh"), 0o750);
    await restampBuildManifest(src);
    for (const scanner of ["find", "node"] as const) {
      const to = join(work.dir, "local", `modes-${scanner}`);
      await syncRuntime({ from: src, to, scanner });
      expect(statSync(join(to, "private", "token")).mode & 0o777).toBe(0o600);
      expect(statSync(join(to, "private")).mode & 0o777).toBe(0o700);
      expect(statSync(join(to, "run.sh")).mode & 0o777).toBe(0o750);
      expect(statSync(join(to, "config.yaml")).mode & 0o777).toBe(statSync(join(src, "config.yaml")).mode & 0o777);
    }
    // a mode change alone is a change: the next sync makes a new generation with the new mode
    const to = join(work.dir, "local", "modes-find");
    chmodSync(join(src, "run.sh"), 0o700);
    const r = await syncRuntime({ from: src, to });
    expect(r).toMatchObject({ action: "synced", changed: ["run.sh"] });
    expect(statSync(join(to, "run.sh")).mode & 0o777).toBe(0o700);
  });
});

describe("one build, not parts of two", () => {
  it("refuses at once a source edited after its build (a file differs from build-manifest.json); the runtime is untouched", async () => {
    await syncRuntime({ from: src, to: dir });
    const live = readFileSync(join(dir, "config.yaml"), "utf8");
    writeFileSync(join(src, "config.yaml"), `${live}# edited by hand\n`);
    const t0 = Date.now();
    const err = await syncRuntime({ from: src, to: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationError);
    expect((err as OperationError).code).toBe("SOURCE_INVALID");
    expect((err as Error).message).toContain("config.yaml is not the file build-manifest.json lists");
    expect((err as Error).message).toContain("keeps running on generation 1");
    // a source that holds still is not read five times over
    expect(Date.now() - t0).toBeLessThan(900);
    expect(readFileSync(join(dir, "config.yaml"), "utf8")).toBe(live);
    const dry = await syncRuntime({ from: src, to: dir, dryRun: true }).catch((e: unknown) => e);
    expect((dry as OperationError).code).toBe("SOURCE_INVALID");
  });

  it("a source without a build manifest (an older build, a hand-made copy) still syncs, after a second pass", async () => {
    rmSync(join(src, "build-manifest.json"));
    const r = await syncRuntime({ from: src, to: dir });
    expect(r.action).toBe("synced");
    expect(existsSync(join(dir, "config.yaml"))).toBe(true);
  });
});

describe("dry run", () => {
  it("reports what would change and writes nothing (no lock, no staging, no generation)", async () => {
    await syncRuntime({ from: src, to: dir });
    writeFileSync(join(src, "routes.md"), "# changed\n"); await restampBuildManifest(src);
    const before = snapshot(join(work.dir, "local"));
    const r = await syncRuntime({ from: src, to: dir, dryRun: true });
    expect(r).toMatchObject({ action: "dry-run", wouldChange: true, generation: 2, previousGeneration: 1, changed: ["build-manifest.json", "routes.md"], added: [], removed: [] });
    expect(r.summary).toContain("nothing was written");
    expect(snapshot(join(work.dir, "local"))).toEqual(before);
  });

  it("on a fresh machine: would create generation 1; nothing exists afterwards", async () => {
    const r = await syncRuntime({ from: src, to: dir, dryRun: true });
    expect(r).toMatchObject({ action: "dry-run", wouldChange: true, generation: 1 });
    expect(existsSync(join(work.dir, "local"))).toBe(false);
  });

  it("reports unchanged when the source matches", async () => {
    await syncRuntime({ from: src, to: dir });
    const r = await syncRuntime({ from: src, to: dir, dryRun: true });
    expect(r).toMatchObject({ action: "dry-run", wouldChange: false, generation: 1 });
  });
});

describe("an unusable source leaves the runtime untouched and says which generation keeps running", () => {
  let first: SyncReport;
  let before: string[];
  beforeEach(async () => {
    first = await syncRuntime({ from: src, to: dir });
    before = snapshot(join(work.dir, "local"));
  });
  afterEach(() => {
    expect(snapshot(join(work.dir, "local"))).toEqual(before);
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  it("missing", async () => {
    const missing = join(work.dir, "nas-not-mounted");
    const err = await expectOperationError(syncRuntime({ from: missing, to: dir }), "SOURCE_MISSING");
    expect(err.message).toBe(`the source ${missing} does not exist (not mounted?); the runtime was not changed and the gateway keeps running on generation ${first.generation}`);
    expect(err.hint).toMatch(/mount the source/);
  });

  it("empty (a mount point with nothing mounted)", async () => {
    const empty = join(work.dir, "empty");
    mkdirSync(join(empty, "sub"), { recursive: true });
    const err = await expectOperationError(syncRuntime({ from: empty, to: dir }), "SOURCE_MISSING");
    expect(err.message).toContain(`the source ${empty} is empty`);
    expect(err.message).toContain("keeps running on generation 1");
  });

  it("not a directory", async () => {
    const file = join(src, "config.yaml");
    const err = await expectOperationError(syncRuntime({ from: file, to: dir }), "SOURCE_UNREADABLE");
    expect(err.message).toContain("is not a directory");
  });

  it("unreadable (a dangling symlink inside)", async () => {
    symlinkSync(join(work.dir, "gone"), join(src, "dangling.yaml"));
    const err = await expectOperationError(syncRuntime({ from: src, to: dir }), "SOURCE_UNREADABLE");
    expect(err.message).toContain("dangling.yaml");
    expect(err.message).toContain("keeps running on generation 1");
  });

  it("hangs (a FIFO nobody writes to, like a read from an NFS mount that stopped answering): killed after the timeout", async () => {
    rmSync(join(src, "routes.md")); await restampBuildManifest(src);
    execFileSync("mkfifo", [join(src, "routes.md")]);
    const t0 = Date.now();
    const err = await expectOperationError(syncRuntime({ from: src, to: dir, timeoutMs: 1_000 }), "SOURCE_HUNG");
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(elapsed).toBeLessThan(8_000);
    expect(err.message).toContain(`the source ${src} did not answer`);
    expect(err.message).toContain("made no progress for 1s");
    expect(err.message).toContain("the gateway keeps running on generation 1");
  });

  it("hangs with the Node scanner too", async () => {
    rmSync(join(src, "config.yaml")); await restampBuildManifest(src);
    execFileSync("mkfifo", [join(src, "config.yaml")]);
    await expectOperationError(syncRuntime({ from: src, to: dir, timeoutMs: 800, scanner: "node" }), "SOURCE_HUNG");
  });

  it("holds a config.yaml that is not YAML", async () => {
    writeFileSync(join(src, "config.yaml"), "model_list: [\n  - : :\n"); await restampBuildManifest(src);
    const err = await expectOperationError(syncRuntime({ from: src, to: dir }), "SOURCE_INVALID");
    expect(err.message).toContain("is not a usable gatewayctl build");
    expect(err.message).toContain("not valid YAML");
    expect(err.message).toContain("keeps running on generation 1");
  });

  it("has no config.yaml", async () => {
    rmSync(join(src, "config.yaml")); await restampBuildManifest(src);
    const err = await expectOperationError(syncRuntime({ from: src, to: dir }), "SOURCE_INVALID");
    expect(err.message).toContain("has no config.yaml");
  });

  it("leaks a local-only route to a cloud provider (privacy proof against route-map.json)", async () => {
    const cfg = readFileSync(join(src, "config.yaml"), "utf8");
    const leaky = cfg.replace(/api_base: .*11434.*/g, "api_base: https://api.openai.com/v1").replace(/ollama_chat\//g, "openai/");
    expect(leaky).not.toBe(cfg);
    writeFileSync(join(src, "config.yaml"), leaky); await restampBuildManifest(src);
    const err = await expectOperationError(syncRuntime({ from: src, to: dir }), "SOURCE_LEAKS");
    expect(err.message).toContain("fails the privacy proof against its route-map.json");
    expect(err.message).toContain("secure-core");
  });

  it("has no route-map.json and no policy was given: privacy cannot be proven", async () => {
    rmSync(join(src, "route-map.json")); await restampBuildManifest(src);
    const err = await expectOperationError(syncRuntime({ from: src, to: dir }), "SOURCE_INVALID");
    expect(err.message).toContain("has no route-map.json");
  });
});

describe("validation against the artifact's own route map", () => {
  it("syncs a build whose policy trusts a public-looking host as local (trustAsLocal), as build proved it", async () => {
    const { parsePolicy } = await import("../../src/policy/load-policy.js");
    const { buildGateway } = await import("../../src/compile/index.js");
    const text = readFileSync(join(ROOT, "test", "fixtures", "sync", "policy.yaml"), "utf8").replace(
      'ollama: { type: ollama, url: "http://127.0.0.1:11434", location: local }',
      'ollama: { type: ollama, url: "http://gpu.example.net:11434", location: local, trustAsLocal: true }',
    );
    const out = join(work.dir, "trusted");
    const parsed = parsePolicy(text, "gateway.policy.yaml");
    const compiled = buildGateway({ ...parsed, file: "gateway.policy.yaml", dir: work.dir, source: text });
    for (const f of compiled.files) {
      mkdirSync(dirname(join(out, f.path)), { recursive: true });
      writeFileSync(join(out, f.path), f.content);
    }
    const r = await syncRuntime({ from: out, to: dir });
    expect(r.action).toBe("synced");
  });
});

describe("retention, pins, migration", () => {
  it("keeps `keep` previous generations besides the current one, never a pinned one", async () => {
    await syncRuntime({ from: src, to: dir, keep: 2 });
    await pinGeneration(dir, "docker", 1);
    for (let i = 2; i <= 6; i++) {
      writeFileSync(join(src, "routes.md"), `# v${i}\n`); await restampBuildManifest(src);
      const r = await syncRuntime({ from: src, to: dir, keep: 2 });
      expect(r.generation).toBe(i);
    }
    expect(readdirSync(`${dir}.generations`).filter((n) => n !== "current").sort()).toEqual(["gen-000001", "gen-000004", "gen-000005", "gen-000006"]);
  });

  it("migrates a runtime directory from before generations (a plain directory) into generation 1", async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "config.yaml"), readFileSync(join(src, "config.yaml")));
    writeFileSync(join(dir, "route-map.json"), readFileSync(join(src, "route-map.json")));
    writeFileSync(join(dir, "old-only.txt"), "from the old install\n");
    const progress: string[] = [];
    const r = await syncRuntime({ from: src, to: dir, onProgress: (l) => progress.push(l) });
    expect(progress.join("\n")).toContain("migrating");
    expect(r).toMatchObject({ action: "synced", generation: 2, previousGeneration: 1 });
    expect(r.removed).toEqual(["old-only.txt"]);
    expect(lstatSync(dir).isSymbolicLink()).toBe(true);
    const old = join(`${dir}.generations`, "gen-000001");
    expect(readFileSync(join(old, "old-only.txt"), "utf8")).toBe("from the old install\n");
    expect((await verifyGeneration(old)).problems).toEqual([]);
    const back = await rollbackRuntime({ dir });
    expect(back.generation).toBe(1);
    expect(readFileSync(join(dir, "old-only.txt"), "utf8")).toBe("from the old install\n");
  });

  it("repairs a runtime path that a crash left missing, pointing it at the newest generation", async () => {
    await syncRuntime({ from: src, to: dir });
    rmSync(dir);
    writeFileSync(join(src, "routes.md"), "# v2\n"); await restampBuildManifest(src);
    const r = await syncRuntime({ from: src, to: dir });
    expect(r).toMatchObject({ action: "synced", generation: 2, previousGeneration: 1 });
  });
});

describe("the lock", () => {
  it("refuses to run while another live sync holds it", async () => {
    await syncRuntime({ from: src, to: dir });
    const holder = spawn("sleep", ["30"]);
    children.push(holder);
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: holder.pid, host: (await import("node:os")).hostname(), createdAt: "2026-01-01T00:00:00Z" }));
    writeFileSync(join(src, "routes.md"), "# v2\n"); await restampBuildManifest(src);
    const err = await expectOperationError(syncRuntime({ from: src, to: dir }), "SYNC_LOCKED");
    expect(err.message).toContain(`another gatewayctl (pid ${holder.pid}`);
    expect(err.message).toContain("the gateway keeps running on generation 1");
    expect(readlinkSync(dir)).toMatch(/gen-000001$/);
    await expectOperationError(rollbackRuntime({ dir }), "SYNC_LOCKED");
  });

  it("breaks a stale lock (its owner died, or the pid now belongs to another process)", async () => {
    await syncRuntime({ from: src, to: dir });
    const dead = spawn("true");
    children.push(dead);
    await new Promise((r) => dead.on("exit", r));
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: dead.pid, host: (await import("node:os")).hostname(), createdAt: "x" }));
    writeFileSync(join(src, "routes.md"), "# v2\n"); await restampBuildManifest(src);
    expect((await syncRuntime({ from: src, to: dir })).generation).toBe(2);
    // our own pid with another start time: a reused pid
    writeFileSync(`${dir}.lock`, JSON.stringify({ pid: process.pid, host: (await import("node:os")).hostname(), startTicks: "1", createdAt: "y" }));
    writeFileSync(join(src, "routes.md"), "# v3\n"); await restampBuildManifest(src);
    expect((await syncRuntime({ from: src, to: dir })).generation).toBe(3);
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  it("an empty or torn lock (a full disk, a writer killed mid-write) never blocks the next sync, not even for a moment", async () => {
    await syncRuntime({ from: src, to: dir });
    writeFileSync(`${dir}.lock`, "");
    writeFileSync(join(src, "routes.md"), "# v2\n"); await restampBuildManifest(src);
    expect((await syncRuntime({ from: src, to: dir })).generation).toBe(2);
    writeFileSync(`${dir}.lock`, '{"pid": 12');
    writeFileSync(join(src, "routes.md"), "# v3\n"); await restampBuildManifest(src);
    expect((await syncRuntime({ from: src, to: dir })).generation).toBe(3);
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  it("a lock appears whole or not at all: written to a temporary file and linked; a dead writer's temporary is removed", async () => {
    await syncRuntime({ from: src, to: dir });
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    const leftover = `${dir}.lock.${dead}.deadbeef.tmp`;
    writeFileSync(leftover, "{}");
    writeFileSync(join(src, "routes.md"), "# v2\n"); await restampBuildManifest(src);
    expect((await syncRuntime({ from: src, to: dir })).generation).toBe(2);
    expect(existsSync(leftover)).toBe(false);
    expect(readdirSync(dirname(dir)).filter((n) => n.includes(".lock"))).toEqual([]);
  });

  it("two syncs started together: one wins, the other reports the lock (never both)", async () => {
    await syncRuntime({ from: src, to: dir });
    writeFileSync(join(src, "routes.md"), "# v2\n"); await restampBuildManifest(src);
    const results = await Promise.allSettled([syncRuntime({ from: src, to: dir }), syncRuntime({ from: src, to: dir })]);
    const ok = results.filter((r) => r.status === "fulfilled");
    const failed = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    // both may succeed one after the other only if the second started after the first finished; then it is a no-op
    const generations = ok.map((r) => (r as PromiseFulfilledResult<SyncReport>).value.generation);
    expect(new Set(generations).size).toBeLessThanOrEqual(1);
    for (const f of failed) expect((f.reason as OperationError).code).toBe("SYNC_LOCKED");
    expect(readdirSync(`${dir}.generations`).filter((n) => n.startsWith("gen-"))).toEqual(["gen-000001", "gen-000002"]);
  });
});

describe("rollback", () => {
  beforeEach(async () => {
    for (let i = 1; i <= 3; i++) {
      writeFileSync(join(src, "routes.md"), `# v${i}\n`); await restampBuildManifest(src);
      await syncRuntime({ from: src, to: dir });
    }
  });

  it("switches back to the previous generation, then to an older one, then forward with --to", async () => {
    const r = await rollbackRuntime({ dir });
    expect(r).toMatchObject({ action: "rolled-back", generation: 2, previousGeneration: 3 });
    expect(readFileSync(join(dir, "routes.md"), "utf8")).toBe("# v2\n");
    expect((await rollbackRuntime({ dir })).generation).toBe(1);
    const fwd = await rollbackRuntime({ dir, to: 3 });
    expect(fwd).toMatchObject({ generation: 3, previousGeneration: 1 });
    expect(readFileSync(join(dir, "routes.md"), "utf8")).toBe("# v3\n");
    expect(await readRuntimeGeneration(dir)).toMatchObject({ generation: 3 });
  });

  it("refuses a generation that does not exist or is damaged, leaving the current one", async () => {
    const err = await expectOperationError(rollbackRuntime({ dir, to: 9 }), "ROLLBACK_UNAVAILABLE");
    expect(err.message).toContain("generation 9 does not exist (on disk: 1, 2, 3)");
    const g2 = join(`${dir}.generations`, "gen-000002", "routes.md");
    chmodSync(g2, 0o644);
    writeFileSync(g2, "tampered\n");
    const damaged = await expectOperationError(rollbackRuntime({ dir, to: 2 }), "GENERATION_DAMAGED");
    expect(damaged.message).toContain("routes.md: content differs from the manifest");
    expect(readlinkSync(dir)).toMatch(/gen-000003$/);
  });

  it("the next sync after a rollback applies the source again as a new generation", async () => {
    await rollbackRuntime({ dir });
    const r = await syncRuntime({ from: src, to: dir });
    expect(r).toMatchObject({ action: "synced", generation: 4, previousGeneration: 2 });
    expect(readFileSync(join(dir, "routes.md"), "utf8")).toBe("# v3\n");
  });
});

describe("runKillable", () => {
  it("kills a child that makes no progress and rejects at once with SourceTimeoutError", async () => {
    const t0 = Date.now();
    const err = await runKillable("sleep", ["30"], { timeoutMs: 300, what: "sleeping" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceTimeoutError);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it("keeps a child alive while it makes progress (the timeout is an inactivity timeout)", async () => {
    const r = await runKillable("sh", ["-c", "for i in 1 2 3 4 5 6; do echo $i; sleep 0.1; done"], { timeoutMs: 400, what: "ticking" });
    expect(r.code).toBe(0);
    expect(r.stdout.toString().trim().split("\n")).toHaveLength(6);
  });
});

describe("manifest", () => {
  it("verifyGeneration catches a missing, an extra and a changed file", async () => {
    await syncRuntime({ from: src, to: dir });
    const gen = realpathSync(dir);
    chmodSync(gen, 0o755);
    rmSync(join(gen, "routes.md"), { force: true });
    writeFileSync(join(gen, "extra.txt"), "x");
    const { problems } = await verifyGeneration(gen);
    expect(problems.some((p) => p.startsWith("routes.md:"))).toBe(true);
    expect(problems).toContain("extra.txt: not in the manifest");
    expect(JSON.parse(readFileSync(join(gen, MANIFEST_NAME), "utf8")).generation).toBe(1);
  });
});

describe("gatewayctl takes over only directories it created", () => {
  it("refuses a user's non-empty directory as runtime.dir, and leaves it untouched after 10 syncs", async () => {
    const mine = join(work.dir, "my-documents");
    mkdirSync(join(mine, "taxes"), { recursive: true });
    writeFileSync(join(mine, "taxes", "2025.pdf"), "private\n");
    writeFileSync(join(mine, "config.yaml"), "not gatewayctl's\n");
    const before = execFileSync("find", [mine, "-printf", "%P %s %m\n"], { encoding: "utf8" });
    for (let i = 0; i < 10; i++) {
      writeFileSync(join(src, "routes.md"), `# v${i}\n`); await restampBuildManifest(src);
      const err = await syncRuntime({ from: src, to: mine }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect((err as { code?: string; exitCode?: number }).code).toBe("RUNTIME_NOT_OURS");
      expect((err as { exitCode?: number }).exitCode).toBe(2);
    }
    expect(execFileSync("find", [mine, "-printf", "%P %s %m\n"], { encoding: "utf8" })).toBe(before);
    expect(lstatSync(mine).isDirectory()).toBe(true);
    expect(existsSync(`${mine}.generations`)).toBe(false);
  });

  it("refuses the filesystem root, the home directory, a directory holding the source and one inside it", async () => {
    const { homedir } = await import("node:os");
    for (const [to, why] of [
      ["/", "filesystem root"],
      [homedir(), "home directory"],
      [join(src, ".."), "holds the source"],
      [join(src, "runtime"), "inside the source"],
    ] as const) {
      const err = (await syncRuntime({ from: src, to }).catch((e: unknown) => e)) as { code?: string; message?: string };
      expect(err.code, to).toBe("RUNTIME_DIR_REFUSED");
      expect(err.message).toContain(why);
    }
  });
});

