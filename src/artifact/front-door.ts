/**
 * The front door's facts, derived once from the policy at build time and recorded in route-map.json: which keys
 * the gateway admits, the aliases each may use, and the endpoints each may call. The generated gatewayctl_auth.py
 * reads them from there; test-routes probes them from there. Pure.
 */
import type { Policy } from "../policy/schema.js";
import type { ClientAccess, FrontDoor } from "./types.js";

/**
 * Inference endpoints on which the guard (the pre-call hook) is proven to run and judge the request (the privacy
 * e2e tests send each of them a crafted request and get the guard's 403), and the model list. Nothing else is
 * admitted for a client key: no /queue, no provider pass-through, no files or batches, no management or UI routes.
 */
export const CLIENT_ENDPOINTS: readonly string[] = [
  "/v1/chat/completions",
  "/chat/completions",
  "/v1/completions",
  "/completions",
  "/v1/messages",
  "/v1/responses",
  "/responses",
  "/v1/models",
  "/models",
];

/**
 * What gatewayctl itself calls with the master key, and nothing else: one prompt endpoint (test-routes and the drill),
 * the model list, and readiness details (the LiteLLM version). The master key is no client's, so it gets no more.
 */
export const MASTER_ENDPOINTS: readonly string[] = ["/v1/chat/completions", "/v1/models", "/health/readiness/details"];

/**
 * The variable a secret is passed to the gateway under. Never the policy's own name: LiteLLM (and the SDKs it uses)
 * fall back to well-known variables such as OPENAI_API_KEY or ANTHROPIC_API_KEY on code paths no config names (the
 * provider pass-through routes among them), so no secret may sit under such a name in the gateway's environment.
 */
export function gatewayEnvName(secret: string): string {
  return `${ENV_PREFIX}${secret}`;
}

const ENV_PREFIX = "GATEWAYCTL_SECRET_";

/** The policy's secret name behind a gateway variable (the variable itself when it is not gatewayctl's). */
export function secretOfEnvName(env: string): string {
  return env.startsWith(ENV_PREFIX) && env.length > ENV_PREFIX.length ? env.slice(ENV_PREFIX.length) : env;
}

/** The aliases a policy client may use: its routes, and every route of its lanes. Sorted. */
export function clientAliases(policy: Policy, name: string): string[] {
  const client = policy.clients[name];
  if (!client) return [];
  const lanes = new Set(client.lanes ?? []);
  const aliases = new Set(client.routes ?? []);
  for (const [alias, route] of Object.entries(policy.routes)) if (lanes.has(route.lane)) aliases.add(alias);
  return [...aliases].filter((a) => Object.hasOwn(policy.routes, a)).sort();
}

export function frontDoorFor(policy: Policy): FrontDoor {
  const clients: ClientAccess[] = Object.entries(policy.clients)
    .map(([name, c]) => ({ name, keySecret: c.key.secret, keyEnv: gatewayEnvName(c.key.secret), aliases: clientAliases(policy, name) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    masterKeyEnv: gatewayEnvName(policy.gateway.masterKey.secret),
    clients,
    clientEndpoints: [...CLIENT_ENDPOINTS],
    masterEndpoints: [...MASTER_ENDPOINTS],
  };
}
