import { copyFile, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import JSON5 from "json5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli, tempDir } from "../support/cli.js";
import { openClawValidate, requireOpenClaw } from "../support/openclaw.js";
import { startOllamaModelList } from "../support/model-list-servers.js";

const FIXTURES = join(ROOT, "test/fixtures/clients");
let dir: string;
let cleanup: () => Promise<void>;
let policy: string;

beforeAll(async () => {
  requireOpenClaw();
  ({ dir, cleanup } = await tempDir("gatewayctl-clients-"));
  policy = join(dir, "gateway.policy.yaml");
  await copyFile(join(FIXTURES, "gateway.policy.yaml"), policy);
});
afterAll(async () => cleanup?.());

describe("gatewayctl clients openclaw, checked by OpenClaw's own validator", () => {
  it("writes a config that `openclaw config validate` accepts", async () => {
    const out = join(dir, "generated-openclaw.json");
    const r = await runCli(["clients", "openclaw", "--policy", policy, "--out", out], { env: { OPENCLAW_STATE_DIR: join(dir, "no-state") } });
    expect(r.stderr).toContain(`wrote ${out}`);
    expect(r.exitCode).toBe(0);
    const v = await openClawValidate(out, join(dir, "state-1"));
    expect(v.stdout + v.stderr).toContain("Config valid");
    expect(v.stdout + v.stderr).not.toMatch(/warning/i);
    expect(v.exitCode).toBe(0);
  });

  it("the validator is strict: a deliberately broken copy fails", async () => {
    const good = join(dir, "generated-openclaw.json");
    const config = JSON5.parse(await readFile(good, "utf8")) as { agents: { entries: { private: Record<string, unknown> } } };
    config.agents.entries.private.notAKey = true;
    const bad = join(dir, "broken-openclaw.json");
    await writeFile(bad, JSON.stringify(config));
    const v = await openClawValidate(bad, join(dir, "state-2"));
    expect(v.exitCode).not.toBe(0);
    expect(v.stdout + v.stderr).toContain("notAKey");
  });

  it("--merge keeps the user's other settings, replaces only what gatewayctl owns, and validates", async () => {
    const user = join(dir, "openclaw.json");
    await copyFile(join(FIXTURES, "openclaw-user.json5"), user);
    const before = JSON5.parse(await readFile(user, "utf8")) as Record<string, any>;
    const r = await runCli(["clients", "openclaw", "--policy", policy, "--merge", user], {
      env: { OPENCLAW_STATE_DIR: join(dir, "no-state") },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`merged into ${user}`);
    expect(r.stderr).toMatch(/replaced models\.providers\.litellm/);
    expect(r.stderr).toMatch(/replaced agents\.defaults\.model \(was ollama\/llama3\.1:8b\)/);
    expect(r.stderr).toMatch(/comments .* not/);
    const after = JSON5.parse(await readFile(user, "utf8")) as Record<string, any>;
    // kept
    expect(after.gateway).toEqual(before.gateway);
    expect(after.models.providers.ollama).toEqual(before.models.providers.ollama);
    expect(after.agents.entries.work).toEqual({ ...before.agents.entries.work, default: true });
    expect(r.stderr).toMatch(/marked agents\.entries\.work default: true/);
    expect(after.agents.ownership).toBeUndefined();
    expect(after.agents.defaults.thinkingDefault).toBe("low");
    // replaced / added
    expect(after.models.providers.litellm.baseUrl).toBe("http://127.0.0.1:4123/v1");
    expect(after.models.providers.litellm.models.map((m: { id: string }) => m.id)).not.toContain("old-alias");
    expect(after.agents.defaults.model).toEqual({ primary: "litellm/routine-router", fallbacks: [] });
    expect(after.agents.entries.private.model).toEqual({ primary: "litellm/secure-core", fallbacks: [] });
    // the user's original is kept beside it, byte for byte, readable only by its owner
    expect(r.stderr).toContain(`your file as it was: ${user}.gatewayctl.orig`);
    expect(await readFile(`${user}.gatewayctl.orig`, "utf8")).toBe(await readFile(join(FIXTURES, "openclaw-user.json5"), "utf8"));
    expect((await stat(`${user}.gatewayctl.orig`)).mode & 0o777).toBe(0o600);
    expect((await stat(user)).mode & 0o777).toBe((await stat(join(FIXTURES, "openclaw-user.json5"))).mode & 0o777);
    const v = await openClawValidate(user, join(dir, "state-3"));
    expect(v.stdout + v.stderr).toContain("Config valid");
    expect(v.exitCode).toBe(0);
    // merging again changes nothing, and makes no backup
    const again = await runCli(["clients", "openclaw", "--policy", policy, "--merge", user], { env: { OPENCLAW_STATE_DIR: join(dir, "no-state") } });
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain("nothing written, no backup made");
    expect(JSON5.parse(await readFile(user, "utf8"))).toEqual(after);
    expect(await stat(`${user}.gatewayctl.bak.1`).catch(() => undefined)).toBeUndefined();
    // a later merge after a hand edit of what gatewayctl owns: a numbered backup of the edited file; the original is never replaced
    const edited = (await readFile(user, "utf8")).replaceAll("http://127.0.0.1:4123/v1", "http://127.0.0.1:9999/v1");
    await writeFile(user, edited);
    const third = await runCli(["clients", "openclaw", "--policy", policy, "--merge", user], { env: { OPENCLAW_STATE_DIR: join(dir, "no-state") } });
    expect(third.exitCode).toBe(0);
    expect(third.stderr).toContain(`your file before this merge: ${user}.gatewayctl.bak.1; before gatewayctl's first merge: ${user}.gatewayctl.orig`);
    expect(await readFile(`${user}.gatewayctl.bak.1`, "utf8")).toBe(edited);
    expect(await readFile(`${user}.gatewayctl.orig`, "utf8")).toBe(await readFile(join(FIXTURES, "openclaw-user.json5"), "utf8"));
  });

  it("--merge creates the file when it does not exist yet (mode 0600)", async () => {
    const fresh = join(dir, "fresh", "openclaw.json");
    const r = await runCli(["clients", "openclaw", "--policy", policy, "--merge", fresh], { env: { OPENCLAW_STATE_DIR: join(dir, "no-state") } });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`created ${fresh} (there was no previous file, so no backup)`);
    expect((await stat(fresh)).mode & 0o777).toBe(0o600);
    // the file claims no backup that was not made
    const text = await readFile(fresh, "utf8");
    expect(text).not.toMatch(/gatewayctl\.(bak|orig)/);
    expect(await stat(`${fresh}.gatewayctl.orig`).catch(() => undefined)).toBeUndefined();
    const v = await openClawValidate(fresh, join(dir, "state-4"));
    expect(v.exitCode).toBe(0);
  });

  it("warns, naming the file, when a per-agent models.json holds a stale litellm baseUrl", async () => {
    const state = join(dir, "openclaw-state");
    const stale = join(state, "agents", "work", "agent", "models.json");
    const current = join(state, "agents", "main", "agent", "models.json");
    await mkdir(join(state, "agents", "work", "agent"), { recursive: true });
    await mkdir(join(state, "agents", "main", "agent"), { recursive: true });
    await writeFile(stale, JSON.stringify({ providers: { litellm: { baseUrl: "http://nas.lan:4000/v1", models: [] } } }));
    await writeFile(current, JSON.stringify({ providers: { litellm: { baseUrl: "http://127.0.0.1:4123/v1/", models: [] } } }));
    const user = join(dir, "stale-openclaw.json");
    const r = await runCli(["clients", "openclaw", "--policy", policy, "--merge", user], { env: { OPENCLAW_STATE_DIR: state } });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`warning: ${stale} holds a copy of the litellm provider with baseUrl http://nas.lan:4000/v1`);
    expect(r.stderr).toContain("OpenClaw 2026.9.6 did not use it in gatewayctl's tests");
    expect(r.stderr).toMatch(/remove that provider from the file's "providers"/);
    expect(r.stderr).not.toContain(current);
  });

  it("refuses a file that is not JSON5 and writes nothing", async () => {
    const broken = join(dir, "not-json.json");
    await writeFile(broken, "{ models: [ oops");
    const r = await runCli(["clients", "openclaw", "--policy", policy, "--merge", broken]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/not valid JSON5/);
    expect(await readFile(broken, "utf8")).toBe("{ models: [ oops");
  });

  it("the README path: init --yes, build, then the OpenClaw config from build and from `clients --merge` both validate", async () => {
    const ollama = await startOllamaModelList(["llama3.1:8b"]);
    try {
      const project = join(dir, "readme-path");
      await mkdir(project);
      const init = await runCli(["init", "--yes", "--local-url", ollama.url, "--cloud", "openai,anthropic"], { cwd: project });
      expect(init.exitCode).toBe(0);
      const build = await runCli(["build"], { cwd: project });
      expect(build.exitCode).toBe(0);
      const fromBuild = await openClawValidate(join(project, "generated", "clients", "openclaw.json"), join(dir, "state-5"));
      expect(fromBuild.stdout + fromBuild.stderr).toContain("Config valid");
      expect(fromBuild.exitCode).toBe(0);
      const target = join(dir, "readme-home", ".openclaw", "openclaw.json");
      const merge = await runCli(["clients", "openclaw", "--merge", target], { cwd: project, env: { OPENCLAW_STATE_DIR: join(dir, "readme-home", ".openclaw") } });
      expect(merge.exitCode).toBe(0);
      const merged = JSON5.parse(await readFile(target, "utf8")) as Record<string, any>;
      // the private agent has a provider of its own, carrying its own key (admitted for local-only aliases only)
      expect(merged.agents.entries.private.modelPolicy.allow).toEqual(["litellm-private/secure-core", "litellm-private/local-model", "litellm-private/coding"]);
      expect(merged.models.providers["litellm-private"].apiKey.id).toBe("OPENCLAW_PRIVATE_KEY");
      expect(merged.models.providers.litellm.apiKey.id).toBe("OPENCLAW_GATEWAY_KEY");
      expect(merged.models.providers.litellm.models.map((m: { id: string }) => m.id)).not.toContain("secure-core");
      const v = await openClawValidate(target, join(dir, "state-6"));
      expect(v.stdout + v.stderr).toContain("Config valid");
      expect(v.exitCode).toBe(0);
    } finally {
      await ollama.close();
    }
  });
});
