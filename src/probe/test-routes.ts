/**
 * `gatewayctl test-routes` end to end: the policy's route map (compiled, so it is the intent, not what happens to
 * be deployed), the runtime directory's config checks, the HTTP checks against the running gateway, and the drill.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { RouteMap } from "../compile/types.js";
import { InputError } from "../lib/errors.js";
import { registerSecrets } from "../lib/output.js";
import { checkRuntimeConfig } from "./config-checks.js";
import { buildReport, probeGateway } from "./probe-routes.js";
import type { CheckResult, ProbeReport } from "./types.js";

export interface TestRoutesOptions {
  policyFile: string;
  /** default: http://<gateway.bind, or 127.0.0.1 for a wildcard bind>:<gateway.port> */
  baseUrl?: string;
  /** read the key from this environment variable instead of the secrets provider */
  keyEnv?: string;
  concurrency: number;
  drill: boolean;
  litellmBin?: string;
  /** per request */
  timeoutSeconds: number;
  /** for the drill gateway to become ready */
  startTimeoutSeconds: number;
  env?: NodeJS.ProcessEnv;
  onProgress?: (line: string) => void;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return undefined;
  }
}

function sameRoutes(a: RouteMap, b: RouteMap): boolean {
  const shape = (m: RouteMap): string =>
    JSON.stringify(m.routes.map((r) => [r.alias, r.privacy, r.allowedDeploymentIds]).sort((x, y) => String(x[0]).localeCompare(String(y[0]))));
  return shape(a) === shape(b);
}

export async function testRoutes(options: TestRoutesOptions): Promise<ProbeReport> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => undefined);
  const env = options.env ?? process.env;
  const { resolveRuntimeTarget } = await import("../runtime/start-gateway.js");
  const { buildGateway } = await import("../compile/index.js");
  const { localBaseUrl } = await import("../runtime/process-runtime.js");

  const target = await resolveRuntimeTarget({ policyFile: options.policyFile });
  const { loaded, paths } = target;
  const policy = loaded.policy;
  const routeMap = buildGateway(loaded).routeMap;
  const checks: CheckResult[] = [];

  // the key: --key-env, else the policy's secrets provider
  let key: string;
  const masterName = policy.gateway.masterKey.secret;
  if (options.keyEnv) {
    const value = env[options.keyEnv];
    if (!value) {
      throw new InputError(`--key-env ${options.keyEnv}: that environment variable is not set`, {
        code: "KEY_ENV_MISSING",
        hint: `export ${options.keyEnv}=<a key of the gateway>, or leave --key-env out to use the master key from the secrets provider`,
      });
    }
    registerSecrets([value]);
    key = value;
  } else {
    const { resolveSecrets } = await import("../runtime/secrets.js");
    key = (await resolveSecrets(policy, [masterName], { policyDir: loaded.dir, env }))[masterName] ?? "";
  }
  const baseUrl = (options.baseUrl ?? localBaseUrl(policy.gateway.bind, policy.gateway.port)).replace(/\/+$/, "");

  // the runtime directory this machine's gateway runs from
  const configFile = join(paths.dir, "config.yaml");
  const configText = await readOptional(configFile);
  if (configText === undefined) {
    checks.push({ name: "config runtime", kind: "config", status: "warn", message: `no ${configFile}: the runtime config checks were skipped (the gateway may run elsewhere)` });
  } else {
    const guardText = await readOptional(join(paths.dir, "gatewayctl_guard.py"));
    checks.push(...checkRuntimeConfig({ configFile, configText, ...(guardText !== undefined ? { guardText } : {}) }, routeMap));
    const runtimeMapText = await readOptional(join(paths.dir, "route-map.json"));
    if (runtimeMapText !== undefined) {
      let same = false;
      try {
        same = sameRoutes(JSON.parse(runtimeMapText) as RouteMap, routeMap);
      } catch {
        same = false;
      }
      if (!same) {
        checks.push({
          name: "config route map",
          kind: "config",
          status: "warn",
          message: `${paths.dir}/route-map.json differs from the policy's routes: the runtime directory holds another build (run gatewayctl build, then gatewayctl start)`,
        });
      }
    }
  }

  progress(`testing ${routeMap.routes.length} routes at ${baseUrl} (concurrency ${options.concurrency})`);
  checks.push(
    ...(await probeGateway({ baseUrl, key, routeMap, concurrency: options.concurrency, timeoutMs: options.timeoutSeconds * 1000 })),
  );

  let drill: ProbeReport["drill"];
  if (options.drill) {
    const { runDrill } = await import("./drill.js");
    const result = await runDrill({
      policy,
      policyDir: loaded.dir,
      runtimeDir: paths.dir,
      routeMap,
      concurrency: options.concurrency,
      timeoutMs: options.timeoutSeconds * 1000,
      startTimeoutMs: options.startTimeoutSeconds * 1000,
      ...(options.litellmBin ? { litellmBin: options.litellmBin } : {}),
      env,
      onProgress: progress,
    });
    checks.push(...result.checks);
    drill = { baseUrl: result.baseUrl, startedMs: result.startedMs, stopped: result.stopped };
  }
  return buildReport(baseUrl, routeMap, checks, Math.round(performance.now() - started), drill);
}
