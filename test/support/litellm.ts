import { access } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "./cli.js";

/** The pinned LiteLLM that scripts/setup-litellm.sh installs into the project's virtualenv. */
export const LITELLM = join(ROOT, ".venv-litellm", "bin", "litellm");

/** Fails (never skips) when the real LiteLLM is missing, saying how to install it. */
export async function requireLitellm(): Promise<void> {
  await access(LITELLM).catch(() => {
    throw new Error(`${LITELLM} is missing: run scripts/setup-litellm.sh to install the pinned LiteLLM into .venv-litellm`);
  });
}
