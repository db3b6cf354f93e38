import type { RouteMap } from "../artifact/types.js";
import { keyEnvOf, codingRoute, localOnlyRoutes, privateRoute, readableName } from "./routes.js";

/**
 * opencode (`opencode.json`, schema https://opencode.ai/config.json): a provider `gatewayctl` through
 * `@ai-sdk/openai-compatible` whose models are the aliases, the key as `{env:NAME}`. Slots: `model`, `small_model`
 * (titles and summaries: it reads the session of whatever model runs, so it is on the local-only alias when the key
 * has one) and per-agent models (left unset: agents then use the main model). Sharing is disabled: a shared session
 * is uploaded to opencode's servers. The private preset has every slot on the local-only alias.
 */
export const OPENCODE_PROVIDER_ID = "gatewayctl";

export function opencodeConfig(map: RouteMap, baseUrl: string, privatePreset = false): Record<string, unknown> | undefined {
  const coding = codingRoute(map);
  const priv = privateRoute(map);
  const main = privatePreset ? priv : coding;
  if (!main) return undefined;
  const routes = privatePreset ? localOnlyRoutes(map) : map.routes;
  return {
    $schema: "https://opencode.ai/config.json",
    share: "disabled",
    autoupdate: false,
    enabled_providers: [OPENCODE_PROVIDER_ID],
    provider: {
      [OPENCODE_PROVIDER_ID]: {
        npm: "@ai-sdk/openai-compatible",
        name: "gatewayctl gateway",
        options: { baseURL: baseUrl, apiKey: `{env:${keyEnvOf(map)}}` },
        models: Object.fromEntries(routes.map((r) => [r.alias, { name: readableName(r) }])),
      },
    },
    model: `${OPENCODE_PROVIDER_ID}/${main.alias}`,
    small_model: `${OPENCODE_PROVIDER_ID}/${(priv ?? main).alias}`,
  };
}

export function renderOpencodeFile(map: RouteMap, baseUrl: string, privatePreset = false): string | undefined {
  const config = opencodeConfig(map, baseUrl, privatePreset);
  return config ? `${JSON.stringify(config, null, 2)}\n` : undefined;
}
