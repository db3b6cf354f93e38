import type { Policy } from "../policy/schema.js";
import { gatewayEnvName } from "../artifact/front-door.js";
import { AUTH_FUNCTION, GUARD_CALLBACK, LEDGER_CALLBACK } from "../artifact/types.js";
import type { GatewayPlan, PlannedDeployment } from "./route-map.js";
import type { LiteLLMConfig, RedisFacts, ScaleFacts } from "../artifact/types.js";

/** Retries stay inside a model group (one deployment each); a small number keeps a dead backend from stalling the fallback. */
export const NUM_RETRIES = 1;

/** USD per 1M tokens → USD per token, without binary rounding noise (0.15 → 1.5e-7 exactly as written). */
export function perToken(perMillion: number): number {
  return Number(`${perMillion}e-6`);
}

function deploymentEntry(d: PlannedDeployment): LiteLLMConfig["model_list"][number] {
  const params: Record<string, unknown> = { model: d.litellmModel };
  if (d.emitApiBase !== undefined) params.api_base = d.emitApiBase;
  if (d.apiKey !== undefined) params.api_key = d.apiKey;
  // LiteLLM's default is 6,000 s: a hung local server would hold the request instead of letting it fall back
  params.timeout = d.timeoutSeconds;
  params.stream_timeout = d.timeoutSeconds;
  if (d.priced) {
    params.input_cost_per_token = perToken(d.price.input);
    params.output_cost_per_token = perToken(d.price.output);
  }
  const info: Record<string, unknown> = { id: d.id };
  if (d.contextWindow !== undefined) info.max_input_tokens = d.contextWindow;
  if (d.maxTokens !== undefined) info.max_output_tokens = d.maxTokens;
  return { model_name: d.group, litellm_params: params, model_info: info };
}

/**
 * The router's shared state (deployment cooldowns, rate-limit counters, health state) in Redis, so that every replica
 * sees what one replica learned. Only router_settings: no litellm_settings.cache, so no prompt or response is ever
 * written to Redis (a response cache would store both, keyed by the prompt). Host, port and password reach the
 * config through os.environ/ under gatewayctl's own names (LiteLLM builds a second client of its own from
 * REDIS_HOST/REDIS_PORT/REDIS_PASSWORD, so those are never set); a bundled Redis's address, no secret, is written as is (see RedisFacts).
 */
export function redisRouterSettings(redis: RedisFacts): Record<string, unknown> {
  return {
    redis_host: redis.host ?? `os.environ/${redis.hostEnv}`,
    redis_port: redis.port ?? `os.environ/${redis.portEnv}`,
    redis_password: `os.environ/${redis.passwordEnv}`,
    // Every model group here has one deployment, and LiteLLM 1.108 never cools a lone deployment down on a 429
    // unless a policy names the error: with this, the first 429 cools it down (for its Retry-After) on every
    // replica at once, and the route's own fallbacks serve meanwhile instead of each replica hitting it again.
    allowed_fails_policy: { RateLimitErrorAllowedFails: 0 },
  };
}

/**
 * The LiteLLM proxy config. Only explicit per-alias fallbacks; none of the mechanisms that route a request
 * somewhere the policy did not name (default_fallbacks, wildcards, aliases, completion_model, a global api_base,
 * auto-routers, client-side credentials) is ever emitted.
 */
export function buildLiteLLMConfig(policy: Policy, plan: GatewayPlan, scale?: ScaleFacts): LiteLLMConfig {
  const fallbacks = plan.routes
    .filter((r) => r.fallbackGroups.length > 0)
    .map((r) => ({ [r.alias]: [...r.fallbackGroups] }));
  return {
    model_list: plan.deployments.map(deploymentEntry),
    router_settings: {
      num_retries: NUM_RETRIES,
      // a deployment that timed out is not tried again: the route falls back (or fails) once its timeout is up
      retry_policy: { TimeoutErrorRetries: 0 },
      fallbacks,
      ...(scale?.redis ? redisRouterSettings(scale.redis) : {}),
    },
    litellm_settings: {
      // the guard first (it refuses before anything is routed), then the request ledger (records, enforces lane budgets)
      callbacks: [GUARD_CALLBACK, LEDGER_CALLBACK],
    },
    general_settings: {
      master_key: `os.environ/${gatewayEnvName(policy.gateway.masterKey.secret)}`,
      // the front door: every request needs a key the policy names, for an endpoint it admits (gatewayctl_auth.py)
      custom_auth: AUTH_FUNCTION,
      // A key's models are its route aliases only (so /v1/models never lists an internal group), and a route's
      // configured fallbacks (its gw-fallback-* groups) are the policy's own, proven per route: LiteLLM must not
      // skip them for not being among the key's models. Request-borne fallbacks are refused by the guard.
      enforce_fallback_model_access: false,
    },
  };
}
