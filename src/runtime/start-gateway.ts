/**
 * The flow behind `gatewayctl start` (both runtimes): load the policy, sync the runtime directory from its source
 * (or keep the last known-good generation when the source is unavailable), resolve every secret the config
 * needs, then hand over to the runtime. Also the shared context resolution for `stop`, `status` and `logs`.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { GatewayctlError, InputError, OperationError } from "../lib/errors.js";
import type { LoadedPolicy } from "../policy/load-policy.js";
import { expandPath, runtimePaths, type RuntimePaths } from "./paths.js";
import { getRuntime, type RuntimeContext, type RuntimeKind, type StartResult } from "./runtime.js";
import { resolveSecrets } from "./secrets.js";
import { readDiskConfig, withStateLock } from "./state.js";

/** Lock file in the state directory held while a gateway is started or stopped. */
export const START_LOCK = "start.lock";

/** Default time to wait for `/health/readiness`; LiteLLM takes 10-20 s to import on 2 cores. */
export const DEFAULT_START_TIMEOUT_SECONDS = 120;

/** Validate a command's flags with its zod schema; a bad flag is invalid input (exit 2). */
export function parseFlags<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.length ? `--${String(i.path.join(".")).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ` : ""}${i.message}`);
  throw new InputError(`invalid option${problems.length === 1 ? "" : "s"}: ${problems.join("; ")}`, {
    code: "INVALID_FLAGS",
    hint: "run the command with --help for its options",
  });
}

export interface RuntimeTarget {
  loaded: LoadedPolicy;
  kind: RuntimeKind;
  paths: RuntimePaths;
  context: RuntimeContext;
}

/** Policy, runtime kind (flag, else policy gateway.runtime) and runtime directory (flag, else policy runtime.dir). */
export async function resolveRuntimeTarget(options: {
  policyFile: string;
  runtime?: RuntimeKind;
  dir?: string;
  onProgress?: (line: string) => void;
}): Promise<RuntimeTarget> {
  const { loadPolicy } = await import("../policy/load-policy.js");
  let loaded: LoadedPolicy;
  try {
    loaded = await loadPolicy(options.policyFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new InputError(`policy file ${options.policyFile} not found`, {
        code: "POLICY_NOT_FOUND",
        hint: "pass --policy FILE, or run gatewayctl init to write gateway.policy.yaml",
      });
    }
    throw err;
  }
  const kind = options.runtime ?? loaded.policy.gateway.runtime;
  const dir = options.dir ? expandPath(options.dir) : expandPath(loaded.policy.runtime.dir, loaded.dir);
  const paths = runtimePaths(dir);
  return {
    loaded,
    kind,
    paths,
    context: { policy: loaded.policy, runtimeDir: paths.dir, stateDir: paths.stateDir, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
  };
}

const ENV_REF = "os.environ/";

/** Every `os.environ/NAME` the config references (anywhere, including inside lists). */
export function secretNamesInConfig(config: unknown): string[] {
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

async function readRuntimeConfig(runtimeDir: string): Promise<Record<string, unknown>> {
  const file = join(runtimeDir, "config.yaml");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new OperationError(`the runtime directory ${runtimeDir} has no config.yaml`, {
      code: "RUNTIME_EMPTY",
      hint: "run gatewayctl build, then gatewayctl sync (or gatewayctl start --from DIR with a build output)",
    });
  }
  let config: unknown;
  try {
    config = parseYaml(text);
  } catch (err) {
    throw new OperationError(`${file} is not valid YAML`, { code: "RUNTIME_CONFIG_INVALID", cause: err, hint: "rebuild it with gatewayctl build and sync it again" });
  }
  if (!config || typeof config !== "object" || Array.isArray(config)) {
    throw new OperationError(`${file} is not a LiteLLM config (expected a mapping)`, { code: "RUNTIME_CONFIG_INVALID", hint: "rebuild it with gatewayctl build and sync it again" });
  }
  return config as Record<string, unknown>;
}

/** Names of the secrets a runtime directory's config needs: its `os.environ/` references plus the master key. */
export async function requiredSecretNames(runtimeDir: string, masterKeyName: string): Promise<string[]> {
  const config = await readRuntimeConfig(runtimeDir);
  return [...new Set([...secretNamesInConfig(config), masterKeyName])].sort();
}

/**
 * Register the secrets of the running configuration for redaction without failing when some are missing
 * (for `logs` and `status`, which print what LiteLLM wrote).
 */
export async function registerSecretsForRedaction(target: RuntimeTarget, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    const names = await requiredSecretNames(target.paths.dir, target.loaded.policy.gateway.masterKey.secret).catch(() => [
      target.loaded.policy.gateway.masterKey.secret,
    ]);
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
  const target = await resolveRuntimeTarget({ policyFile: options.policyFile, runtime: options.runtime, dir: options.dir, onProgress: progress });
  const timeoutMs = (options.timeoutSeconds ?? DEFAULT_START_TIMEOUT_SECONDS) * 1000;
  // a second start waits for the first one, then finds the gateway running
  return withStateLock(target.paths.stateDir, START_LOCK, timeoutMs + 60_000, () => startLocked(target, options, progress), progress);
}

async function startLocked(target: RuntimeTarget, options: StartGatewayOptions, progress: (line: string) => void): Promise<StartGatewayReport> {
  const warnings: string[] = [];
  const warn = (w: string): void => {
    warnings.push(w);
    progress(`warning: ${w}`);
  };
  const { loaded, kind, paths } = target;
  const policy = loaded.policy;
  for (const w of loaded.warnings) warn(w.message);
  if (kind !== policy.gateway.runtime) {
    warn(
      `the policy says gateway.runtime ${policy.gateway.runtime} but this start uses ${kind}: the config was built for ${policy.gateway.runtime}` +
        (policy.gateway.runtime === "docker" ? " (loopback backends are addressed as host.docker.internal, which this host may not resolve)" : " (loopback backends stay 127.0.0.1, which is the container itself)"),
    );
  }

  // 1. sync from the source of truth
  const source = options.from
    ? expandPath(options.from)
    : policy.runtime.source
      ? expandPath(policy.runtime.source, loaded.dir)
      : join(loaded.dir, "generated");
  let sync: StartGatewayReport["sync"];
  const { syncRuntime } = await import("./sync.js");
  try {
    const report = await syncRuntime({
      from: source,
      to: paths.dir,
      policy,
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
        code: "SOURCE_UNAVAILABLE",
        cause: err,
        hint: err.hint ?? "run gatewayctl build, or pass --from DIR with a build output",
      });
    }
    const gen = existing.generation !== undefined ? `generation ${existing.generation}` : "the configuration on disk";
    warn(`source ${source} unavailable: starting on last known-good ${gen} (${err.message})`);
    sync = { action: "source-unavailable", source, reason: err.message, ...(existing.generation !== undefined ? { generation: existing.generation } : {}) };
  }

  const disk = await readDiskConfig(paths.dir);
  if (!disk) {
    throw new OperationError(`the runtime directory ${paths.dir} has no config.yaml`, {
      code: "RUNTIME_EMPTY",
      hint: "run gatewayctl build, then gatewayctl sync (or gatewayctl start --from DIR with a build output)",
    });
  }

  // 2. secrets: every os.environ/ reference of the config, and the master key always
  const config = await readRuntimeConfig(paths.dir);
  const masterName = policy.gateway.masterKey.secret;
  const names = [...new Set([...secretNamesInConfig(config), masterName])].sort();
  const secrets = await resolveSecrets(policy, names, { policyDir: loaded.dir, ...(options.env ? { env: options.env } : {}) });
  const masterKey = secrets[masterName] ?? "";
  if (!masterKey.startsWith("sk-") || WEAK_MASTER_KEYS.has(masterKey) || masterKey.length < 8) {
    throw new OperationError(`the master key ${masterName} is not usable: it must start with sk- and not be a published example`, {
      code: "MASTER_KEY_INVALID",
      hint: `set ${masterName} to a long random key, for example sk-$(openssl rand -hex 24); the gateway was not started`,
    });
  }
  const env: Record<string, string> = { ...secrets, LITELLM_LOCAL_MODEL_COST_MAP: "True", LITELLM_MODE: "PRODUCTION" };
  const general = config.general_settings as Record<string, unknown> | undefined;
  if (!general || general.master_key === undefined) env.LITELLM_MASTER_KEY = masterKey;

  // 3. the runtime
  const runtime = await getRuntime(kind);
  const result = await runtime.start({
    ...target.context,
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
