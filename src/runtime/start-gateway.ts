/**
 * The flow behind `gatewayctl start` (both runtimes): load the policy, sync the runtime directory from its source
 * (or keep the last known-good generation when the source is unavailable), read and prove the runtime artifact,
 * resolve every secret it needs, then hand over to the runtime the artifact was built for. Also the shared target
 * resolution for `stop`, `status` and `logs`, which act on the gateway that is actually running.
 */
import { join } from "node:path";
import { DEFAULT_OUT_DIR, gatewayFacts } from "../artifact/gateway.js";
import type { Artifact } from "../artifact/read.js";
import { RUNTIME_KINDS, type GatewayFacts } from "../artifact/types.js";
import { GatewayctlError, InputError, OperationError } from "../lib/errors.js";
import type { LoadedPolicy } from "../policy/load-policy.js";
import { expandPath, runtimePaths, type RuntimePaths } from "./paths.js";
import { getRuntime, type RuntimeContext, type RuntimeKind, type StartResult } from "./runtime.js";
import { resolveSecrets } from "./secrets.js";
import { readDiskConfig, readState, withStateLock } from "./state.js";

/** Lock file in the state directory held while a gateway is started or stopped. */
export const START_LOCK = "start.lock";

/** Default time to wait for `/health/readiness`; LiteLLM takes 10-20 s to import on 2 cores. */
export const DEFAULT_START_TIMEOUT_SECONDS = 120;

export interface RuntimeTarget {
  loaded: LoadedPolicy;
  kind: RuntimeKind;
  /** why this runtime: the running gateway's state, the flag, the artifact, or the policy */
  kindFrom: "running" | "flag" | "artifact" | "policy";
  paths: RuntimePaths;
  /** the artifact in the runtime directory, when there is one */
  artifact?: Artifact;
  context: RuntimeContext;
}

/** The sync source: the flag, else the policy's runtime.source, else `<policy dir>/generated`. */
export function syncSource(loaded: LoadedPolicy, from?: string): string {
  if (from) return expandPath(from);
  return loaded.policy.runtime.source ? expandPath(loaded.policy.runtime.source, loaded.dir) : join(loaded.dir, DEFAULT_OUT_DIR);
}

/** The runtime whose state file says a gateway was started (process.json or docker.json), if any. */
async function recordedRuntime(stateDir: string): Promise<RuntimeKind | undefined> {
  for (const kind of RUNTIME_KINDS) {
    const state = await readState<{ kind?: string }>(stateDir, `${kind}.json`).catch(() => undefined);
    if (state?.kind === kind) return kind;
  }
  return undefined;
}

async function loadTargetPolicy(policyFile: string): Promise<LoadedPolicy> {
  const { loadPolicy } = await import("../policy/load-policy.js");
  try {
    return await loadPolicy(policyFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new InputError(`policy file ${policyFile} not found`, {
        code: "POLICY_NOT_FOUND",
        hint: "pass --policy FILE, or run gatewayctl init to write gateway.policy.yaml",
      });
    }
    throw err;
  }
}

/** The artifact in a runtime directory, or undefined when there is none (never synced). Other problems throw. */
export async function readRuntimeArtifact(dir: string): Promise<Artifact | undefined> {
  const { readArtifact } = await import("../artifact/read.js");
  try {
    return await readArtifact(dir);
  } catch (err) {
    if (err instanceof GatewayctlError && err.code === "ARTIFACT_INCOMPLETE" && !(await readDiskConfig(dir))) return undefined;
    throw err;
  }
}

/**
 * Policy, runtime directory (flag, else policy runtime.dir), the artifact there, and the runtime to act on: the
 * one a state file says is running, else the flag, else the artifact's, else the policy's.
 */
export async function resolveRuntimeTarget(options: {
  policyFile: string;
  runtime?: RuntimeKind;
  dir?: string;
  onProgress?: (line: string) => void;
}): Promise<RuntimeTarget> {
  const loaded = await loadTargetPolicy(options.policyFile);
  const dir = options.dir ? expandPath(options.dir) : expandPath(loaded.policy.runtime.dir, loaded.dir);
  const paths = runtimePaths(dir);
  const artifact = await readRuntimeArtifact(paths.dir).catch(() => undefined);
  const recorded = await recordedRuntime(paths.stateDir);
  const facts: GatewayFacts = artifact?.routeMap.gateway ?? gatewayFacts(loaded.policy, []);
  let kind: RuntimeKind;
  let kindFrom: RuntimeTarget["kindFrom"];
  if (recorded) {
    [kind, kindFrom] = [recorded, "running"];
    if (options.runtime && options.runtime !== recorded) options.onProgress?.(`note: the gateway of ${paths.dir} was started by the ${recorded} runtime; acting on it (not --runtime ${options.runtime})`);
  } else if (options.runtime) [kind, kindFrom] = [options.runtime, "flag"];
  else if (artifact) [kind, kindFrom] = [artifact.routeMap.gateway.runtime, "artifact"];
  else [kind, kindFrom] = [loaded.policy.gateway.runtime, "policy"];
  return {
    loaded,
    kind,
    kindFrom,
    paths,
    ...(artifact ? { artifact } : {}),
    context: { facts, runtimeDir: paths.dir, stateDir: paths.stateDir, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
  };
}

/**
 * Register the secrets of the running configuration for redaction without failing when some are missing
 * (for `logs` and `status`, which print what LiteLLM wrote).
 */
export async function registerSecretsForRedaction(target: RuntimeTarget, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    const { requiredSecrets } = await import("../artifact/read.js");
    const names = target.artifact ? requiredSecrets(target.artifact) : [target.context.facts.masterKeySecret];
    await resolveSecrets(target.loaded.policy, names, { policyDir: target.loaded.dir, env, allowMissing: true });
  } catch {
    // best effort: nothing to redact is better than refusing to show a log
  }
}

export interface StartGatewayOptions {
  policyFile: string;
  runtime?: RuntimeKind;
  /** runtime directory override (default: the policy's runtime.dir) */
  dir?: string;
  /** sync source override (default: the policy's runtime.source, else `<policy dir>/generated`) */
  from?: string;
  image?: string;
  litellmBin?: string;
  timeoutSeconds?: number;
  /** environment for the secrets provider; default process.env */
  env?: NodeJS.ProcessEnv;
  onProgress?: (line: string) => void;
}

export interface StartGatewayReport {
  action: StartResult["action"];
  runtime: RuntimeKind;
  baseUrl: string;
  /** pid (process) or container id (docker) */
  id: string;
  configHash: string;
  generation?: number;
  runtimeDir: string;
  sync:
    | { action: "synced" | "unchanged"; source: string; generation: number; previousGeneration?: number }
    | { action: "source-unavailable"; source: string; reason: string; generation?: number };
  /** names (never values) of the secrets passed to the gateway */
  secrets: string[];
  warnings: string[];
}

/** Master keys LiteLLM refuses or that are published examples. */
const WEAK_MASTER_KEYS = new Set(["sk-1234", "sk-12345", "sk-xxx", "sk-test"]);

export async function startGateway(options: StartGatewayOptions): Promise<StartGatewayReport> {
  const progress = options.onProgress ?? (() => undefined);
  const loaded = await loadTargetPolicy(options.policyFile);
  const dir = options.dir ? expandPath(options.dir) : expandPath(loaded.policy.runtime.dir, loaded.dir);
  const paths = runtimePaths(dir);
  const timeoutMs = (options.timeoutSeconds ?? DEFAULT_START_TIMEOUT_SECONDS) * 1000;
  // a second start waits for the first one, then finds the gateway running
  return withStateLock(paths.stateDir, START_LOCK, timeoutMs + 60_000, () => startLocked(loaded, paths, options, progress), progress);
}

async function startLocked(loaded: LoadedPolicy, paths: RuntimePaths, options: StartGatewayOptions, progress: (line: string) => void): Promise<StartGatewayReport> {
  const warnings: string[] = [];
  const warn = (w: string): void => {
    warnings.push(w);
    progress(`warning: ${w}`);
  };
  const policy = loaded.policy;
  for (const w of loaded.warnings) warn(w.message);

  // 1. sync from the source of truth
  const source = syncSource(loaded, options.from);
  let sync: StartGatewayReport["sync"];
  const { syncRuntime } = await import("./sync.js");
  try {
    const report = await syncRuntime({
      from: source,
      to: paths.dir,
      keep: policy.runtime.keep,
      timeoutMs: policy.runtime.sourceTimeoutSeconds * 1000,
      onProgress: progress,
    });
    sync = {
      action: report.action === "unchanged" ? "unchanged" : "synced",
      source,
      generation: report.generation,
      ...(report.previousGeneration !== undefined ? { previousGeneration: report.previousGeneration } : {}),
    };
    progress(
      report.action === "unchanged"
        ? `runtime ${paths.dir} is up to date with ${source} (generation ${report.generation})`
        : `synced ${source} -> ${paths.dir} (generation ${report.generation})`,
    );
  } catch (err) {
    if (!(err instanceof GatewayctlError)) throw err;
    const existing = await readDiskConfig(paths.dir);
    if (!existing) {
      throw new OperationError(`cannot start: the source ${source} is unavailable and the runtime directory ${paths.dir} holds no generation yet (${err.message})`, {
        code: err.code === "SOURCE_LEAKS" || err.code === "SOURCE_INVALID" ? err.code : "SOURCE_UNAVAILABLE",
        cause: err,
        hint: err.hint ?? "run gatewayctl build, or pass --from DIR with a build output",
      });
    }
    const gen = existing.generation !== undefined ? `generation ${existing.generation}` : "the configuration on disk";
    warn(`source ${source} unavailable: starting on last known-good ${gen} (${err.message})`);
    sync = { action: "source-unavailable", source, reason: err.message, ...(existing.generation !== undefined ? { generation: existing.generation } : {}) };
  }

  // 2. the runtime artifact, proven as sync proved it (a hand-edited runtime directory is caught here too)
  const disk = await readDiskConfig(paths.dir);
  const artifact = disk ? await readRuntimeArtifact(paths.dir) : undefined;
  if (!disk || !artifact) {
    throw new OperationError(`the runtime directory ${paths.dir} has no complete build`, {
      code: "RUNTIME_EMPTY",
      hint: "run gatewayctl build, then gatewayctl sync (or gatewayctl start --from DIR with a build output)",
    });
  }
  const { proveArtifact } = await import("../artifact/prove.js");
  const proof = proveArtifact(artifact);
  if (!proof.ok) {
    throw new OperationError(
      `refusing to start: the runtime config fails the privacy proof (${[...proof.moduleProblems, ...proof.leaks.slice(0, 3).map((l) => l.path)].join("; ")})`,
      { code: "RUNTIME_LEAKS", hint: `gatewayctl audit ${artifact.configFile} shows every path; rebuild and sync, or gatewayctl rollback` },
    );
  }
  const facts = artifact.routeMap.gateway;
  if (options.runtime && options.runtime !== facts.runtime) {
    throw new InputError(`this build targets the ${facts.runtime} runtime, not ${options.runtime}: its config addresses backends the way ${facts.runtime} reaches them`, {
      code: "RUNTIME_MISMATCH",
      hint: `set gateway.runtime: ${options.runtime} in the policy and run gatewayctl build, then start again (or leave --runtime out)`,
    });
  }
  const kind = facts.runtime;
  if (kind === "docker" && facts.scale) {
    throw new InputError(`this build runs ${facts.scale.replicas} replicas behind a load balancer: gatewayctl's own Docker runtime runs one container`, {
      code: "SCALE_NEEDS_COMPOSE",
      hint: `run it with docker-compose from the build directory (gatewayctl sync, then docker-compose up -d), or set gateway.runtime: process`,
    });
  }

  // 3. secrets: every name the artifact needs
  const { gatewaySecretEnv, requiredSecrets } = await import("../artifact/read.js");
  const names = requiredSecrets(artifact);
  const secrets = await resolveSecrets(policy, names, { policyDir: loaded.dir, ...(options.env ? { env: options.env } : {}) });
  const masterName = facts.masterKeySecret;
  const masterKey = secrets[masterName] ?? "";
  if (!masterKey.startsWith("sk-") || WEAK_MASTER_KEYS.has(masterKey) || masterKey.length < 8) {
    throw new OperationError(`the master key ${masterName} is not usable: it must start with sk- and not be a published example`, {
      code: "MASTER_KEY_INVALID",
      hint: `set ${masterName} to a long random key, for example sk-$(openssl rand -hex 24); the gateway was not started`,
    });
  }
  const env: Record<string, string> = gatewaySecretEnv(artifact, secrets);
  const general = artifact.config.general_settings as Record<string, unknown> | undefined;
  if (!general || general.master_key === undefined) env.LITELLM_MASTER_KEY = masterKey;

  // 4. the runtime the artifact was built for
  const runtime = await getRuntime(kind);
  const result = await runtime.start({
    facts,
    runtimeDir: paths.dir,
    stateDir: paths.stateDir,
    onProgress: progress,
    env,
    configHash: disk.hash,
    ...(disk.generation !== undefined ? { generation: disk.generation } : {}),
    timeoutMs: (options.timeoutSeconds ?? DEFAULT_START_TIMEOUT_SECONDS) * 1000,
    ...(options.image ? { image: options.image } : {}),
    ...(options.litellmBin ? { litellmBin: options.litellmBin } : {}),
  });
  return {
    action: result.action,
    runtime: kind,
    baseUrl: result.baseUrl,
    id: result.id,
    configHash: result.configHash,
    ...(disk.generation !== undefined ? { generation: disk.generation } : {}),
    runtimeDir: paths.dir,
    sync,
    secrets: Object.keys(secrets).sort(),
    warnings,
  };
}
