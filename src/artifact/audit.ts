/**
 * `gatewayctl audit CONFIG`: prove a LiteLLM config, generated or hand-written. What must hold comes from, in order:
 * a policy (compiled, not built), the route map beside the config (the artifact's own, read the one way), and
 * `--private` aliases. A config that is a build artifact (config.yaml beside its route map) is proven exactly as
 * sync and start prove it, modules included.
 */
import { stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { InputError } from "../lib/errors.js";
import { INPUT_LIMITS, readTextWithin } from "../lib/read-limited.js";
import { configHasGuard, proveRoutes } from "../privacy/prove.js";
import type { ProofReport, RouteExpectation } from "../privacy/types.js";
import { parseLiteLLMConfig } from "./parse-config.js";
import { cloudDeploymentIds, expectationsFromRouteMap, proveArtifact, trustedLocalHosts } from "./prove.js";
import { readArtifact } from "./read.js";
import { CONFIG_FILE, GUARD_CALLBACK, GUARD_FILE, ROUTE_MAP_FILE, type RouteMap } from "./types.js";

export interface AuditOptions {
  configPath: string;
  /** the policy file to take expectations from */
  policyFile?: string;
  privateAliases?: string[];
  localHosts?: string[];
}

export interface AuditReport extends ProofReport {
  config: string;
  expectationsFrom: string;
  /** generated modules missing or not loaded (a protected route without the guard is a leak of its own) */
  moduleProblems: string[];
  notes: string[];
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isFile(), () => false);
}

/** The route map a policy compiles to (compiled, not built: nothing written), and where it came from. */
export async function routeMapOfPolicy(policyFile: string): Promise<{ map: RouteMap; source: string }> {
  const { loadPolicy } = await import("../policy/load-policy.js");
  const { compilePolicy } = await import("../compile/index.js");
  const loaded = await loadPolicy(policyFile);
  return { map: compilePolicy(loaded.policy, { policyFile: loaded.file }).routeMap, source: `policy ${loaded.file}` };
}

/** A route-map.json file, read within the artifact size limit and validated. */
export async function readRouteMapFile(file: string): Promise<RouteMap> {
  const { parseRouteMap } = await import("./route-map.js");
  return parseRouteMap(await readTextWithin(file, INPUT_LIMITS.artifact, "route map"), file);
}

export async function auditConfig(options: AuditOptions): Promise<AuditReport> {
  const { configPath } = options;
  const text = await readTextWithin(configPath, INPUT_LIMITS.artifact, "LiteLLM config").catch((err: NodeJS.ErrnoException) => {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read ${configPath}: ${err.code === "ENOENT" ? "no such file" : err.message}`, {
      code: "CONFIG_UNREADABLE",
      hint: "give the path of a LiteLLM proxy config.yaml",
    });
  });
  const config = parseLiteLLMConfig(text, configPath);
  const dir = dirname(configPath);
  const notes: string[] = [];
  const besideMap = join(dir, ROUTE_MAP_FILE);

  // a build artifact, audited against its own route map, with nothing added: the proof sync and start run
  if (!options.policyFile && !options.privateAliases?.length && basename(configPath) === CONFIG_FILE && (await exists(besideMap))) {
    const artifact = await readArtifact(dir);
    const proof = proveArtifact(artifact, { ...(options.localHosts ? { localHosts: options.localHosts } : {}), source: ROUTE_MAP_FILE });
    return { ...proof, config: configPath, expectationsFrom: besideMap, notes };
  }

  const expectations = new Map<string, RouteExpectation>();
  let map: RouteMap | undefined;
  let source: string | undefined;
  if (options.policyFile) {
    ({ map, source } = await routeMapOfPolicy(options.policyFile));
  } else if (await exists(besideMap)) {
    map = await readRouteMapFile(besideMap);
    source = besideMap;
  }
  if (map) for (const e of expectationsFromRouteMap(map, source === besideMap ? ROUTE_MAP_FILE : source)) expectations.set(e.alias, e);
  for (const alias of options.privateAliases ?? []) {
    expectations.set(alias, { ...(expectations.get(alias) ?? {}), alias, privacy: "local-only", source: "--private" });
  }
  if (expectations.size === 0) {
    throw new InputError("nothing to check: no --private alias, no --policy and no route-map.json beside the config", {
      code: "NO_EXPECTATIONS",
      hint: "name the aliases that must stay local: gatewayctl audit config.yaml --private secure-core",
    });
  }

  const guardFile = join(dir, GUARD_FILE);
  let guardPresent: boolean | undefined;
  if (configHasGuard(config)) {
    guardPresent = await exists(guardFile);
    if (!guardPresent) notes.push(`${GUARD_CALLBACK} is configured but ${guardFile} is missing: the guard does not count (and LiteLLM will not start)`);
  }
  const report = proveRoutes(config, [...expectations.values()], {
    localHosts: [...(map ? trustedLocalHosts(map) : []), ...(options.localHosts ?? [])],
    cloudDeploymentIds: map ? cloudDeploymentIds(map) : [],
    ...(guardPresent !== undefined ? { guardPresent } : {}),
  });
  // a gatewayctl route map names the guard: a protected route in a config that does not load it is not proven
  const moduleProblems: string[] = [];
  if (map && !report.guard && [...expectations.values()].some((e) => e.privacy !== "cloud-allowed")) {
    moduleProblems.push(`${configPath} does not load the privacy guard (${GUARD_CALLBACK}) while protected routes exist`);
  }
  return { ...report, ok: report.ok && moduleProblems.length === 0, config: configPath, expectationsFrom: source ?? "--private", moduleProblems, notes };
}
