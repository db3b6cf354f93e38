/** The clients gatewayctl writes configs for (a module of its own, so the CLI lists them without loading the renderers). */
export const CLIENT_NAMES = ["openclaw", "continue", "open-webui", "aider", "env", "llm", "codex", "claude-code", "opencode", "librechat"] as const;
export type ClientName = (typeof CLIENT_NAMES)[number];
