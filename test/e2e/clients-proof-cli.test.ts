import { cp, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli, tempDir } from "../support/cli.js";

let dir: string;
let cleanup: () => Promise<void>;
let policy: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir("gatewayctl-clientproof-"));
  policy = join(dir, "gateway.policy.yaml");
  await cp(join(ROOT, "test/fixtures/clients/gateway.policy.yaml"), policy);
  const built = await runCli(["build", "--policy", policy, "--out", join(dir, "generated")]);
  expect(built.exitCode, built.stderr).toBe(0);
  const files = (await readdir(join(dir, "generated", "clients"))).filter((f) => !f.includes("metadata"));
  expect(built.stdout).toContain(`model slots in ${files.length} client files name only their key's aliases, private ones local-only`);
});
afterAll(async () => cleanup?.());

describe("gatewayctl audit --clients DIR", () => {
  it("proves every slot of a build's client files against the build's route map (exit 0)", async () => {
    const r = await runCli(["audit", "--clients", join(dir, "generated", "clients"), "--json"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { clients: { ok: boolean; files: string[]; slots: unknown[]; skipped: string[] } };
    expect(out.clients.ok).toBe(true);
    expect(out.clients.files).toHaveLength((await readdir(join(dir, "generated", "clients"))).filter((f) => !f.includes("metadata")).length);
    expect(out.clients.skipped).toEqual([]);
  });

  it("a hand-edited aider config whose weak model stays on a local-first alias: exit 1, naming file and slot", async () => {
    const copy = join(dir, "edited");
    await cp(join(dir, "generated", "clients"), copy, { recursive: true });
    const conf = join(copy, "aider.conf.yml");
    await writeFile(conf, `${await readFile(conf, "utf8")}weak-model: openai/coding\n`);
    const r = await runCli(["audit", "--clients", copy, "--policy", policy]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`FAIL  ${conf}: weak-model: openai/coding is local-first (may reach anthropic)`);
    expect(r.stdout).toContain("hint: name a local-only alias (secure-core, private-coder)");
  });

  it("no route map and no --policy, or no directory: exit 2 with a hint", async () => {
    const lonely = join(dir, "lonely");
    await cp(join(dir, "generated", "clients"), lonely, { recursive: true });
    const r = await runCli(["audit", "--clients", lonely]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("no route-map.json");
    expect(r.stderr).toContain("hint: pass --policy");
    const missing = await runCli(["audit", "--clients", join(dir, "nope")]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("no such directory");
  });
});
