/**
 * The one reader of route-map.json: validated with zod, so every stage gets a RouteMap it can trust or an error
 * saying what is wrong with the file. No other module parses a route map.
 */
import { z } from "zod";
import { BACKEND_TYPES } from "../policy/schema.js";
import { InputError } from "../lib/errors.js";
import { RUNTIME_KINDS, type RouteMap } from "./types.js";

const PrivacyEnum = z.enum(["local-only", "local-first", "cloud-allowed"]);
const PriceShape = z.object({ input: z.number(), output: z.number() });

const RouteMapSchema = z.object({
  generatedBy: z.string(),
  gateway: z.object({
    runtime: z.enum(RUNTIME_KINDS),
    bind: z.string(),
    port: z.number().int().min(1).max(65535),
    image: z.string().min(1),
    litellmVersion: z.string().min(1),
    masterKeySecret: z.string().min(1),
    secretNames: z.array(z.string()),
    modules: z.array(z.string()),
    scale: z
      .object({
        replicas: z.number().int().min(1),
        replicaPorts: z.array(z.number().int().min(1).max(65535)),
        redis: z
          .object({
            bundled: z.boolean(),
            passwordSecret: z.string().min(1),
            passwordEnv: z.string().min(1),
            host: z.string().min(1).optional(),
            port: z.number().int().min(1).max(65535).optional(),
            hostSecret: z.string().min(1).optional(),
            hostEnv: z.string().min(1).optional(),
            portSecret: z.string().min(1).optional(),
            portEnv: z.string().min(1).optional(),
            image: z.string().min(1).optional(),
          })
          .optional(),
        loadBalancer: z.object({ type: z.literal("haproxy"), image: z.string().min(1), healthPath: z.string().startsWith("/"), retries: z.number().int().min(0), timeoutSeconds: z.number().int().min(1) }),
      })
      .optional(),
  }),
  frontDoor: z.object({
    masterKeyEnv: z.string().min(1),
    clients: z.array(z.object({ name: z.string().min(1), keySecret: z.string().min(1), keyEnv: z.string().min(1), aliases: z.array(z.string()) })),
    clientEndpoints: z.array(z.string()),
    masterEndpoints: z.array(z.string()),
  }),
  routes: z.array(
    z.object({
      alias: z.string().min(1),
      lane: z.string(),
      privacy: PrivacyEnum,
      description: z.string().optional(),
      model: z.string(),
      fallbacks: z.array(z.string()),
      primaryDeploymentId: z.string(),
      fallbackGroups: z.array(z.string()),
      allowedDeploymentIds: z.array(z.string()).min(1),
      cloudBackends: z.array(z.string()),
      maxPrice: PriceShape,
      timeoutSeconds: z.number().positive(),
      contextWindow: z.number().optional(),
      maxTokens: z.number().optional(),
    }),
  ),
  deployments: z.array(
    z.object({
      id: z.string().min(1),
      group: z.string(),
      model: z.string(),
      backend: z.string(),
      backendType: z.enum(BACKEND_TYPES),
      location: z.enum(["local", "cloud"]),
      litellmModel: z.string(),
      apiBase: z.string(),
      price: PriceShape,
    }),
  ),
  internalGroups: z.array(z.string()),
  lanes: z.array(
    z.object({
      name: z.string().min(1),
      privacy: PrivacyEnum,
      budget: z.object({ daily: z.number().positive().optional(), monthly: z.number().positive().optional() }).optional(),
    }),
  ),
  ledger: z.object({ maxBytes: z.number().int().positive(), keep: z.number().int().min(1) }),
  alerts: z.array(
    z.discriminatedUnion("rule", [
      z.object({ rule: z.literal("cloud-fallback"), lane: z.string(), name: z.string().optional() }),
      z.object({ rule: z.literal("refusals"), perHour: z.number().int().nonnegative(), name: z.string().optional() }),
      z.object({ rule: z.literal("budget"), lane: z.string(), percent: z.number().positive(), name: z.string().optional() }),
    ]),
  ),
});

/** Parse route-map.json text. Throws InputError (code ROUTE_MAP_INVALID) naming the first problems. */
export function parseRouteMap(text: string, file: string): RouteMap {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${(err as Error).message})`, {
      code: "ROUTE_MAP_INVALID",
      hint: "regenerate it with gatewayctl build",
    });
  }
  const r = RouteMapSchema.safeParse(data);
  if (!r.success) {
    const problems = r.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new InputError(`${file}: not a route map of this gatewayctl (${problems.join("; ")})`, {
      code: "ROUTE_MAP_INVALID",
      hint: "regenerate it with gatewayctl build (a build of an older gatewayctl lacks fields this one reads)",
    });
  }
  return r.data as RouteMap;
}
