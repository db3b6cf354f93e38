/**
 * Client configurations that point at the gateway and name only route aliases, never vendor model ids.
 * Everything exported here is pure (no I/O): `build` writes the files, `gatewayctl clients` prints or merges them.
 */
import type { GeneratedFile } from "../compile/types.js";
import type { RouteMap } from "../artifact/types.js";
import { renderAiderConfFile, renderAiderMetadataFile, aiderConfig } from "./aider.js";
import { renderContinueFile } from "./continue.js";
import { renderEnvFile } from "./env-sh.js";
import { clientBaseUrl } from "../artifact/gateway.js";
import { openWebUiChoices, renderOpenWebUiFile } from "./open-webui.js";
import { OPENCLAW_PRIVATE_AGENT_ID, OPENCLAW_PRIVATE_CLIENT, openClawSettings, renderOpenClawFile } from "./openclaw.js";
import { clientView, codingRoute } from "./routes.js";

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
      const coding = codingRoute(routeMap);
      return {
        client,
        files: [{ path: "clients/continue.yaml", content: renderContinueFile(routeMap, baseUrl) }],
        usage: [
          {
            client,
            file: "clients/continue.yaml",
            aliases: all,
            note: coding ? `autocomplete: ${coding.alias}` : undefined,
          },
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
      return {
        client,
        files: [
          { path: "clients/aider.conf.yml", content: renderAiderConfFile(routeMap, baseUrl) },
          { path: "clients/aider.model.metadata.json", content: renderAiderMetadataFile(routeMap) },
        ],
        usage: [
          {
            client,
            file: "clients/aider.conf.yml",
            aliases: conf ? [codingRoute(routeMap)?.alias ?? ""].filter((a) => a !== "") : [],
            note: "model, weak model and editor model",
          },
        ],
      };
    }
    case "env":
      return {
        client,
        files: [{ path: "clients/env.sh", content: renderEnvFile(routeMap, baseUrl) }],
        usage: [{ client, file: "clients/env.sh", aliases: [], note: "OPENAI_BASE_URL/OPENAI_API_KEY; any alias as model" }],
      };
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
