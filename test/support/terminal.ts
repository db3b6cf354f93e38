import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { CLI } from "./cli.js";

const run = promisify(execFile);

/**
 * The wizard in a real pseudo-terminal: tmux runs `gatewayctl init` in a detached 120x40 session, keystrokes go in
 * with send-keys, the screen comes out with capture-pane. Each session has its own tmux server socket. A session can
 * also hold an interactive bash (startShell), so a test can type a README's commands the way a reader does.
 */
export class TerminalSession {
  /** @param socket the tmux server's socket, in the test's temp dir (removed with it) */
  constructor(private readonly socket: string) {}

  private tmux(...args: string[]) {
    // -u: UTF-8 whatever the locale, so the prompts' glyphs (◉ ❯ ✔) come back as written
    return run("tmux", ["-u", "-S", this.socket, ...args]);
  }

  /** runs `gatewayctl ARGS` (this checkout's dist/cli.js) in CWD */
  async start(cwd: string, args: string[]): Promise<void> {
    const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    // keep the pane after the CLI exits so its last screen and exit code can be read
    const command = `env NO_COLOR=1 LANG=C.UTF-8 ${quoted}; echo "EXIT=$?"; sleep 600`;
    await this.tmux("new-session", "-d", "-x", "120", "-y", "40", "-c", cwd, command);
  }

  /**
   * An interactive bash (no rc files) in CWD with ENV as its whole environment. After every command line, the shell's
   * PROMPT_COMMAND appends that line's exit status to RCFILE, so a test knows when a typed line has finished and
   * whether it failed.
   */
  async startShell(cwd: string, env: Record<string, string>, rcFile: string): Promise<void> {
    const assignments = Object.entries({ ...env, NO_COLOR: "1", LANG: "C.UTF-8", PS1: "$ " }).map(
      ([k, v]) => `${k}='${v.replace(/'/g, "'\\''")}'`,
    );
    const rc = `'${rcFile.replace(/'/g, "'\\''")}'`;
    const command = `env -i ${assignments.join(" ")} PROMPT_COMMAND='echo $? >> '${rc} bash --norc --noprofile -i`;
    await this.tmux("new-session", "-d", "-x", "200", "-y", "50", "-c", cwd, command);
  }

  async screen(): Promise<string> {
    const { stdout } = await this.tmux("capture-pane", "-p", "-J", "-S", "-200");
    return stdout;
  }

  async waitFor(what: string | RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      last = await this.screen();
      if (typeof what === "string" ? last.includes(what) : what.test(last)) {
        // let the prompt finish taking over the terminal (raw mode, key listener) before keys are sent
        await new Promise((r) => setTimeout(r, 200));
        return last;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${String(what)}; the screen was:\n${last}`);
  }

  /** key names as tmux knows them: Enter, Space, Down, Up, BSpace, C-c */
  async keys(...keys: string[]): Promise<void> {
    for (const k of keys) {
      await this.tmux("send-keys", k);
      await new Promise((r) => setTimeout(r, 60));
    }
  }

  async type(text: string): Promise<void> {
    await this.tmux("send-keys", "-l", text);
    await new Promise((r) => setTimeout(r, 60));
  }

  async exitCode(): Promise<number> {
    const screen = await this.waitFor(/EXIT=\d+/);
    return Number(/EXIT=(\d+)/.exec(screen)?.[1]);
  }

  async kill(): Promise<void> {
    await this.tmux("kill-server").catch(() => undefined);
  }
}

