/**
 * `test-routes --drill`: a throwaway copy of the gateway, started by the process runtime on a free loopback port
 * from the same runtime files, with LiteLLM's mock-testing switch and the guard's drill token added. Every route
 * gets each mock failure flag; the copy is always stopped and its directory removed afterwards.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { GUARD_DRILL_TOKEN_ENV, GUARD_DRILL_TOKEN_FILE, GUARD_MODULE } from "../compile/guard-source.js";
import type { RouteMap } from "../compile/types.js";
import { OperationError } from "../lib/errors.js";
import type { Policy } from "../policy/schema.js";
import { MOCK_TESTING_SWITCH } from "./config-checks.js";
import { mapLimit, requestGateway } from "./http.js";
import { DRILL_FLAGS, judgeDrillResponse } from "./judge.js";
import { promptBody } from "./probe-routes.js";
import type { CheckResult } from "./types.js";

export interface DrillOptions {
  policy: Policy;
  policyDir: string;
  /** the live runtime directory whose config.yaml, guard and route map are copied */
  runtimeDir: string;
  routeMap: RouteMap;
  concurrency: number;
  timeoutMs: number;
  startTimeoutMs: number;
  litellmBin?: string;
  /** environment for the secrets provider (default process.env) */
  env?: NodeJS.ProcessEnv;
  onProgress?: (line: string) => void;
}

export interface DrillResult {
  checks: CheckResult[];
  baseUrl: string;
  startedMs: number;
  stopped: boolean;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The drill copy of config.yaml: the same config with the mock-testing switch on. A config built for the docker
 * runtime addresses host backends as host.docker.internal; the drill runs as a local process, so those become
 * 127.0.0.1 again. Pure.
 */
export function drillConfigText(configText: string, options: { fromDocker?: boolean } = {}): string {
  const config = parseYaml(configText) as Record<string, unknown> | null;
  if (!config || typeof config !== "object" || Array.isArray(config)) {
    throw new OperationError("the runtime config.yaml is not a LiteLLM config (expected a mapping)", {
      code: "RUNTIME_CONFIG_INVALID",
      hint: "rebuild it with gatewayctl build and sync it again",
    });
  }
  const general = config.general_settings && typeof config.general_settings === "object" ? (config.general_settings as Record<string, unknown>) : {};
  config.general_settings = { ...general, [MOCK_TESTING_SWITCH]: true };
  if (options.fromDocker && Array.isArray(config.model_list)) {
    for (const entry of config.model_list as Array<{ litellm_params?: Record<string, unknown> }>) {
      const params = entry?.litellm_params;
      if (params && typeof params.api_base === "string") {
        params.api_base = params.api_base.replace(/^(https?:\/\/)host\.docker\.internal(?=[:/]|$)/, "$1127.0.0.1");
      }
    }
  }
  return stringifyYaml(config);
}

async function readRequired(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch {
    throw new OperationError(`the drill needs ${file}, which is missing`, {
      code: "RUNTIME_EMPTY",
      hint: "run gatewayctl build and gatewayctl sync (or gatewayctl start) so the runtime directory is complete",
    });
  }
}

export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const progress = options.onProgress ?? (() => undefined);
  const { secretNamesInConfig } = await import("../runtime/start-gateway.js");
  const { resolveSecrets } = await import("../runtime/secrets.js");
  const { createProcessRuntime } = await import("../runtime/process-runtime.js");

  const configText = await readRequired(join(options.runtimeDir, "config.yaml"));
  const guardText = await readRequired(join(options.runtimeDir, `${GUARD_MODULE}.py`));
  const names = [...new Set([...secretNamesInConfig(parseYaml(configText)), options.policy.gateway.masterKey.secret])].sort();
  const secrets = await resolveSecrets(options.policy, names, { policyDir: options.policyDir, ...(options.env ? { env: options.env } : {}) });
  const key = secrets[options.policy.gateway.masterKey.secret] ?? "";

  const work = await mkdtemp(join(tmpdir(), "gatewayctl-drill-"));
  const runtimeDir = join(work, "runtime");
  const stateDir = join(work, "runtime.state");
  const token = randomBytes(24).toString("hex");
  const port = await freePort();
  const policy: Policy = { ...options.policy, gateway: { ...options.policy.gateway, bind: "127.0.0.1", port } };
  const ctx = { policy, runtimeDir, stateDir, onProgress: (l: string) => progress(`drill: ${l}`) };
  const runtime = createProcessRuntime();
  let started = false;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (started) await runtime.stop(ctx).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  };
  // Ctrl-C during the drill: stop the throwaway gateway first, then let the signal do what it would have done.
  const onSignal = (signal: NodeJS.Signals): void => {
    void stop().finally(() => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      process.kill(process.pid, signal);
    });
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await mkdir(runtimeDir, { recursive: true, mode: 0o700 });
    await writeFile(join(runtimeDir, "config.yaml"), drillConfigText(configText, { fromDocker: options.policy.gateway.runtime === "docker" }));
    await writeFile(join(runtimeDir, `${GUARD_MODULE}.py`), guardText);
    await writeFile(join(runtimeDir, "route-map.json"), `${JSON.stringify(options.routeMap, null, 2)}\n`);
    await writeFile(join(runtimeDir, GUARD_DRILL_TOKEN_FILE), `${token}\n`, { mode: 0o600 });

    progress(`drill: starting a throwaway gateway on 127.0.0.1:${port} with mock-testing flags enabled`);
    const t0 = performance.now();
    started = true;
    const result = await runtime.start({
      ...ctx,
      env: { ...secrets, LITELLM_LOCAL_MODEL_COST_MAP: "True", LITELLM_MODE: "PRODUCTION", [GUARD_DRILL_TOKEN_ENV]: token },
      configHash: `drill-${token.slice(0, 12)}`,
      timeoutMs: options.startTimeoutMs,
      ...(options.litellmBin ? { litellmBin: options.litellmBin } : {}),
    });
    const startedMs = Math.round(performance.now() - t0);
    progress(`drill: ready after ${(startedMs / 1000).toFixed(1)} s; sending ${DRILL_FLAGS.length} mock failures to each of ${options.routeMap.routes.length} routes`);

    const requests = options.routeMap.routes.flatMap((route) => DRILL_FLAGS.map((flag) => ({ route, flag })));
    const checks = await mapLimit(requests, options.concurrency, async ({ route, flag }) =>
      judgeDrillResponse(
        route,
        flag,
        await requestGateway(result.baseUrl, { path: "/v1/chat/completions", key, body: promptBody(route.alias, { [flag]: true }), timeoutMs: options.timeoutMs }),
        options.routeMap,
      ),
    );
    await stop();
    return { checks, baseUrl: result.baseUrl, startedMs, stopped };
  } finally {
    await stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
