/**
 * The real clients against the real LiteLLM gateway, each configured only from what `gatewayctl build` /
 * `gatewayctl clients` wrote: the OpenAI Python and Node SDKs with `clients env`, llm with its
 * extra-openai-models.yaml, Continue's `cn` with its config, and aider with its private preset and with the everyday
 * config under `--model <local-only alias>`: with the local backend down, its commit leaves the cloud recorder empty.
 * Backends are recording HTTP servers; the clients come from scripts/setup-clients.sh. Test order matters: the
 * aider tests stop the local backend.
 */
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../support/cli.js";
import { requireLitellm } from "../support/litellm.js";
import { freePort } from "../support/net.js";
import { startRecordingCloud, startRecordingOllama, type RecordingBackend } from "../support/recording-backends.js";
import { AIDER_BIN, CLAUDE_BIN, CLIENTS_NODE_MODULES, CN_BIN, CODEX_BIN, LLM_BIN, OPENAI_PYTHON, OPENCODE_BIN, requireClients } from "../support/clients.js";

const KEYS = {
  LITELLM_MASTER_KEY: "sk-master-clients-real-0000000000",
  AIDER_KEY: "sk-aider-clients-real-000000000000",
  SCRIPTS_KEY: "sk-scripts-clients-real-0000000000",
  LLM_KEY: "sk-llm-clients-real-000000000000000",
  CONTINUE_KEY: "sk-continue-clients-real-000000000",
  CODEX_KEY: "sk-codex-clients-real-0000000000000",
  CLAUDE_KEY: "sk-claude-clients-real-000000000000",
  OPENCODE_KEY: "sk-opencode-clients-real-000000000",
  CLOUD_API_KEY: "sk-cloud-clients-real-000000000000",
};
const PRIVATE_MARK = "PRIVATE-LEDGER-7f3a9c";

let dir: string;
let cleanup: () => Promise<void>;
let ollama: RecordingBackend;
let cloud: RecordingBackend;
let policyFile: string;
let clientsDir: string;
let port: number;

/** A minimal environment: no caller OPENAI_* variables, a throwaway HOME. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(dir, "home"), LANG: "C.UTF-8", NO_COLOR: "1", ...extra };
}
const cloudBodies = (): string => JSON.stringify(cloud.requests.map((r) => r.body ?? ""));

beforeAll(async () => {
  requireClients();
  await requireLitellm();
  ({ dir, cleanup } = await tempDir("gatewayctl-clients-real-"));
  await mkdir(join(dir, "home"), { recursive: true });
  ollama = await startRecordingOllama({ models: ["llama3.1:8b"], reply: "hello from the local model" });
  cloud = await startRecordingCloud({ models: ["gpt-4o-mini"], reply: "hello from the cloud" });
  port = await freePort();
  policyFile = join(dir, "gateway.policy.yaml");
  await writeFile(
    policyFile,
    stringify({
      version: 1,
      gateway: { port, bind: "127.0.0.1", runtime: "process" },
      secrets: { provider: "env" },
      runtime: { dir: "./runtime" },
      backends: {
        ollama: { type: "ollama", url: ollama.url, location: "local" },
        cloud: { type: "openai-compatible", url: cloud.url, location: "cloud", apiKey: { secret: "CLOUD_API_KEY" } },
      },
      models: {
        llama: { backend: "ollama", name: "llama3.1:8b", contextWindow: 8192 },
        mini: { backend: "cloud", name: "gpt-4o-mini", price: { input: 0.15, output: 0.6 } },
      },
      lanes: {
        private: { privacy: "local-only", description: "Private work, never leaves the machine" },
        coding: { privacy: "local-first", description: "Code, local first, cloud fallback" },
        web: { privacy: "cloud-allowed", description: "Web research" },
      },
      routes: {
        "secure-core": { lane: "private", model: "llama" },
        coding: { lane: "coding", model: "llama", fallbacks: ["mini"] },
        "web-model": { lane: "web", model: "mini" },
      },
      clients: {
        aider: { key: { secret: "AIDER_KEY" }, lanes: ["private", "coding"] },
        scripts: { key: { secret: "SCRIPTS_KEY" }, routes: ["coding", "secure-core"] },
        llm: { key: { secret: "LLM_KEY" }, routes: ["secure-core", "web-model"] },
        continue: { key: { secret: "CONTINUE_KEY" }, lanes: ["private", "coding"] },
        codex: { key: { secret: "CODEX_KEY" }, lanes: ["private", "coding"] },
        "claude-code": { key: { secret: "CLAUDE_KEY" }, lanes: ["private", "coding"] },
        opencode: { key: { secret: "OPENCODE_KEY" }, lanes: ["private", "coding"] },
      },
    }),
  );
  const built = await runCli(["build", "--policy", policyFile], { env: KEYS });
  expect(built.exitCode, built.stderr).toBe(0);
  clientsDir = join(dir, "generated", "clients");
  const started = await runCli(["start", "--policy", policyFile, "--timeout", "180"], { env: KEYS, timeout: 240_000 });
  expect(started.exitCode, started.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  if (policyFile) await runCli(["stop", "--policy", policyFile], { env: KEYS });
  await ollama?.stop();
  await cloud?.stop();
  await cleanup?.();
});

describe("real clients configured only from gatewayctl's files", () => {
  it("OpenAI Python SDK with only `clients env`: lists exactly the scripts key's aliases (no gw-fallback group), chats on GATEWAY_MODEL", async () => {
    const envSh = join(dir, "env.sh");
    expect((await runCli(["clients", "env", "--policy", policyFile, "--out", envSh])).exitCode).toBe(0);
    ollama.clear();
    const script = [
      "import json, os",
      "from openai import OpenAI",
      "c = OpenAI()",
      "ids = sorted(m.id for m in c.models.list())",
      "r = c.chat.completions.create(model=os.environ['GATEWAY_MODEL'], messages=[{'role': 'user', 'content': 'hi from python'}], max_tokens=8)",
      "print(json.dumps({'ids': ids, 'text': r.choices[0].message.content}))",
    ].join("\n");
    const r = await execa("sh", ["-c", `. '${envSh}' && exec '${OPENAI_PYTHON}' -c "$0"`, script], { env: cleanEnv({ SCRIPTS_KEY: KEYS.SCRIPTS_KEY }), extendEnv: false, reject: false, timeout: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { ids: string[]; text: string };
    expect(out.ids).toEqual(["coding", "secure-core"]);
    expect(out.text).toBe("hello from the local model");
    expect(JSON.stringify(ollama.modelCalls().map((c) => c.body))).toContain("hi from python");
  });

  it("OpenAI Node SDK with only `clients env`: the same", async () => {
    const envSh = join(dir, "env.sh");
    const script = [
      `const { default: OpenAI } = await import(${JSON.stringify(join(CLIENTS_NODE_MODULES, "openai", "index.mjs"))});`,
      "const c = new OpenAI();",
      "const ids = []; for await (const m of c.models.list()) ids.push(m.id);",
      "const r = await c.chat.completions.create({ model: process.env.GATEWAY_MODEL, messages: [{ role: 'user', content: 'hi from node' }], max_tokens: 8 });",
      "console.log(JSON.stringify({ ids: ids.sort(), text: r.choices[0].message.content }));",
    ].join("\n");
    await writeFile(join(dir, "sdk.mjs"), script);
    const r = await execa("sh", ["-c", `. '${envSh}' && exec '${process.execPath}' '${join(dir, "sdk.mjs")}'`], { env: cleanEnv({ SCRIPTS_KEY: KEYS.SCRIPTS_KEY }), extendEnv: false, reject: false, timeout: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ids: ["coding", "secure-core"], text: "hello from the local model" });
  });

  it("llm with its generated extra-openai-models.yaml and its own key: gateway/secure-core answers from the local model", async () => {
    const llmDir = join(dir, "llm-user");
    await mkdir(llmDir, { recursive: true });
    await copyFile(join(clientsDir, "llm.extra-openai-models.yaml"), join(llmDir, "extra-openai-models.yaml"));
    const env = cleanEnv({ LLM_USER_PATH: llmDir });
    // llm reads a prompt from stdin when it is not a terminal: give it an empty one
    const set = await execa(LLM_BIN, ["keys", "set", "LLM_KEY", "--value", KEYS.LLM_KEY], { env, extendEnv: false, reject: false, input: "" });
    expect(set.exitCode, set.stderr).toBe(0);
    const models = await execa(LLM_BIN, ["models", "list"], { env, extendEnv: false, reject: false, input: "" });
    expect(models.stdout).toContain("gateway/secure-core");
    expect(models.stdout).toContain("gateway/web-model");
    expect(models.stdout).not.toContain("gateway/coding");
    ollama.clear();
    const r = await execa(LLM_BIN, ["-m", "gateway/secure-core", "--no-stream", "hi from llm"], { env, extendEnv: false, reject: false, timeout: 120_000, input: "" });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("hello from the local model");
    expect(JSON.stringify(ollama.modelCalls().map((c) => c.body))).toContain("hi from llm");
  });

  it("Continue's cn with the generated everyday config and with the private preset: headless prompts answered by the local model", async () => {
    for (const [file, mark] of [["continue.yaml", "MARK-CN-EVERYDAY"], ["continue.private.yaml", PRIVATE_MARK]] as const) {
      const home = join(dir, `cn-home-${file}`);
      await mkdir(join(home, ".continue"), { recursive: true });
      const config = join(home, ".continue", "config.yaml");
      await copyFile(join(clientsDir, file), config);
      await writeFile(join(home, ".continue", ".env"), `CONTINUE_KEY=${KEYS.CONTINUE_KEY}\n`, { mode: 0o600 });
      ollama.clear();
      cloud.clear();
      const r = await execa(CN_BIN, ["--config", config, "-p", `hi from cn ${mark}`], {
        cwd: home,
        env: cleanEnv({ HOME: home, CONTINUE_GLOBAL_DIR: join(home, ".continue"), CONTINUE_CLI_DISABLE_TELEMETRY: "1" }),
        extendEnv: false,
        reject: false,
        timeout: 180_000,
        input: "",
      });
      expect(r.exitCode, `${file}: ${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout, file).toContain("hello from the local model");
      expect(JSON.stringify(ollama.modelCalls().map((c) => c.body)), file).toContain(mark);
      expect(cloudBodies(), file).not.toContain(mark);
    }
  });
});

describe("Codex CLI, Claude Code and opencode with their generated files", () => {
  const localSaw = (mark: string): boolean => JSON.stringify(ollama.modelCalls().map((c) => c.body)).includes(mark);

  it("codex exec with the generated config.toml (Responses API), and --profile private: answered by the local model", async () => {
    const home = join(dir, "codex-home");
    await mkdir(home, { recursive: true });
    await copyFile(join(clientsDir, "codex.toml"), join(home, "config.toml"));
    await copyFile(join(clientsDir, "codex.private.config.toml"), join(home, "private.config.toml"));
    for (const [args, mark] of [[[], "MARK-CODEX-1"], [["--profile", "private"], "MARK-CODEX-2"]] as const) {
      ollama.clear();
      cloud.clear();
      const r = await execa(CODEX_BIN, ["exec", "--skip-git-repo-check", ...args, `hi from codex ${mark}`], {
        cwd: home,
        env: cleanEnv({ HOME: home, CODEX_HOME: home, CODEX_KEY: KEYS.CODEX_KEY }),
        extendEnv: false,
        reject: false,
        timeout: 120_000,
        input: "",
      });
      expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toContain("hello from the local model");
      expect(r.stderr, "codex ignored a generated setting").not.toContain("unrecognized configuration setting");
      expect(localSaw(mark)).toBe(true);
      expect(cloudBodies()).not.toContain(mark);
    }
  });

  it("claude -p with the generated everyday and private settings (Anthropic /v1/messages through the gateway): answered by the local model", async () => {
    for (const [file, mark] of [["claude-code.settings.json", "MARK-CLAUDE-EVERYDAY"], ["claude-code.private.settings.json", "MARK-CLAUDE-1"]] as const) {
      const home = join(dir, `claude-home-${file}`);
      await mkdir(join(home, "proj"), { recursive: true });
      ollama.clear();
      cloud.clear();
      const r = await execa(CLAUDE_BIN, ["-p", `hi from claude ${mark}`, "--settings", join(clientsDir, file)], {
        cwd: join(home, "proj"),
        env: cleanEnv({ HOME: home, CLAUDE_KEY: KEYS.CLAUDE_KEY }),
        extendEnv: false,
        reject: false,
        timeout: 120_000,
        input: "",
      });
      expect(r.exitCode, `${file}: ${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout, file).toContain("hello from the local model");
      expect(localSaw(mark), file).toBe(true);
      expect(cloudBodies(), file).not.toContain(mark);
    }
  });

  it("opencode run with the generated everyday and private opencode.json: answered by the local model, on the file's own model", async () => {
    for (const [file, mark, alias] of [["opencode.json", "MARK-OPENCODE-EVERYDAY", "coding"], ["opencode.private.json", "MARK-OPENCODE-1", "secure-core"]] as const) {
      const home = join(dir, `opencode-home-${file}`);
      await mkdir(join(home, "proj"), { recursive: true });
      await copyFile(join(clientsDir, file), join(home, "proj", "opencode.json"));
      expect(JSON.parse(await readFile(join(home, "proj", "opencode.json"), "utf8")).model, file).toBe(`gatewayctl/${alias}`);
      ollama.clear();
      cloud.clear();
      const r = await execa(OPENCODE_BIN, ["run", `hi from opencode ${mark}`], {
        cwd: join(home, "proj"),
        env: cleanEnv({ HOME: home, OPENCODE_KEY: KEYS.OPENCODE_KEY }),
        extendEnv: false,
        reject: false,
        timeout: 150_000,
        input: "",
      });
      expect(r.exitCode, `${file}: ${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout, file).toContain("hello from the local model");
      expect(`${r.stdout}\n${r.stderr}`, file).toContain(alias);
      expect(localSaw(mark), file).toBe(true);
      expect(cloudBodies(), file).not.toContain(mark);
    }
  });
});

describe("aider with the local backend down", () => {

  async function repoWithPrivateChange(name: string): Promise<string> {
    const r = join(dir, name);
    await mkdir(r, { recursive: true });
    const git = (...args: string[]) => execa("git", args, { cwd: r, env: cleanEnv({ GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@x", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@x" }), extendEnv: false });
    await git("init", "-q");
    await writeFile(join(r, "ledger.txt"), "opening balance\n");
    await git("add", "ledger.txt");
    await git("commit", "-qm", "init");
    await writeFile(join(r, "ledger.txt"), `opening balance\n${PRIVATE_MARK}: salary of the neighbour\n`);
    for (const f of ["aider.conf.yml", "aider.private.conf.yml", "aider.model.settings.yml", "aider.model.metadata.json"]) {
      await copyFile(join(clientsDir, f), join(r, `.${f}`));
    }
    return r;
  }

  /**
   * `aider --commit`: aider writes the commit message with its weak model, then the main model. With the local model
   * failing, aider retries a local-only alias with backoff for minutes: the run is stopped after `limitMs`, by then
   * it has sent the diff several times. Returns everything aider printed.
   */
  async function aiderCommit(cwd: string, args: string[], limitMs = 15_000): Promise<{ out: string; timedOut: boolean }> {
    const r = await execa(AIDER_BIN, [...args, "--commit", "--yes-always", "--no-check-update", "--analytics-disable", "--no-gitignore", "--no-show-release-notes", "--no-pretty"], {
      cwd,
      env: cleanEnv({
        OPENAI_API_KEY: KEYS.AIDER_KEY,
        LITELLM_LOCAL_MODEL_COST_MAP: "True",
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@x",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@x",
      }),
      extendEnv: false,
      reject: false,
      timeout: limitMs,
      input: "",
    });
    return { out: `${r.stdout}\n${r.stderr}`, timedOut: r.timedOut };
  }

  beforeAll(() => {
    // the local model server fails every model call (it still records them): a local-first alias now falls back to the cloud
    ollama.setFailing(true);
  });

  const localSawDiff = (): boolean => JSON.stringify(ollama.modelCalls().map((c) => c.body)).includes(PRIVATE_MARK);

  it("the private preset (aider --config .aider.private.conf.yml --commit): the diff goes only to the local model, never to the cloud", async () => {
    const repo = await repoWithPrivateChange("repo-private");
    ollama.clear();
    cloud.clear();
    const r = await aiderCommit(repo, ["--config", join(repo, ".aider.private.conf.yml")]);
    expect(r.out).toContain("Model: openai/secure-core");
    expect(localSawDiff(), r.out).toBe(true);
    expect(cloud.requests, r.out).toEqual([]);
  }, 60_000);

  it("the everyday config with `--model openai/secure-core --commit`: weak and editor models follow, the cloud recorder stays empty", async () => {
    const repo = await repoWithPrivateChange("repo-everyday");
    ollama.clear();
    cloud.clear();
    const r = await aiderCommit(repo, ["--model", "openai/secure-core"]);
    expect(r.out).toContain("Model: openai/secure-core");
    expect(r.out).not.toMatch(/Weak model: openai\/coding/);
    expect(localSawDiff(), r.out).toBe(true);
    expect(cloud.requests, r.out).toEqual([]);
  }, 60_000);

  it("control: with a weak model pinned to the local-first alias (the old config), the same commit sends the private diff to the cloud", async () => {
    const repo = await repoWithPrivateChange("repo-old");
    const conf = join(repo, ".aider.conf.yml");
    await writeFile(conf, `${await readFile(conf, "utf8")}weak-model: openai/coding\n`);
    cloud.clear();
    const r = await aiderCommit(repo, ["--model", "openai/secure-core"]);
    expect(cloudBodies(), r.out).toContain(PRIVATE_MARK);
  }, 60_000);
});
