import { readdirSync } from "node:fs";
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli, tempDir, type CliResult } from "../support/cli.js";

const LEAKY = join(ROOT, "test", "fixtures", "leaky-configs");
const CLEAN = join(ROOT, "test", "fixtures", "compile", "clean-config.yaml");
const EXAMPLE = join(ROOT, "examples", "homelab");

let tmp: { dir: string; cleanup: () => Promise<void> };
const results = new Map<string, CliResult>();
const fixtures = readdirSync(LEAKY).filter((f) => f.endsWith(".yaml")).sort();

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

beforeAll(async () => {
  tmp = await tempDir("gatewayctl-audit-");
  await inBatches(fixtures, 4, async (f) => {
    results.set(f, await runCli(["audit", join(LEAKY, f), "--private", "secure-core"]));
  });
});
afterAll(async () => {
  await tmp.cleanup();
});

describe("gatewayctl audit on hand-written leaky configs", () => {
  it("covers every fixture", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
  });

  it.each(fixtures)("%s: exits 1 and prints the mechanism and the full leak path", async (name) => {
    const text = await readFile(join(LEAKY, name), "utf8");
    const mechanism = /^# mechanism: (.*)$/m.exec(text)![1]!;
    const path = /^# path: (.*)$/m.exec(text)![1]!;
    const r = results.get(name)!;
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^audit .*: \d+ leaks? in 1 route/);
    expect(r.stdout).toContain(`LEAK  secure-core (local-only, from --private) via ${mechanism}:`);
    expect(r.stdout).toContain(`      ${path}\n`);
    // request-borne mechanisms are warnings with what closes them
    expect(r.stdout).toContain("request fallbacks");
    expect(r.stdout).toContain("closed by:");
  });
});

describe("gatewayctl audit", () => {
  it("exits 0 on a clean config and lists what each alias reaches", async () => {
    const r = await runCli(["audit", CLEAN, "--private", "secure-core", "notes"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("no leaks in 2 routes");
    expect(r.stdout).toContain("ok    secure-core (local-only, from --private): secure-core:llama (local), nas-backup:gemma (local), notes:qwen (local)");
    expect(r.stdout).toContain("request-borne mechanisms (open: nothing in this config closes them)");
    expect(r.stdout).toMatch(/warn {3}request api_base: .*\n {7}closed by: load the gatewayctl guard/);
  });

  it("--local-host trusts a host that looks public", async () => {
    const config = join(tmp.dir, "public-backup.yaml");
    await writeFile(config, (await readFile(CLEAN, "utf8")).replace("http://nas:8080/v1", "http://gpu.example.net:8080/v1"));
    const leaky = await runCli(["audit", config, "--private", "secure-core"]);
    expect(leaky.exitCode).toBe(1);
    expect(leaky.stdout).toContain("nas-backup (openai/gemma-3 @ http://gpu.example.net:8080/v1, cloud)");
    const trusted = await runCli(["audit", config, "--private", "secure-core", "--local-host", "gpu.example.net"]);
    expect(trusted.exitCode).toBe(0);
  });

  it("--json prints one object with leaks, verdicts and warnings, and still exits 1 on a leak", async () => {
    const r = await runCli(["audit", join(LEAKY, "router-default-fallbacks.yaml"), "--private", "secure-core", "--json"]);
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; leaks: Array<{ alias: string; mechanism: string; path: string }>; verdicts: unknown[]; warnings: unknown[] };
    expect(report.ok).toBe(false);
    expect(report.leaks).toEqual([
      expect.objectContaining({
        alias: "secure-core",
        mechanism: "router_settings.default_fallbacks",
        path: "secure-core → [router_settings.default_fallbacks] → gw-fallback-mini (openai/gpt-4o-mini @ https://api.openai.com/v1, cloud)",
      }),
    ]);
    expect(report.warnings.length).toBeGreaterThan(0);
  });

  describe("expectations from a build", () => {
    let out: string;
    beforeAll(async () => {
      out = join(tmp.dir, "built");
      await cp(join(EXAMPLE, "generated"), out, { recursive: true });
    });

    it("takes them from route-map.json beside the config, and counts the guard only when its module is there", async () => {
      const r = await runCli(["audit", join(out, "config.yaml")]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain("no leaks in 7 routes");
      expect(r.stdout).toContain("ok    routine-router (local-first, from route-map.json): routine-router:llama (local), gw-fallback-mini:mini (cloud)");
      expect(r.stdout).toContain("request-borne mechanisms (closed by the gatewayctl guard)");

      const noGuard = join(tmp.dir, "no-guard");
      await cp(out, noGuard, { recursive: true });
      await rm(join(noGuard, "gatewayctl_guard.py"));
      // a build whose protected routes lost their guard is not proven: a leak, exit 1 (sync and start refuse it too)
      const r2 = await runCli(["audit", join(noGuard, "config.yaml")]);
      expect(r2.exitCode).toBe(1);
      expect(r2.stdout).toContain(`LEAK  gatewayctl_guard.py is missing from ${noGuard}`);
      expect(r2.stdout).toContain("request-borne mechanisms (open");

      // the same for a config that no longer loads it
      const unloaded = join(tmp.dir, "unloaded");
      await cp(out, unloaded, { recursive: true });
      const text = await readFile(join(unloaded, "config.yaml"), "utf8");
      await writeFile(join(unloaded, "config.yaml"), text.replace("  callbacks:\n    - gatewayctl_guard.proxy_handler_instance\n", ""));
      const r3 = await runCli(["audit", join(unloaded, "config.yaml")]);
      expect(r3.exitCode).toBe(1);
      expect(r3.stdout).toContain("does not load the privacy guard");
    });

    it("catches a hand edit that sends a local-first alias to a deployment its route does not list", async () => {
      const edited = join(tmp.dir, "edited");
      await cp(out, edited, { recursive: true });
      const file = join(edited, "config.yaml");
      const text = await readFile(file, "utf8");
      await writeFile(file, text.replace("    - coding:\n        - gw-fallback-mini", "    - coding:\n        - gw-fallback-mini\n        - gw-fallback-sonnet"));
      const r = await runCli(["audit", file]);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toContain("LEAK  coding (local-first, from route-map.json) via router_settings.fallbacks:");
      expect(r.stdout).toContain("coding → [router_settings.fallbacks] → gw-fallback-sonnet (anthropic/claude-sonnet-4-5 @ no api_base, cloud)");
    });

    it("takes them from --policy, compiled", async () => {
      const loose = join(tmp.dir, "loose.yaml");
      await writeFile(loose, (await readFile(join(out, "config.yaml"), "utf8")).concat("litellm_settings:\n  default_fallbacks: [gw-fallback-mini]\n").replace(/^litellm_settings:\n  callbacks:\n    - gatewayctl_guard.proxy_handler_instance\n/m, ""));
      const r = await runCli(["audit", loose, "--policy", join(EXAMPLE, "gateway.policy.yaml")]);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toContain("secure-core → [litellm_settings.default_fallbacks] → gw-fallback-mini (openai/gpt-4o-mini @ https://api.openai.com/v1, cloud)");
      expect(r.stdout).toContain("local-model → [litellm_settings.default_fallbacks] → gw-fallback-mini");
      expect(r.stdout).toMatch(/ok {4}openai-fast \(cloud-allowed/);
    });
  });

  describe("bad input exits 2", () => {
    it.each([
      ["a missing file", "missing.yaml", undefined, /cannot read .*no such file/],
      ["invalid YAML", "broken.yaml", "model_list: [\n  - {model_name: x\n", /not valid YAML/],
      ["not a mapping", "list.yaml", "- a\n- b\n", /not a LiteLLM config/],
    ])("%s", async (_what, name, content, pattern) => {
      const file = join(tmp.dir, name);
      if (content !== undefined) await writeFile(file, content);
      const r = await runCli(["audit", file, "--private", "secure-core"]);
      expect(r.exitCode).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(pattern);
    });

    it("nothing to check", async () => {
      const r = await runCli(["audit", CLEAN]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain("nothing to check");
      expect(r.stderr).toContain("--private");
    });
  });
});
