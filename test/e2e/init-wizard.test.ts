import { execFile } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../support/cli.js";
import { closedPort, startOllamaModelList, type ModelListServer } from "../support/model-list-servers.js";
import { TerminalSession } from "../support/terminal.js";

const run = promisify(execFile);

let ollama: ModelListServer;
const sessions: TerminalSession[] = [];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  await run("tmux", ["-V"]).catch(() => {
    throw new Error("tmux is missing: the wizard is tested in a real terminal through tmux (apt-get install tmux)");
  });
  ollama = await startOllamaModelList(["llama3.1:8b", "qwen2.5-coder:7b"]);
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.kill()));
});
afterAll(async () => {
  await ollama?.close();
  await Promise.all(cleanups.map((c) => c()));
});

async function session(): Promise<{ term: TerminalSession; dir: string }> {
  const t = await tempDir("gatewayctl-wizard-");
  const tmuxDir = await tempDir("gatewayctl-tmux-");
  cleanups.push(t.cleanup, tmuxDir.cleanup);
  const term = new TerminalSession(join(tmuxDir.dir, "tmux.sock"));
  sessions.push(term);
  return { term, dir: t.dir };
}

describe("gatewayctl init, the interactive wizard in a real terminal", () => {
  it("offers the installed models it probed, takes arrows/space/enter, writes a policy build accepts", async () => {
    const { term, dir } = await session();
    const before = ollama.requests.length;
    await term.start(dir, ["init"]);

    let screen = await term.waitFor("Which work lanes do you want?");
    // the five recommended lanes, preselected, each with its meaning
    for (const lane of ["private", "routine", "coding", "web", "premium"]) expect(screen).toMatch(new RegExp(`◉ ${lane}\\s+\\S`));
    expect(screen).toContain("it never leaves this network");
    await term.keys("Down", "Down", "Down", "Space"); // drop "web"
    await term.keys("Enter");

    await term.waitFor("Local model server");
    await term.keys("Enter"); // Ollama
    await term.waitFor("Its URL");
    await term.type(ollama.url);
    await term.keys("Enter");

    screen = await term.waitFor("Cloud providers to allow");
    expect(screen).toContain("Found 2 installed models: llama3.1:8b, qwen2.5-coder:7b");
    await term.keys("Space", "Enter"); // OpenAI

    screen = await term.waitFor("Which lanes may send requests to those cloud providers?");
    expect(screen).toMatch(/private\s+never \(always local only\)/);
    await term.keys("Enter"); // defaults: routine, premium

    screen = await term.waitFor("Local model for the private lane");
    expect(screen).toMatch(/❯ llama3\.1:8b\n\s+qwen2\.5-coder:7b/);
    await term.keys("Enter");
    await term.waitFor("Local model for the routine lane");
    await term.keys("Enter");
    screen = await term.waitFor("Local model for the coding lane");
    expect(screen).toMatch(/❯ qwen2\.5-coder:7b/); // a coder model is preselected for the coding lane
    await term.keys("Enter");
    await term.waitFor("Local model for the premium lane");
    await term.keys("Enter");

    await term.waitFor("How should the LiteLLM gateway run?");
    await term.keys("Enter"); // docker
    // the model-list server listens on 127.0.0.1 only: a container could not reach it
    screen = await term.waitFor("Port the gateway listens on");
    expect(screen).toContain("the local server answers only on 127.0.0.1");
    expect(screen).toContain("OLLAMA_HOST=0.0.0.0");
    await term.keys("Enter"); // 4000
    screen = await term.waitFor("Which clients will use the gateway?");
    // OpenClaw and scripts are preselected; every client kind gatewayctl writes a file for is offered
    expect(screen).toMatch(/◉ OpenClaw's default agent/);
    expect(screen).toMatch(/◉ Shell scripts and SDKs/);
    for (const kind of ["aider", "Continue", "Codex CLI", "Claude Code", "opencode", "Open WebUI", "LibreChat", "llm"]) expect(screen).toMatch(new RegExp(`◯ [^\n]*${kind}`));
    await term.keys("Down", "Down", "Space", "Enter"); // add aider
    await term.waitFor("Where do secret values");
    await term.keys("Enter"); // env-file
    await term.waitFor("Secrets file");
    await term.keys("Enter"); // secrets.env
    await term.waitFor("Create secrets.env now (mode 0600)");
    await term.keys("Enter");

    screen = await term.waitFor("Next steps:");
    expect(await term.exitCode()).toBe(0);
    expect(screen).toContain("gatewayctl build");
    expect(screen).toContain("gatewayctl clients openclaw");
    expect(screen).toContain(`export AIDER_GATEWAY_KEY="$(sed -n 's/^AIDER_GATEWAY_KEY=//p' secrets.env)"; gatewayctl clients aider --out`);
    expect(ollama.requests.slice(before)).toEqual([{ method: "GET", path: "/api/tags" }]);

    const policy = parseYaml(await readFile(join(dir, "gateway.policy.yaml"), "utf8"));
    expect(Object.keys(policy.lanes)).toEqual(["private", "routine", "coding", "premium"]);
    expect(policy.lanes.routine.privacy).toBe("local-first");
    expect(policy.lanes.coding.privacy).toBe("local-only");
    expect(policy.routes.coding.model).toBe("local-qwen2.5-coder-7b");
    expect(policy.routes["routine-router"].fallbacks).toEqual(["openai-gpt-4.1-mini"]);
    expect(Object.keys(policy.clients)).toEqual(["openclaw", "openclaw-private", "scripts", "aider"]);
    expect(policy.clients.aider).toMatchObject({ key: { secret: "AIDER_GATEWAY_KEY" }, lanes: ["private", "coding"] });
    expect(await readFile(join(dir, "secrets.env"), "utf8")).toMatch(/^AIDER_GATEWAY_KEY=sk-\S{48}$/m);
    expect((await stat(join(dir, "secrets.env"))).mode & 0o777).toBe(0o600);
    const key = /LITELLM_MASTER_KEY=(sk-\S{48})/.exec(await readFile(join(dir, "secrets.env"), "utf8"))?.[1];
    expect(key).toBeDefined();
    expect(await readFile(join(dir, "gateway.policy.yaml"), "utf8")).not.toContain(key as string);
    expect(screen).not.toContain(key as string);

    const build = await runCli(["build"], { cwd: dir });
    expect(build.exitCode).toBe(0);
  });

  it("an unreachable backend is said plainly; typed model names are validated as you type", async () => {
    const { term, dir } = await session();
    const port = await closedPort();
    await term.start(dir, ["init"]);

    await term.waitFor("Which work lanes do you want?");
    await term.keys("i", "Space", "Enter"); // invert (none), then private only
    await term.waitFor("Local model server");
    await term.keys("Enter");
    await term.waitFor("Its URL");
    await term.type("https://api.example.com");
    await term.keys("Enter");
    await term.waitFor("is not a local address");
    for (let i = 0; i < "https://api.example.com".length; i++) await term.keys("BSpace");
    await term.type(`http://127.0.0.1:${port}`);
    await term.keys("Enter");

    let screen = await term.waitFor("Cloud providers to allow");
    expect(screen).toContain(`Could not reach the local backend at http://127.0.0.1:${port}/api/tags: connection refused`);
    expect(screen).toContain("You can continue and type the model names");
    await term.keys("Enter"); // none

    screen = await term.waitFor("Local model for the private lane (the only model): name");
    expect(screen).not.toContain("Which lanes may send requests");
    await term.type("phi 3");
    // said while typing, before Enter
    await term.waitFor("phi 3   (a model name has no spaces)");
    await term.keys("Enter");
    await term.waitFor("> a model name has no spaces");
    for (let i = 0; i < 5; i++) await term.keys("BSpace");
    await term.type("phi3:mini");
    await term.keys("Enter");

    await term.waitFor("How should the LiteLLM gateway run?");
    await term.keys("Down", "Enter"); // process
    await term.waitFor("Port the gateway listens on");
    await term.type("99999");
    await term.waitFor("99999   (a port between 1 and 65535)");
    for (let i = 0; i < 5; i++) await term.keys("BSpace");
    await term.type("4555");
    await term.keys("Enter");
    await term.waitFor("Which clients will use the gateway?");
    await term.keys("Enter"); // OpenClaw and scripts
    await term.waitFor("Where do secret values");
    await term.keys("Down", "Enter"); // env
    await term.waitFor("Next steps:");
    expect(await term.exitCode()).toBe(0);

    const policy = parseYaml(await readFile(join(dir, "gateway.policy.yaml"), "utf8"));
    expect(Object.keys(policy.routes)).toEqual(["secure-core", "local-model"]);
    expect(policy.models).toEqual({ "local-phi3-mini": { backend: "local", name: "phi3:mini" } });
    expect(policy.secrets).toEqual({ provider: "env" });
    expect(policy.gateway.runtime).toBe("process");
    expect(policy.gateway.port).toBe(4555);
    expect((await readdir(dir)).sort()).toEqual([".env.example", ".gitignore", "gateway.policy.yaml"]);
    expect((await runCli(["build"], { cwd: dir })).exitCode).toBe(0);
  });

  it("every flag given is the answer: only the rest is asked; no cloud question without a cloud provider", async () => {
    const { term, dir } = await session();
    await term.start(dir, ["init", "--local-url", ollama.url, "--lanes", "private,routine,web", "--cloud", "none", "--runtime", "process", "--port", "4777", "--secrets-provider", "env", "--clients", "scripts,open-webui"]);
    // the server type was not given: asked (the URL was, so it is not)
    await term.waitFor("Local model server");
    await term.keys("Enter"); // Ollama
    let screen = await term.waitFor("Local model for the private lane");
    for (const given of [`Its URL: ${ollama.url} (from --local-url)`, "Lanes: private, routine, web (from --lanes)", "Cloud providers: none (from --cloud)"]) {
      expect(screen).toContain(given);
    }
    expect(screen).not.toContain("Which work lanes do you want?");
    await term.keys("Enter");
    await term.waitFor("Local model for the routine lane (the only model)");
    await term.keys("Enter");
    screen = await term.waitFor("Local model for the web lane");
    // no cloud provider: the web lane's local model is its only model, not "the fallback when the cloud fails"
    expect(screen).toContain("Local model for the web lane (the only model)");
    expect(screen).not.toContain("fallback when the cloud fails");
    await term.keys("Enter");
    screen = await term.waitFor("Next steps:");
    expect(await term.exitCode()).toBe(0);
    for (const notAsked of ["Its URL\n", "Cloud providers to allow", "Which lanes may send", "How should the LiteLLM gateway run?", "Port the gateway listens on", "Which clients will use the gateway?", "Where do secret values"]) {
      expect(screen).not.toContain(notAsked);
    }
    const policy = parseYaml(await readFile(join(dir, "gateway.policy.yaml"), "utf8"));
    expect(policy.gateway).toMatchObject({ port: 4777, runtime: "process" });
    expect(policy.backends.local.url).toBe(ollama.url);
    expect(screen).toContain("Clients: scripts, open-webui (from --clients)");
    expect(Object.keys(policy.clients)).toEqual(["scripts", "open-webui"]);
    for (const lane of Object.values(policy.lanes) as Array<{ privacy: string; description: string }>) {
      expect(lane.privacy).toBe("local-only");
      expect(lane.description).not.toMatch(/cloud/);
    }
  });

  it("Ctrl-C cancels: nothing written, exit 1", async () => {
    const { term, dir } = await session();
    await term.start(dir, ["init"]);
    await term.waitFor("Which work lanes do you want?");
    await term.keys("C-c");
    const screen = await term.waitFor(/EXIT=\d+/);
    expect(screen).toContain("init was cancelled; nothing was written");
    expect(await term.exitCode()).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });
});
