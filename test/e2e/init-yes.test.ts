import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../support/cli.js";
import { loadPolicy } from "../../src/policy/load-policy.js";
import { resolveSecrets } from "../../src/runtime/secrets.js";
import { localBuildImage, officialImage } from "../../src/artifact/gateway.js";
import { DEFAULT_LITELLM_VERSION } from "../../src/lib/versions.js";
import { connectDocker } from "../../src/runtime/docker-connect.js";
import { dockerImageChoice } from "../../src/wizard/probe.js";
import { closedPort, startOllamaModelList, startOpenAIModelList, type ModelListServer } from "../support/model-list-servers.js";

let ollama: ModelListServer;
let openai: ModelListServer;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  ollama = await startOllamaModelList(["llama3.1:8b", "qwen2.5-coder:7b"]);
  openai = await startOpenAIModelList(["Qwen/Qwen2.5-7B-Instruct"]);
});
afterAll(async () => {
  await ollama?.close();
  await openai?.close();
  await Promise.all(cleanups.map((c) => c()));
});

async function project(): Promise<string> {
  const t = await tempDir("gatewayctl-init-");
  cleanups.push(t.cleanup);
  return t.dir;
}

describe("gatewayctl init --yes (no questions, for scripts)", () => {
  it("writes a commented policy that build accepts, a 0600 secrets file with a master key, .env.example and .gitignore", async () => {
    const dir = await project();
    await writeFile(join(dir, ".gitignore"), "node_modules/\n");
    const before = ollama.requests.length;
    const r = await runCli(["init", "--yes", "--local-url", ollama.url, "--cloud", "openai"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(ollama.requests.slice(before)).toEqual([{ method: "GET", path: "/api/tags" }]);

    const policyText = await readFile(join(dir, "gateway.policy.yaml"), "utf8");
    expect(policyText).toMatch(/^# gatewayctl policy/);
    const policy = parseYaml(policyText);
    expect(policy.models["local-llama3.1-8b"]).toEqual({ backend: "local", name: "llama3.1:8b" }); // the first probed model
    expect(policy.backends.local.url).toBe(ollama.url);
    expect(policy.secrets).toEqual({ provider: "env-file", file: "secrets.env" });
    expect(policy.models["openai-gpt-4.1-mini"].price).toEqual({ input: 0.4, output: 1.6 });

    const secretsStat = await stat(join(dir, "secrets.env"));
    expect(secretsStat.mode & 0o777).toBe(0o600);
    const secrets = await readFile(join(dir, "secrets.env"), "utf8");
    const key = /^LITELLM_MASTER_KEY=(sk-[A-Za-z0-9_-]{48})$/m.exec(secrets)?.[1];
    expect(key).toBeDefined();
    expect(secrets).toMatch(/^OPENAI_API_KEY=$/m);
    // the key is in the secrets file only
    for (const f of await readdir(dir)) {
      if (f === "secrets.env") continue;
      expect(await readFile(join(dir, f), "utf8"), f).not.toContain(key as string);
    }
    expect(r.stdout).not.toContain(key as string);
    // the real secrets resolver reads the generated master key from the file init created
    const loaded = await loadPolicy(join(dir, "gateway.policy.yaml"));
    expect(await resolveSecrets(loaded.policy, ["LITELLM_MASTER_KEY"], { policyDir: loaded.dir, env: {} })).toEqual({
      LITELLM_MASTER_KEY: key,
    });

    expect(await readFile(join(dir, ".gitignore"), "utf8")).toBe(
      "node_modules/\n\n# gatewayctl: secrets and local state (generated/ is meant to be committed)\nsecrets.env\n.env\n.gatewayctl/\n",
    );
    expect(await readFile(join(dir, ".env.example"), "utf8")).toMatch(/^LITELLM_MASTER_KEY=\nOPENAI_API_KEY=\n/m);
    for (const step of ["gatewayctl build", "gatewayctl start", "gatewayctl test-routes", "gatewayctl clients openclaw"]) {
      expect(r.stdout).toContain(step);
    }

    const build = await runCli(["build"], { cwd: dir });
    expect(build.stderr + build.stdout).toMatch(/6\/6 routes hold/);
    expect(build.exitCode).toBe(0);
    expect((await readdir(join(dir, "generated", "clients"))).sort()).toContain("openclaw.json");
  });

  it("refuses to overwrite an existing policy without --force (exit 2, nothing written); --force overwrites, keeps the secrets file", async () => {
    const dir = await project();
    const first = await runCli(["init", "--yes", "--local-url", ollama.url], { cwd: dir });
    expect(first.exitCode).toBe(0);
    const files = async () =>
      Object.fromEntries(await Promise.all((await readdir(dir)).sort().map(async (f) => [f, await readFile(join(dir, f), "utf8")])));
    const snapshot = await files();

    const refused = await runCli(["init", "--yes", "--local-url", ollama.url, "--cloud", "anthropic"], { cwd: dir });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("gateway.policy.yaml already exists; nothing was written");
    expect(refused.stderr).toContain("--force");
    expect(await files()).toEqual(snapshot);

    const forced = await runCli(["init", "--yes", "--force", "--local-url", ollama.url, "--cloud", "anthropic"], { cwd: dir });
    expect(forced.exitCode).toBe(0);
    const after = await files();
    expect(after["gateway.policy.yaml"]).toContain("ANTHROPIC_API_KEY");
    expect(after["secrets.env"]).toBe(snapshot["secrets.env"]);
    expect(forced.stdout).toContain(`kept ${join(dir, "secrets.env")}`);
    // no duplicate .gitignore entries
    expect(after[".gitignore"]).toBe(snapshot[".gitignore"]);
  });

  it("an unreachable backend: said plainly; --local-model lets it go on", async () => {
    const dir = await project();
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const failed = await runCli(["init", "--yes", "--local-url", url], { cwd: dir });
    expect(failed.exitCode).toBe(2);
    expect(failed.stderr).toContain(`could not reach the local backend at ${url}/api/tags: connection refused`);
    expect(failed.stderr).toContain("--local-model");
    expect(await readdir(dir)).toEqual([]);

    const ok = await runCli(["init", "--yes", "--local-url", url, "--local-model", "mistral:7b", "--lanes", "private,routine"], { cwd: dir });
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toContain("the local backend did not answer");
    const policy = parseYaml(await readFile(join(dir, "gateway.policy.yaml"), "utf8"));
    expect(Object.keys(policy.lanes)).toEqual(["private", "routine"]);
    expect(Object.keys(policy.routes)).toEqual(["secure-core", "local-model", "routine-router"]);
    expect(policy.models).toEqual({ "local-mistral-7b": { backend: "local", name: "mistral:7b" } });
  });

  it("OpenAI-compatible backend, two clouds, command secrets, process runtime, a chosen policy path: build accepts it", async () => {
    const dir = await project();
    const r = await runCli(
      [
        "init", "--yes", "--dir", join(dir, "gw"), "--local-type", "openai-compatible", "--local-url", openai.url.replace(/\/v1$/, ""),
        "--cloud", "openrouter,anthropic", "--cloud-lanes", "premium", "--secrets-provider", "command",
        "--secrets-command", "pass show gw/{name}", "--runtime", "process", "--json",
      ],
      { cwd: dir },
    );
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.probe).toEqual({ ok: true, url: `${openai.url}/models`, models: ["Qwen/Qwen2.5-7B-Instruct"] });
    expect(report.secretsFile).toBeUndefined();
    const policy = parseYaml(await readFile(join(dir, "gw", "gateway.policy.yaml"), "utf8"));
    expect(policy.backends.local).toMatchObject({ type: "openai-compatible", url: openai.url });
    expect(policy.secrets).toEqual({ provider: "command", command: "pass show gw/{name}" });
    expect(policy.gateway.runtime).toBe("process");
    expect(policy.lanes.routine.privacy).toBe("local-only");
    expect(policy.lanes.premium.privacy).toBe("cloud-allowed");
    expect(policy.routes["general-smart"]).toMatchObject({ model: "openrouter-claude-sonnet-4.5" });
    expect(await readFile(join(dir, "gw", ".gitignore"), "utf8")).not.toContain("secrets.env");
    const build = await runCli(["build", "--policy", join(dir, "gw", "gateway.policy.yaml")], { cwd: dir });
    expect(build.exitCode).toBe(0);
  });

  it("--secrets-file outside the project: created there with mode 0600, not git-ignored", async () => {
    const dir = await project();
    const home = await project();
    const secretsFile = join(home, "config", "gatewayctl", "secrets.env");
    const r = await runCli(["init", "--yes", "--local-url", ollama.url, "--secrets-file", secretsFile], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect((await stat(secretsFile)).mode & 0o777).toBe(0o600);
    expect(parseYaml(await readFile(join(dir, "gateway.policy.yaml"), "utf8")).secrets.file).toBe(secretsFile);
    expect(await readFile(join(dir, ".gitignore"), "utf8")).toBe(
      "# gatewayctl: secrets and local state (generated/ is meant to be committed)\n.env\n.gatewayctl/\n",
    );
  });

  it("with the Docker runtime it checks the image: the release built on this host is named when the official one is absent; a missing daemon is said", async () => {
    // the suite's Docker daemon has the locally built release (scripts/build-litellm-image.sh), not ghcr.io's
    const docker = await connectDocker();
    await docker.getImage(localBuildImage(DEFAULT_LITELLM_VERSION)).inspect().catch(() => {
      throw new Error(`${localBuildImage(DEFAULT_LITELLM_VERSION)} is not on the test daemon: run bash scripts/build-litellm-image.sh`);
    });
    const officialHere = await docker.getImage(officialImage(DEFAULT_LITELLM_VERSION)).inspect().then(() => true, () => false);
    expect(officialHere, "this test needs a daemon without the official image").toBe(false);

    const dir = await project();
    const r = await runCli(["init", "--yes", "--local-url", ollama.url, "--runtime", "docker"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Using ${localBuildImage(DEFAULT_LITELLM_VERSION)}, the same LiteLLM release built on this host`);
    expect(parseYaml(await readFile(join(dir, "gateway.policy.yaml"), "utf8")).gateway.image).toBe(localBuildImage(DEFAULT_LITELLM_VERSION));
    expect((await runCli(["build"], { cwd: dir })).exitCode).toBe(0);

    // neither image: start will pull; said, with the way out
    const absent = await dockerImageChoice("0.0.1");
    expect(absent.image).toBeUndefined();
    expect(absent.notes.join(" ")).toContain("ghcr.io/berriai/litellm:0.0.1 is not on this host yet: gatewayctl start pulls it from ghcr.io");
    expect(absent.notes.join(" ")).toContain("bash scripts/build-litellm-image.sh");

    // no daemon: a note, and the official image stays
    const noDaemon = await project();
    const nd = await runCli(["init", "--yes", "--local-url", ollama.url, "--runtime", "docker"], { cwd: noDaemon, env: { DOCKER_HOST: `unix://${join(noDaemon, "no-docker.sock")}` } });
    expect(nd.exitCode, nd.stderr).toBe(0);
    expect(nd.stdout).toContain("cannot reach the Docker daemon");
    expect(nd.stdout).toContain("gatewayctl start needs the Docker daemon (or choose the process runtime)");
    expect(parseYaml(await readFile(join(noDaemon, "gateway.policy.yaml"), "utf8")).gateway.image).toBeUndefined();
  });

  it("bad flags are bad input (exit 2), and without --yes it needs a terminal", async () => {
    const dir = await project();
    const lanes = await runCli(["init", "--yes", "--lanes", "private,secret", "--local-model", "x"], { cwd: dir });
    expect(lanes.exitCode).toBe(2);
    expect(lanes.stderr).toContain("--lanes: lanes are private, routine, coding, web, premium");
    const cloud = await runCli(["init", "--yes", "--cloud", "azure", "--local-model", "x"], { cwd: dir });
    expect(cloud.exitCode).toBe(2);
    const clients = await runCli(["init", "--yes", "--clients", "openclaw,cline", "--local-model", "x"], { cwd: dir });
    expect(clients.exitCode).toBe(2);
    expect(clients.stderr).toContain("--clients: clients are openclaw, scripts, aider,");
    const url = await runCli(["init", "--yes", "--local-url", "https://api.example.com", "--local-model", "x"], { cwd: dir });
    expect(url.exitCode).toBe(2);
    expect(url.stderr).toContain("not a local address");
    const noTty = await runCli(["init"], { cwd: dir, input: "" });
    expect(noTty.exitCode).toBe(2);
    expect(noTty.stderr).toContain("stdin is not a terminal");
    await mkdir(join(dir, "x"));
    expect((await readdir(dir)).sort()).toEqual(["x"]);
  });
});
