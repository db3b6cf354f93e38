/**
 * Reading a build artifact: an output directory of `gatewayctl build`, a staged sync copy, or a runtime generation.
 * `artifactFromTexts` is pure (sync validates the files it staged with it); `readArtifact` reads a directory.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../lib/errors.js";
import { gatewayEnvName, secretOfEnvName } from "./front-door.js";
import { parseLiteLLMConfig } from "./parse-config.js";
import { parseRouteMap } from "./route-map.js";
import { CONFIG_FILE, ROUTE_MAP_FILE, type LiteLLMConfig, type RouteMap } from "./types.js";

export interface Artifact {
  /** the directory it was read from, for messages */
  dir: string;
  configFile: string;
  configText: string;
  /** config.yaml as PyYAML (and so LiteLLM) reads it */
  config: LiteLLMConfig;
  routeMap: RouteMap;
  /** the generated Python modules the route map names, by module name; a missing file is absent here */
  modules: Map<string, string>;
}

/** The text of each file a directory's artifact consists of; undefined for a missing file. */
export interface ArtifactTexts {
  config?: string;
  routeMap?: string;
  /** module name → source, for the modules the route map names */
  modules: Record<string, string | undefined>;
}

/** File names whose text `artifactFromTexts` needs, given the route map (modules are named by it). */
function moduleFile(module: string): string {
  return `${module}.py`;
}

function requirePresent(dir: string, name: string, text: string | undefined): string {
  if (text !== undefined) return text;
  throw new InputError(`${dir} has no ${name}: it is not a complete gatewayctl build`, {
    code: "ARTIFACT_INCOMPLETE",
    hint: "point at a gatewayctl build output (gatewayctl build --out DIR) or a runtime directory that sync filled",
  });
}

function assemble(dir: string, configText: string, routeMap: RouteMap, modules: Record<string, string | undefined>): Artifact {
  const configFile = join(dir, CONFIG_FILE);
  const config = parseLiteLLMConfig(configText, configFile);
  const present = new Map<string, string>();
  for (const m of routeMap.gateway.modules) {
    const t = modules[m];
    if (t !== undefined) present.set(m, t);
  }
  return { dir, configFile, configText, config, routeMap, modules: present };
}

/** Build an Artifact from file texts. Pure. Throws InputError: ARTIFACT_INCOMPLETE, CONFIG_UNREADABLE, ROUTE_MAP_INVALID. */
export function artifactFromTexts(dir: string, texts: ArtifactTexts): Artifact {
  const config = requirePresent(dir, CONFIG_FILE, texts.config);
  const routeMap = parseRouteMap(requirePresent(dir, ROUTE_MAP_FILE, texts.routeMap), join(dir, ROUTE_MAP_FILE));
  return assemble(dir, config, routeMap, texts.modules);
}

/**
 * Read an artifact file by file through `read` (undefined: the file is missing): the route map is parsed once, and
 * only the modules it names are read. For a directory (readArtifact) and for sync's staged copy alike.
 */
export async function loadArtifact(dir: string, read: (name: string) => Promise<string | undefined>): Promise<Artifact> {
  const [config, mapText] = await Promise.all([read(CONFIG_FILE), read(ROUTE_MAP_FILE)]);
  const configText = requirePresent(dir, CONFIG_FILE, config);
  const routeMap = parseRouteMap(requirePresent(dir, ROUTE_MAP_FILE, mapText), join(dir, ROUTE_MAP_FILE));
  const modules: Record<string, string | undefined> = {};
  for (const m of routeMap.gateway.modules) modules[m] = await read(moduleFile(m));
  return assemble(dir, configText, routeMap, modules);
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw new InputError(`cannot read ${file}: ${(err as Error).message}`, { code: "ARTIFACT_UNREADABLE", cause: err, hint: "check the file's permissions" });
  }
}

/** Read the artifact in `dir` (a build output, a runtime directory or generation). */
export function readArtifact(dir: string): Promise<Artifact> {
  return loadArtifact(dir, (name) => readOptional(join(dir, name)));
}

/** Every `os.environ/NAME` a config references (anywhere, including inside lists), sorted. */
export function secretNamesInConfig(config: unknown): string[] {
  const ENV_REF = "os.environ/";
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === "string") {
      if (v.startsWith(ENV_REF) && v.length > ENV_REF.length) names.add(v.slice(ENV_REF.length));
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(config);
  return [...names].sort();
}

/** The secrets a gateway running this artifact needs (policy names): what the build recorded, plus every reference of the config as it is. */
export function requiredSecrets(artifact: Pick<Artifact, "config" | "routeMap">): string[] {
  const fromConfig = secretNamesInConfig(artifact.config).map((ref) => secretOfEnvName(ref));
  return [...new Set([...artifact.routeMap.gateway.secretNames, artifact.routeMap.gateway.masterKeySecret, ...fromConfig])].sort();
}

/**
 * The gateway's environment for resolved secrets: each under gatewayctl's own name (never a well-known variable a
 * provider SDK falls back to), and a name the config references without that prefix (a hand-edited config) as is.
 */
export function gatewaySecretEnv(artifact: Pick<Artifact, "config">, secrets: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(secrets)) env[gatewayEnvName(name)] = value;
  for (const ref of secretNamesInConfig(artifact.config)) {
    if (secretOfEnvName(ref) === ref && secrets[ref] !== undefined) env[ref] = secrets[ref];
  }
  return env;
}
