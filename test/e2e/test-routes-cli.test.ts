/**
 * `gatewayctl test-routes` as a user runs it, where no gateway is needed to tell the outcome: a gateway that does
 * not answer, bad flags, a missing key variable, a drill without a runtime directory. The checks against a real
 * LiteLLM are in privacy-homelab.test.ts.
 */
import { execa } from "execa";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProbeReport } from "../../src/probe/types.js";
import { runCli, tempDir } from "../support/cli.js";
import { freePort } from "../support/net.js";

let dir: string;
let cleanup: () => Promise<void>;
let policyFile: string;
let deadPort: number;
const env = { LITELLM_MASTER_KEY: "sk-test-routes-cli-5b7e19a0c4", CLOUD_API_KEY: "sk-cloud-cli-77aa01" };

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir("gatewayctl-test-routes-"));
  // a port nothing listens on: bind, read, close
  deadPort = await freePort();
  policyFile = join(dir, "gateway.policy.yaml");
  await writeFile(
    policyFile,
    stringify({
      version: 1,
      gateway: { port: deadPort, bind: "127.0.0.1", runtime: "process" },
      secrets: { provider: "env" },
      runtime: { dir: join(dir, "runtime") },
      backends: {
        ollama: { type: "ollama", url: "http://127.0.0.1:11434", location: "local" },
        cloud: { type: "openai-compatible", url: "http://127.0.0.1:9/v1", location: "cloud", apiKey: { secret: "CLOUD_API_KEY" } },
      },
      models: { llama: { backend: "ollama", name: "llama3.1:8b" }, mini: { backend: "cloud", name: "gpt-4o-mini" } },
      lanes: {
        private: { privacy: "local-only", description: "Private records" },
        routine: { privacy: "local-first", description: "Drafting" },
      },
      routes: { "secure-core": { lane: "private", model: "llama" }, "routine-router": { lane: "routine", model: "llama", fallbacks: ["mini"] } },
    }),
  );
  // test-routes reads the build (the runtime generation, else the build output); it never recompiles the policy
  const built = await runCli(["build", "--policy", policyFile], { env });
  expect(built.exitCode, built.stderr).toBe(0);
});
afterAll(async () => {
  await cleanup?.();
});

describe("test-routes without a gateway", () => {
  it("fails (exit 1) when the gateway does not answer, in the table, the JSON and the JUnit file", async () => {
    const table = await runCli(["test-routes", "--policy", policyFile], { env });
    expect(table.exitCode).toBe(1);
    expect(table.stdout).toMatch(/^ROUTE\s+LANE\s+PRIVACY\s+SERVED BY/);
    expect(table.stdout).toMatch(/secure-core\s+private\s+local-only\s+-/);
    // a route no prompt reached is not "ok"
    expect(table.stdout).toMatch(/^secure-core\s.*NOT TESTED$/m);
    expect(table.stdout).not.toMatch(/^secure-core\s.*\sok$/m);
    expect(table.stdout).toContain(`FAIL gateway reachable: the gateway at http://127.0.0.1:${deadPort} does not answer`);
    expect(table.stdout).not.toContain(env.LITELLM_MASTER_KEY);

    const junit = join(dir, "out.xml");
    const json = await runCli(["test-routes", "--policy", policyFile, "--json", "--junit", junit], { env });
    expect(json.exitCode).toBe(1);
    const report = JSON.parse(json.stdout) as ProbeReport;
    expect(report.ok).toBe(false);
    expect(report.baseUrl).toBe(`http://127.0.0.1:${deadPort}`);
    expect(report.checks.find((c) => c.name === "health /health/liveliness")?.status).toBe("fail");
    expect(report.checks.find((c) => c.name === "config runtime")?.status).toBe("warn");
    const xml = await readFile(junit, "utf8");
    const parsed = await execa("python3", ["-c", "import sys, xml.dom.minidom as m; d = m.parseString(sys.stdin.buffer.read()); print(len(d.getElementsByTagName('testcase')), len(d.getElementsByTagName('failure')))"], { input: xml });
    expect(parsed.stdout.trim()).toBe(`${report.checks.length} ${report.counts.fail}`);
  });

  it("uses --base-url and --key-env instead of the policy's address and the secrets provider", async () => {
    const r = await runCli(["test-routes", "--policy", policyFile, "--json", "--base-url", `http://127.0.0.1:${deadPort}/`, "--key-env", "MY_GATEWAY_KEY"], {
      env: { MY_GATEWAY_KEY: "sk-other-key-1234567", LITELLM_MASTER_KEY: undefined },
    });
    expect(r.exitCode).toBe(1);
    expect((JSON.parse(r.stdout) as ProbeReport).baseUrl).toBe(`http://127.0.0.1:${deadPort}`);
  });

  it("refuses bad input with exit 2: an unset --key-env variable, a bad --concurrency", async () => {
    const unset = await runCli(["test-routes", "--policy", policyFile, "--key-env", "NOT_SET_ANYWHERE_42"], { env });
    expect(unset.exitCode).toBe(2);
    expect(unset.stderr).toContain("NOT_SET_ANYWHERE_42");
    const bad = await runCli(["test-routes", "--policy", policyFile, "--concurrency", "0"], { env });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("--concurrency");
  });

  it("names the missing master key when the secrets provider has none", async () => {
    const r = await runCli(["test-routes", "--policy", policyFile], { env: { LITELLM_MASTER_KEY: undefined } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("LITELLM_MASTER_KEY");
  });
});
