import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./cli.js";

/** The real clients installed by scripts/setup-clients.sh into .tools-clients/. */
export const CLIENTS_DIR = join(ROOT, ".tools-clients");
export const AIDER_BIN = join(CLIENTS_DIR, "aider", "bin", "aider");
export const LLM_BIN = join(CLIENTS_DIR, "llm", "bin", "llm");
/** a Python with the OpenAI Python SDK (llm depends on it) */
export const OPENAI_PYTHON = join(CLIENTS_DIR, "llm", "bin", "python");
export const CLIENTS_NODE_MODULES = join(CLIENTS_DIR, "node", "node_modules");
export const CN_BIN = join(CLIENTS_NODE_MODULES, ".bin", "cn");
export const CODEX_BIN = join(CLIENTS_NODE_MODULES, ".bin", "codex");
export const OPENCODE_BIN = join(CLIENTS_NODE_MODULES, ".bin", "opencode");
export const CLAUDE_BIN = join(CLIENTS_NODE_MODULES, ".bin", "claude");
/** LibreChat's own config schema (zod), from its npm package librechat-data-provider */
export const LIBRECHAT_DATA_PROVIDER = join(CLIENTS_NODE_MODULES, "librechat-data-provider");

/** Open WebUI from PyPI, installed without its local ML packages and run as its slim build (USE_SLIM_DOCKER=true) */
export const OPEN_WEBUI_BIN = join(CLIENTS_DIR, "open-webui", "bin", "open-webui");

/** Fails (never skips) when Open WebUI is missing, saying how to install it. */
export function requireOpenWebUi(): void {
  if (!existsSync(OPEN_WEBUI_BIN)) {
    throw new Error(`Open WebUI is not installed (${OPEN_WEBUI_BIN} missing). Run scripts/setup-clients.sh (open-webui from PyPI into its own venv, slim, a few minutes).`);
  }
}

/** Fails (never skips) when a client is missing, saying how to install it. */
export function requireClients(): void {
  const missing = [AIDER_BIN, LLM_BIN, OPENAI_PYTHON, join(CLIENTS_NODE_MODULES, "openai", "package.json"), CN_BIN, CODEX_BIN, OPENCODE_BIN, CLAUDE_BIN, join(LIBRECHAT_DATA_PROVIDER, "package.json")].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `real clients are not installed (${missing.join(", ")} missing). Run scripts/setup-clients.sh ` +
        "(aider-chat and llm from PyPI into their own venvs; the OpenAI Node SDK, @continuedev/cli, @openai/codex, opencode-ai, @anthropic-ai/claude-code and librechat-data-provider from npm; a few minutes).",
    );
  }
}
