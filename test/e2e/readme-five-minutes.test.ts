import { execFile } from "node:child_process";
import { copyFile, lstat, mkdir, readFile, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localBuildImage } from "../../src/artifact/gateway.js";
import { DEFAULT_LITELLM_VERSION } from "../../src/lib/versions.js";
import { ROOT, tempDir } from "../support/cli.js";
import { requireLitellm } from "../support/litellm.js";
import { freePort } from "../support/net.js";
import { openClawValidate, requireOpenClaw } from "../support/openclaw.js";
import { startRecordingOllama, type RecordingBackend } from "../support/recording-backends.js";
import { TerminalSession } from "../support/terminal.js";

const run = promisify(execFile);

/**
 * The README's "Two commands" (the first, in a fresh copy of the checkout) and "Your own gateway in five minutes",
 * walked as a new user walks it: the install line is run in a copy
 * of this checkout (npm ci there, never in the checkout the suite runs from), and every line of the section's shell
 * block is typed into an interactive bash in a real terminal, from an empty directory, with an empty HOME. The
 * wizard's questions are answered at its prompts. Nothing is run that the README does not say, except the checks.
 *
 * What cannot exist here is the model server: a recording Ollama stands in for it. The block is walked twice: with
 * the process runtime (the README's `scripts/setup-litellm.sh` path; the copy's `.venv-litellm` is a link to the one
 * the suite installed, so that script finds it in place instead of installing LiteLLM again) and with the Docker
 * runtime, where no registry is reachable and the release built on this host (`scripts/build-litellm-image.sh`, as the
 * README says) is what init finds.
 */

const SECTION = "## Your own gateway in five minutes";

interface Walk {
  install: string;
  lines: string[];
}

/** The install command (the section's inline code that runs `npm install -g`) and the lines of its first sh block. */
function readmeWalk(readme: string): Walk {
  const start = readme.indexOf(SECTION);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const next = readme.indexOf("\n## ", start + SECTION.length);
  const section = readme.slice(start, next < 0 ? undefined : next);
  const install = [...section.matchAll(/`([^`\n]*npm install -g[^`\n]*)`/g)][0]?.[1];
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (install === undefined || block === undefined) throw new Error(`the README's "${SECTION}" lost its install line or its sh block`);
  return { install, lines: block.split("\n").filter((l) => l.trim().length > 0) };
}

/** The checkout's own files (tracked, and new ones not ignored) copied as a user's clone would have them. */
async function copyCheckout(to: string): Promise<void> {
  const { stdout } = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, maxBuffer: 64 << 20 });
  for (const file of stdout.split("\0").filter(Boolean)) {
    const from = join(ROOT, file);
    const st = await lstat(from).catch(() => undefined);
    if (st === undefined || !st.isFile()) continue; // deleted in the work tree, or a link
    await mkdir(dirname(join(to, file)), { recursive: true });
    await copyFile(from, join(to, file));
  }
}

let backend: RecordingBackend;
let walk: Walk;
let base: string;
let prefix: string;
const terms: TerminalSession[] = [];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  await run("tmux", ["-V"]).catch(() => {
    throw new Error("tmux is missing: the README walk types its commands into a real terminal through tmux (apt-get install tmux)");
  });
  await requireLitellm();
  requireOpenClaw();
  // a container reaches the host's Ollama through the Docker bridge: the stand-in listens there too, as an Ollama
  // started with OLLAMA_HOST=0.0.0.0 does (the wizard checks it)
  backend = await startRecordingOllama({ models: ["llama3.1:8b"], reply: "hello from the local model", listenHost: "0.0.0.0" });
  walk = readmeWalk(await readFile(join(ROOT, "README.md"), "utf8"));
  const t = await tempDir("gatewayctl-readme-");
  cleanups.push(t.cleanup);
  base = t.dir;
  const checkout = join(base, "checkout");
  prefix = join(base, "npm-prefix");
  for (const d of [checkout, prefix]) await mkdir(d, { recursive: true });
  await copyCheckout(checkout);
  await symlink(join(ROOT, ".venv-litellm"), join(checkout, ".venv-litellm"));
  // "Put the gatewayctl command on your PATH from a checkout": exactly the README's line, in the copy
  const installEnv = { ...process.env, npm_config_prefix: prefix, npm_config_prefer_offline: "true", npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };
  await run("bash", ["-c", walk.install], { cwd: checkout, env: installEnv, maxBuffer: 64 << 20, timeout: 600_000 });
  // the process runtime's step: finds the venv in place
  await run("bash", ["scripts/setup-litellm.sh"], { cwd: checkout, env: installEnv });
}, 900_000);

afterAll(async () => {
  for (const t of terms) await t.kill();
  await backend?.close();
  for (const c of cleanups.reverse()) await c();
});

/**
 * One walk: a new HOME and an empty directory, the block typed line by line into an interactive shell whose PATH has
 * only what the install put there, the wizard answered; then a client request with what the block left in the shell.
 */
async function walkBlock(name: string, runtime: "docker" | "process"): Promise<void> {
  const home = join(base, name, "home");
  const work = join(base, name, "my-gateway");
  for (const d of [home, work]) await mkdir(d, { recursive: true });
  const rcFile = join(base, name, "exit-codes");
  const tmux = await tempDir("gatewayctl-tmux-");
  cleanups.push(tmux.cleanup);
  const term = new TerminalSession(join(tmux.dir, "tmux.sock"));
  terms.push(term);
  const port = await freePort();
  const shellEnv: Record<string, string> = { HOME: home, PATH: `${join(prefix, "bin")}:/usr/local/bin:/usr/bin:/bin`, TERM: "xterm-256color" };
  // the suite's Docker daemon (a user's is on the default socket)
  if (process.env.DOCKER_HOST) shellEnv.DOCKER_HOST = process.env.DOCKER_HOST;
  await term.startShell(work, shellEnv, rcFile);
  cleanups.push(async () => {
    await run(join(prefix, "bin", "gatewayctl"), ["stop"], { cwd: work, env: { ...process.env, ...shellEnv } }).catch(() => undefined);
  });
  const exitCodes = async (): Promise<number[]> =>
    (await readFile(rcFile, "utf8").catch(() => "")).split("\n").filter(Boolean).map(Number);
  const waitForPrompts = async (count: number, timeoutMs: number): Promise<number[]> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const codes = await exitCodes();
      if (codes.length >= count) return codes;
      if (Date.now() > deadline) throw new Error(`a typed line did not finish in ${timeoutMs} ms; the screen was:\n${await term.screen()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  await waitForPrompts(1, 10_000); // the shell's first prompt
  const typed: Array<{ line: string; exitCode: number }> = [];
  let wizardScreen = "";
  for (const line of walk.lines) {
    const before = (await exitCodes()).length;
    await term.type(line);
    await term.keys("Enter");
    if (/^gatewayctl init\b/.test(line)) wizardScreen = await answerWizard(term, backend.url, port, runtime);
    const codes = await waitForPrompts(before + 1, 300_000);
    typed.push({ line, exitCode: codes[before] as number });
  }
  const screen = await term.screen();
  expect(typed.filter((t) => t.exitCode !== 0), `failed lines; the screen was:\n${screen}`).toEqual([]);

  // what the walk left: a gateway on the chosen port and runtime, every route proven, clients set up with their own keys
  const policy = parseYaml(await readFile(join(work, "gateway.policy.yaml"), "utf8"));
  expect(policy.gateway).toMatchObject({ runtime, port });
  if (runtime === "docker") {
    // no registry here: the wizard found the release built on this host and named it; the backend is reachable
    expect(wizardScreen).toContain(`Using ${localBuildImage(DEFAULT_LITELLM_VERSION)}`);
    expect(wizardScreen).not.toContain("Warning:");
    expect(policy.gateway.image).toBe(localBuildImage(DEFAULT_LITELLM_VERSION));
  }
  expect(screen).toMatch(/\d+ checks: \d+ passed, \d+ warnings, 0 failed/);
  const before = backend.modelCalls().length;
  const envFile = join(base, name, "shell-env");
  await term.type(`env > ${envFile}`);
  await term.keys("Enter");
  await waitForPrompts(typed.length + 2, 10_000);
  const env = Object.fromEntries(
    (await readFile(envFile, "utf8")).split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  expect(env.OPENAI_BASE_URL).toBe(`http://127.0.0.1:${port}/v1`);
  const alias = env.GATEWAY_MODEL;
  expect(alias).toBeTruthy();
  const answer = await fetch(`${env.OPENAI_BASE_URL}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.OPENAI_API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: alias, messages: [{ role: "user", content: "a first request after five minutes" }] }),
  });
  const body = (await answer.json()) as { choices?: Array<{ message: { content: string } }> };
  expect(answer.status, JSON.stringify(body)).toBe(200);
  expect(body.choices?.[0]?.message.content).toBe("hello from the local model");
  expect(backend.modelCalls().length).toBe(before + 1);

  // the merged OpenClaw file is one the real OpenClaw accepts
  const validated = await openClawValidate(join(home, ".openclaw", "openclaw.json"), join(base, name, "openclaw-state"));
  expect(validated.exitCode, validated.stdout + validated.stderr).toBe(0);
  await run(join(prefix, "bin", "gatewayctl"), ["stop"], { cwd: work, env: { ...process.env, ...shellEnv } });
}

describe("the README's two commands, in a fresh checkout", () => {
  it("the first builds the bundled example: the committed golden files, byte for byte", async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const start = readme.indexOf("## Two commands");
    const first = /```sh\n([^\n]+)\n```/.exec(readme.slice(start))?.[1];
    expect(first, "the README's Two commands section lost its first command").toMatch(/^npm ci && npx gatewayctl build /);
    // a copy of its own, without dist/ or node_modules/: npm ci's prepare script must build the CLI
    const checkout = join(base, "two-commands-checkout");
    await copyCheckout(checkout);
    await run("bash", ["-c", first as string], { cwd: checkout, env: { ...process.env, npm_config_prefer_offline: "true" }, maxBuffer: 64 << 20, timeout: 600_000 });
    const out = /--out (\S+)/.exec(first as string)?.[1] as string;
    const golden = join(ROOT, "examples", "homelab", "generated");
    const { stdout: files } = await run("find", [".", "-type", "f"], { cwd: golden });
    const built = join(checkout, out);
    for (const f of files.split("\n").filter(Boolean)) {
      expect(await readFile(join(built, f), "utf8"), f).toBe(await readFile(join(golden, f), "utf8"));
    }
    const { stdout: builtFiles } = await run("find", [".", "-type", "f"], { cwd: built });
    expect(builtFiles.split("\n").filter(Boolean).sort()).toEqual(files.split("\n").filter(Boolean).sort());
  }, 600_000);
});

describe("the README's first five minutes, from an empty directory", () => {
  it("the process runtime: install line, then every command of the block typed as written; a route-tested gateway a client reaches", async () => {
    await walkBlock("process", "process");
  }, 900_000);

  it("the Docker runtime (the default answer), with the release built on this host: the same walk", async () => {
    await walkBlock("docker", "docker");
  }, 900_000);
});

/** The wizard's questions, answered at each prompt: defaults, except the server URL, the runtime and the port. Returns the screen. */
async function answerWizard(term: TerminalSession, url: string, port: number, runtime: "docker" | "process"): Promise<string> {
  await term.waitFor("Which work lanes do you want?", 30_000);
  await term.keys("Enter"); // the five recommended lanes
  await term.waitFor("Local model server");
  await term.keys("Enter"); // Ollama
  await term.waitFor("Its URL");
  // the prompt holds Ollama's default URL: replace it
  for (let i = 0; i < 40; i++) await term.keys("BSpace");
  await term.type(url);
  await term.keys("Enter");
  await term.waitFor("Cloud providers to allow");
  await term.keys("Enter"); // none
  await term.waitFor("Using llama3.1:8b (the only installed model) for every lane");
  await term.waitFor("How should the LiteLLM gateway run?");
  await term.keys(...(runtime === "process" ? ["Down", "Enter"] : ["Enter"]));
  await term.waitFor("Port the gateway listens on", 30_000);
  for (let i = 0; i < 10; i++) await term.keys("BSpace");
  await term.type(String(port));
  await term.keys("Enter");
  await term.waitFor("Which clients will use the gateway?");
  await term.keys("Enter"); // OpenClaw and scripts, as the block goes on to set up
  await term.waitFor("Where do secret values");
  await term.keys("Enter"); // env-file
  await term.waitFor("Secrets file");
  await term.keys("Enter"); // secrets.env
  await term.waitFor("Create secrets.env now (mode 0600)");
  await term.keys("Enter");
  return term.waitFor("Next steps:");
}
