import type { RouteMap, RoutePlan } from "../artifact/types.js";

/**
 * The environment variable a client reads its gateway key from when the policy names no client for it. With a
 * `clients:` entry it is that client's own key (the policy's secret name, e.g. OPENCLAW_KEY); never the master key.
 */
export const CLIENT_KEY_ENV = "LITELLM_API_KEY";

/**
 * The route map as one client sees it: only the aliases its key may use, and its key's variable. A renderer given a
 * view names nothing the gateway would refuse that client. Without a policy client of that name: every alias.
 */
export function clientView(map: RouteMap, clientName: string): RouteMap {
  const client = map.frontDoor.clients.find((c) => c.name === clientName);
  if (!client) return { ...map, frontDoor: { ...map.frontDoor, clients: [] } };
  const allowed = new Set(client.aliases);
  return { ...map, routes: map.routes.filter((r) => allowed.has(r.alias)), frontDoor: { ...map.frontDoor, clients: [client] } };
}

/** The variable the client of a view reads its key from (see clientView). */
export function keyEnvOf(map: RouteMap): string {
  return map.frontDoor.clients.length === 1 ? map.frontDoor.clients[0]!.keySecret : CLIENT_KEY_ENV;
}

/** A short, readable statement of where an alias's requests may go. */
export function privacyLabel(route: RoutePlan): string {
  const clouds = route.cloudBackends.length > 0 ? `: ${route.cloudBackends.join(", ")}` : "";
  switch (route.privacy) {
    case "local-only":
      return "local only";
    case "local-first":
      return route.cloudBackends.length > 0 ? `local first; cloud fallback${clouds}` : "local first";
    case "cloud-allowed":
      return route.cloudBackends.length > 0 ? `cloud${clouds}` : "cloud allowed; local now";
  }
}

/** `secure-core (local only)`: the name a client shows in its model picker. */
export function readableName(route: RoutePlan): string {
  return `${route.alias} (${privacyLabel(route)})`;
}

/** Aliases whose every deployment is local: the only ones a private agent or tool may use. */
export function localOnlyRoutes(map: RouteMap): RoutePlan[] {
  return map.routes.filter((r) => r.privacy === "local-only" && r.cloudBackends.length === 0);
}

/**
 * The alias a client uses when the user does not pick one: `routine-router` when the policy has it, else the first
 * local-first route, else the first cloud-allowed one, else the first route. Everyday work belongs in the routine lane.
 */
export function defaultRoute(map: RouteMap): RoutePlan | undefined {
  return (
    map.routes.find((r) => r.alias === "routine-router") ??
    map.routes.find((r) => r.privacy === "local-first") ??
    map.routes.find((r) => r.privacy === "cloud-allowed") ??
    map.routes[0]
  );
}

/** The alias a private agent uses: `secure-core` when it is local-only, else the first local-only route. */
export function privateRoute(map: RouteMap): RoutePlan | undefined {
  const local = localOnlyRoutes(map);
  return local.find((r) => r.alias === "secure-core") ?? local[0];
}

/** The alias for code work: `coding` when it exists, else the default route. */
export function codingRoute(map: RouteMap): RoutePlan | undefined {
  return map.routes.find((r) => r.alias === "coding") ?? defaultRoute(map);
}

/** Price (USD per 1M tokens) of the alias's primary deployment: what a request usually costs. */
export function primaryPrice(map: RouteMap, route: RoutePlan): { input: number; output: number } {
  const dep = map.deployments.find((d) => d.id === route.primaryDeploymentId);
  return dep ? dep.price : route.maxPrice;
}
