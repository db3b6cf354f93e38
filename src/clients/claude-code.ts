import type { RouteMap } from "../artifact/types.js";
import { keyEnvOf, codingRoute, privateRoute } from "./routes.js";

/**
 * Claude Code (`settings.json`): `ANTHROPIC_BASE_URL` at the gateway (LiteLLM's Anthropic-format /v1/messages, which
 * the front door admits and the guard judges), the key from `apiKeyHelper` (its output is sent as the key), and every
 * model slot in `env`: the main model, the opus/sonnet/haiku defaults (the haiku one does background work: titles,
 * summaries) and the sub-agent model. `claude --model X` replaces only the main model, so the others read whatever
 * session runs: they are on the local-only alias when the key has one. The private preset has every slot on it.
 */
export function claudeCodeSettings(map: RouteMap, baseUrl: string, privatePreset = false): Record<string, unknown> | undefined {
  const coding = codingRoute(map);
  const priv = privateRoute(map);
  const main = privatePreset ? priv : coding;
  if (!main) return undefined;
  const background = (priv ?? main).alias;
  return {
    apiKeyHelper: `printenv ${keyEnvOf(map)}`,
    env: {
      ANTHROPIC_BASE_URL: baseUrl.replace(/\/v1$/, ""),
      ANTHROPIC_MODEL: main.alias,
      ANTHROPIC_DEFAULT_OPUS_MODEL: background,
      ANTHROPIC_DEFAULT_SONNET_MODEL: background,
      ANTHROPIC_DEFAULT_HAIKU_MODEL: background,
      CLAUDE_CODE_SUBAGENT_MODEL: background,
      // no telemetry, error reporting or update checks: nothing but the gateway is contacted
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    },
  };
}

/** JSON has no comments: the notes are a `$comment`-free README block; the file itself is plain settings. */
export function claudeCodeNotes(map: RouteMap, privatePreset = false): string[] {
  const priv = privateRoute(map);
  return [
    privatePreset
      ? `Claude Code PRIVATE preset: every model slot on ${priv?.alias ?? "(none)"} (local only). Use: claude --settings <this file>`
      : `Claude Code settings: put at ~/.claude/settings.json or <project>/.claude/settings.json (merge env into yours).`,
    `The key: export ${keyEnvOf(map)}=<gateway key> (apiKeyHelper prints it; it is never written to the file).`,
  ];
}

export function renderClaudeCodeFile(map: RouteMap, baseUrl: string, privatePreset = false): string | undefined {
  const settings = claudeCodeSettings(map, baseUrl, privatePreset);
  if (!settings) return undefined;
  return `${JSON.stringify(settings, null, 2)}\n`;
}
