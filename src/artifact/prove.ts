/**
 * The privacy proof of a build artifact: every stage (build, audit, sync, start, test-routes) proves an artifact
 * this one way. What must hold comes from the artifact's own route map: the routes' privacy and allowed
 * deployments, the deployments the policy declared cloud, and the hosts it trusted as local. Pure.
 */
import { classifyHost, hostOfUrl } from "../lib/hosts.js";
import { configHasGuard, proveRoutes } from "../privacy/prove.js";
import type { ProofReport, RouteExpectation } from "../privacy/types.js";
import type { Artifact } from "./read.js";
import { AUTH_FUNCTION, AUTH_MODULE, GUARD_MODULE, LEDGER_CALLBACK, LEDGER_MODULE, type RouteMap } from "./types.js";

/** Deployments a route map declares cloud (by their backend's `location`), whatever their api_base looks like. */
export function cloudDeploymentIds(map: Pick<RouteMap, "deployments">): string[] {
  return map.deployments.filter((d) => d.location === "cloud").map((d) => d.id);
}

/**
 * Hosts the policy trusts as local although they look public (`trustAsLocal: true` backends): the hosts of the route
 * map's local deployments that classify as public.
 */
export function trustedLocalHosts(map: Pick<RouteMap, "deployments">): string[] {
  const hosts = new Set<string>();
  for (const d of map.deployments) {
    if (d.location !== "local") continue;
    const host = hostOfUrl(d.apiBase);
    if (host !== undefined && classifyHost(host) === "public") hosts.add(host.toLowerCase());
  }
  return [...hosts].sort();
}

/** What must hold for every route of a route map. */
export function expectationsFromRouteMap(map: Pick<RouteMap, "routes">, source = "route-map.json"): RouteExpectation[] {
  return map.routes.map((r) => ({ alias: r.alias, privacy: r.privacy, allowedDeploymentIds: [...r.allowedDeploymentIds], source }));
}

export interface ProveAgainstOptions {
  /** whether the guard module is present beside the config (a configured but missing guard does not count) */
  guardPresent: boolean;
  /** extra hosts to treat as local (audit --local-host) */
  localHosts?: string[];
  /** where the expectations came from, for messages */
  source?: string;
}

/** Prove any LiteLLM config (generated or hand-written) against what a route map says must hold. */
export function proveAgainstRouteMap(config: unknown, map: Pick<RouteMap, "routes" | "deployments">, options: ProveAgainstOptions): ProofReport {
  return proveRoutes(config, expectationsFromRouteMap(map, options.source), {
    guardPresent: options.guardPresent,
    cloudDeploymentIds: cloudDeploymentIds(map),
    localHosts: [...trustedLocalHosts(map), ...(options.localHosts ?? [])],
  });
}

export interface ArtifactProof extends ProofReport {
  /** generated modules the gateway needs but the artifact lacks, or its config does not load */
  moduleProblems: string[];
}

/**
 * The proof of an artifact: the config against its own route map, and every generated module present and loaded.
 * A protected route without the guard is not proven: `ok` is false.
 */
export function proveArtifact(artifact: Artifact, options: { localHosts?: string[]; source?: string } = {}): ArtifactProof {
  const moduleProblems: string[] = [];
  for (const m of artifact.routeMap.gateway.modules) {
    if (!artifact.modules.has(m)) moduleProblems.push(`${m}.py is missing from ${artifact.dir}`);
  }
  const guardLoaded = configHasGuard(artifact.config);
  const hasProtected = artifact.routeMap.routes.some((r) => r.privacy !== "cloud-allowed");
  if (artifact.routeMap.gateway.modules.includes(GUARD_MODULE) && !guardLoaded && hasProtected) {
    moduleProblems.push(`${artifact.configFile} does not load the privacy guard (litellm_settings.callbacks lacks ${GUARD_MODULE}.proxy_handler_instance)`);
  }
  const general = artifact.config.general_settings && typeof artifact.config.general_settings === "object" ? artifact.config.general_settings : {};
  if (artifact.routeMap.gateway.modules.includes(AUTH_MODULE) && general.custom_auth !== AUTH_FUNCTION) {
    moduleProblems.push(`${artifact.configFile} does not load the front door (general_settings.custom_auth is not ${AUTH_FUNCTION}): any key would reach every endpoint`);
  }
  const litellmSettings = artifact.config.litellm_settings && typeof artifact.config.litellm_settings === "object" ? artifact.config.litellm_settings : {};
  const callbacks = Array.isArray(litellmSettings.callbacks) ? litellmSettings.callbacks : [];
  if (artifact.routeMap.gateway.modules.includes(LEDGER_MODULE) && !callbacks.includes(LEDGER_CALLBACK)) {
    moduleProblems.push(`${artifact.configFile} does not load the request ledger (litellm_settings.callbacks lacks ${LEDGER_CALLBACK}): requests would go unrecorded and lane budgets unenforced`);
  }
  const report = proveAgainstRouteMap(artifact.config, artifact.routeMap, {
    guardPresent: artifact.modules.has(GUARD_MODULE),
    ...(options.localHosts ? { localHosts: options.localHosts } : {}),
    source: options.source ?? "route-map.json",
  });
  return { ...report, ok: report.ok && moduleProblems.length === 0, moduleProblems };
}
