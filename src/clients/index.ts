/**
 * Client configurations that point at the gateway and name only route aliases, never vendor model ids.
 * Everything exported here is pure (no I/O): `build` writes the files, `gatewayctl clients` prints or merges them.
 */
import type { GeneratedFile } from "../compile/types.js";
import type { RouteMap } from "../artifact/types.js";
import { renderAiderConfFile, renderAiderMetadataFile, renderAiderPrivateFile, renderAiderSettingsFile, aiderConfig, aiderPrivateConfig } from "./aider.js";
import { continueAutocompleteRoute, renderContinueFile, renderContinuePrivateFile } from "./continue.js";
import { renderEnvFile } from "./env-sh.js";
import { clientBaseUrl } from "../artifact/gateway.js";
import { openWebUiChoices, renderOpenWebUiFile } from "./open-webui.js";
import { OPENCLAW_PRIVATE_AGENT_ID, OPENCLAW_PRIVATE_CLIENT, openClawSettings, renderOpenClawFile } from "./openclaw.js";
import { clientView, codingRoute, localOnlyRoutes, privateRoute } from "./routes.js";
import { renderLlmFile } from "./llm.js";
import { codexConfig, renderCodexFile, renderCodexPrivateFile } from "./codex.js";
import { claudeCodeSettings, renderClaudeCodeFile } from "./claude-code.js";
import { opencodeConfig, renderOpencodeFile } from "./opencode.js";
import { libreChatConfig, renderLibreChatFile } from "./librechat.js";

export { normaliseBaseUrl } from "./gateway-url.js";
export { CLIENT_KEY_ENV } from "./routes.js";

export interface ClientAliasUsage {
  client: string;
  /** path relative to the build output directory, e.g. clients/openclaw.json */
  file: string;
  aliases: string[];
  note?: string;
}

import { CLIENT_NAMES, type ClientName } from "./names.js";
export { CLIENT_NAMES, type ClientName } from "./names.js";

/** One client's files; the first is the main one (what `gatewayctl clients <name>` prints or writes to --out). */
export interface ClientRender {
  client: ClientName;
  files: GeneratedFile[];
  usage: ClientAliasUsage[];
}

/** Where each client's main file goes on the user's machine (for messages and the README). */
export const CLIENT_DESTINATIONS: Record<ClientName, string> = {
  openclaw: "~/.openclaw/openclaw.json (merge with --merge)",
  continue: "~/.continue/config.yaml",
  "open-webui": "the Open WebUI container's --env-file",
  aider: "<repo>/.aider.conf.yml (and .aider.model.metadata.json beside it)",
  env: "source it in your shell: . ./env.sh",
  llm: '"$(dirname "$(llm logs path)")/extra-openai-models.yaml"',
  codex: "~/.codex/config.toml",
  "claude-code": "~/.claude/settings.json or <project>/.claude/settings.json",
  opencode: "<project>/opencode.json or ~/.config/opencode/opencode.json",
  librechat: "LibreChat's librechat.yaml (its key in LibreChat's .env)",
};

/**
 * The policy client (`clients:` entry) whose key and aliases each generated config uses, unless `--client` names
 * another: the client of the same name, `scripts` for the shell and SDK environment.
 */
export const POLICY_CLIENT_FOR: Record<ClientName, string> = {
  openclaw: "openclaw",
  continue: "continue",
  "open-webui": "open-webui",
  aider: "aider",
  env: "scripts",
  llm: "llm",
  codex: "codex",
  "claude-code": "claude-code",
  opencode: "opencode",
  librechat: "librechat",
};

/** Pure: the files of one client, paths under `clients/`, naming only the aliases of its policy client and its own key. */
export function renderClient(client: ClientName, fullMap: RouteMap, baseUrl: string, policyClient: string = POLICY_CLIENT_FOR[client]): ClientRender {
  const routeMap = clientView(fullMap, policyClient);
  const all = routeMap.routes.map((r) => r.alias);
  switch (client) {
    case "openclaw": {
      const privateMap = clientView(fullMap, OPENCLAW_PRIVATE_CLIENT);
      const settings = openClawSettings(routeMap, baseUrl, privateMap);
      const priv = settings.agents.entries?.[OPENCLAW_PRIVATE_AGENT_ID];
      const notes = [
        settings.agents.defaults ? `default agent: ${settings.agents.defaults.model.primary}` : undefined,
        priv ? `agent "${OPENCLAW_PRIVATE_AGENT_ID}": ${priv.modelPolicy.allow.join(", ")} only` : undefined,
      ].filter((n): n is string => n !== undefined);
      return {
        client,
        files: [{ path: "clients/openclaw.json", content: renderOpenClawFile(routeMap, baseUrl, privateMap) }],
        usage: [{ client, file: "clients/openclaw.json", aliases: all, note: notes.join("; ") || undefined }],
      };
    }
    case "continue": {
      const auto = continueAutocompleteRoute(routeMap);
      const privateFile = renderContinuePrivateFile(routeMap, baseUrl);
      return {
        client,
        files: [
          { path: "clients/continue.yaml", content: renderContinueFile(routeMap, baseUrl) },
          ...(privateFile ? [{ path: "clients/continue.private.yaml", content: privateFile }] : []),
        ],
        usage: [
          { client, file: "clients/continue.yaml", aliases: all, note: auto ? `autocomplete: ${auto.alias}` : undefined },
          ...(privateFile
            ? [{ client, file: "clients/continue.private.yaml", aliases: localOnlyRoutes(routeMap).map((r) => r.alias), note: "private preset: every role local-only" }]
            : []),
        ],
      };
    }
    case "open-webui": {
      const { defaultAlias, taskAlias } = openWebUiChoices(routeMap);
      const aliases = [...new Set([defaultAlias, taskAlias].filter((a): a is string => a !== undefined))];
      return {
        client,
        files: [{ path: "clients/open-webui.env", content: renderOpenWebUiFile(routeMap, baseUrl) }],
        usage: [
          {
            client,
            file: "clients/open-webui.env",
            aliases,
            note: `default model ${defaultAlias ?? "-"}, task model ${taskAlias ?? "-"}; the picker lists every alias`,
          },
        ],
      };
    }
    case "aider": {
      const conf = aiderConfig(routeMap, baseUrl);
      const privateFile = renderAiderPrivateFile(routeMap, baseUrl);
      const priv = aiderPrivateConfig(routeMap, baseUrl) ? privateRoute(routeMap) : undefined;
      return {
        client,
        files: [
          { path: "clients/aider.conf.yml", content: renderAiderConfFile(routeMap, baseUrl) },
          { path: "clients/aider.model.metadata.json", content: renderAiderMetadataFile(routeMap) },
          { path: "clients/aider.model.settings.yml", content: renderAiderSettingsFile(routeMap) },
          ...(privateFile ? [{ path: "clients/aider.private.conf.yml", content: privateFile }] : []),
        ],
        usage: [
          {
            client,
            file: "clients/aider.conf.yml",
            aliases: conf ? [codingRoute(routeMap)?.alias ?? ""].filter((a) => a !== "") : [],
            note: "main model; weak and editor models follow --model",
          },
          ...(priv ? [{ client, file: "clients/aider.private.conf.yml", aliases: [priv.alias], note: "private preset: model, weak model and editor model" }] : []),
        ],
      };
    }
    case "env":
      return {
        client,
        files: [{ path: "clients/env.sh", content: renderEnvFile(routeMap, baseUrl) }],
        usage: [{ client, file: "clients/env.sh", aliases: [], note: "OPENAI_BASE_URL/OPENAI_API_KEY; any alias as model" }],
      };
    case "llm":
      return {
        client,
        files: [{ path: "clients/llm.extra-openai-models.yaml", content: renderLlmFile(routeMap, baseUrl) }],
        usage: [{ client, file: "clients/llm.extra-openai-models.yaml", aliases: all, note: "llm -m gateway/<alias>" }],
      };
    case "codex": {
      const conf = codexConfig(routeMap, baseUrl);
      const priv = privateRoute(routeMap);
      const privateFile = renderCodexPrivateFile(routeMap, baseUrl);
      return {
        client,
        files: [
          { path: "clients/codex.toml", content: renderCodexFile(routeMap, baseUrl) },
          ...(privateFile ? [{ path: "clients/codex.private.config.toml", content: privateFile }] : []),
        ],
        usage: [
          {
            client,
            file: "clients/codex.toml",
            aliases: conf ? [...new Set([String(conf.model), String(conf.review_model)])] : [],
            note: priv ? `review_model ${priv.alias}` : undefined,
          },
          ...(privateFile && priv ? [{ client, file: "clients/codex.private.config.toml", aliases: [priv.alias], note: "private profile: model and review_model" }] : []),
        ],
      };
    }
    case "librechat": {
      const content = renderLibreChatFile(routeMap, baseUrl);
      const conf = libreChatConfig(routeMap, baseUrl) as { endpoints: { custom: Array<{ titleModel?: string }> } } | undefined;
      return {
        client,
        files: content ? [{ path: "clients/librechat.yaml", content }] : [],
        usage: content ? [{ client, file: "clients/librechat.yaml", aliases: all, note: `title model ${conf?.endpoints.custom[0]?.titleModel ?? "-"}` }] : [],
      };
    }
    case "claude-code":
    case "opencode": {
      const render = client === "claude-code" ? renderClaudeCodeFile : renderOpencodeFile;
      const base = client === "claude-code" ? "clients/claude-code.settings.json" : "clients/opencode.json";
      const privPath = client === "claude-code" ? "clients/claude-code.private.settings.json" : "clients/opencode.private.json";
      const main = render(routeMap, baseUrl);
      const privateFile = localOnlyRoutes(routeMap).length > 0 ? render(routeMap, baseUrl, true) : undefined;
      const aliasesOf = (privatePreset: boolean): string[] => {
        if (client === "claude-code") {
          const env = (claudeCodeSettings(routeMap, baseUrl, privatePreset)?.env ?? {}) as Record<string, string>;
          return [...new Set(Object.entries(env).filter(([k]) => k.endsWith("_MODEL")).map(([, v]) => v))];
        }
        const c = opencodeConfig(routeMap, baseUrl, privatePreset);
        return c ? [...new Set([String(c.model), String(c.small_model)].map((m) => m.slice(m.indexOf("/") + 1)))] : [];
      };
      return {
        client,
        files: [...(main ? [{ path: base, content: main }] : []), ...(privateFile ? [{ path: privPath, content: privateFile }] : [])],
        usage: [
          ...(main ? [{ client, file: base, aliases: aliasesOf(false), note: "main model; background models on the local-only alias" }] : []),
          ...(privateFile ? [{ client, file: privPath, aliases: aliasesOf(true), note: "private preset: every slot local-only" }] : []),
        ],
      };
    }
  }
}

/** Pure: every client's files (sorted by path) and which file uses which alias, rendering each client once. */
export function renderClients(routeMap: RouteMap): { files: GeneratedFile[]; usage: ClientAliasUsage[] } {
  const baseUrl = clientBaseUrl(routeMap.gateway);
  const renders = CLIENT_NAMES.map((c) => renderClient(c, routeMap, baseUrl));
  return {
    files: renders.flatMap((r) => r.files).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    usage: renders.flatMap((r) => r.usage),
  };
}
