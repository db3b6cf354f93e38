/**
 * `test-routes --drill`: a throwaway copy of the gateway, started by the runtime the artifact was built for (a local
 * process, or a container of the same image) on a free loopback port, from the same runtime files, with
 * LiteLLM's mock-testing switch and the guard's drill token added. Every route gets each mock failure flag; the
 * copy is always stopped and its directory removed afterwards.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Artifact } from "../artifact/read.js";
import { CONFIG_FILE, GUARD_DRILL_TOKEN_ENV, GUARD_DRILL_TOKEN_FILE, MOCK_TESTING_SWITCH, ROUTE_MAP_FILE, type GatewayFacts, type LiteLLMConfig } from "../artifact/types.js";
import { toYaml } from "../artifact/yaml.js";
import type { Policy } from "../policy/schema.js";
import { mapLimit, requestGateway } from "./http.js";
import { DRILL_FLAGS, judgeDrillResponse } from "./judge.js";
import { promptBody } from "./probe-routes.js";
import type { CheckResult } from "./types.js";

export interface DrillOptions {
  /** for the secrets provider */
  policy: Policy;
  policyDir: string;
  /** the live runtime artifact whose config, modules and route map are copied */
  artifact: Artifact;
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
  runtime: GatewayFacts["runtime"];
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

/** The drill copy of config.yaml: the same config with the mock-testing switch on, written the one YAML way. Pure. */
export function drillConfigText(config: LiteLLMConfig): string {
  const general = config.general_settings && typeof config.general_settings === "object" ? config.general_settings : {};
  // one throwaway process with router state of its own: its mock failures must not cool down the shared deployments
  const router = config.router_settings && typeof config.router_settings === "object" ? config.router_settings : undefined;
  const ownRouter = router ? Object.fromEntries(Object.entries(router).filter(([k]) => !k.startsWith("redis_"))) : undefined;
  return toYaml({ ...config, ...(ownRouter ? { router_settings: ownRouter } : {}), general_settings: { ...general, [MOCK_TESTING_SWITCH]: true } });
}

export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const progress = options.onProgress ?? (() => undefined);
  const { resolveSecrets } = await import("../runtime/secrets.js");
  const { gatewaySecretEnv, requiredSecrets } = await import("../artifact/read.js");
  const { getRuntime } = await import("../runtime/runtime.js");
  const { runtimePaths } = await import("../runtime/paths.js");
  const { generationName, switchTo } = await import("../runtime/sync-generations.js");
  const { artifact } = options;
  const map = artifact.routeMap;

  const secrets = await resolveSecrets(options.policy, requiredSecrets(artifact), { policyDir: options.policyDir, ...(options.env ? { env: options.env } : {}) });
  const key = secrets[map.gateway.masterKeySecret] ?? "";

  const work = await mkdtemp(join(tmpdir(), "gatewayctl-drill-"));
  const paths = runtimePaths(join(work, "runtime"));
  const token = randomBytes(24).toString("hex");
  const port = await freePort();
  // a single process even for a scaled-out gateway (its replicas and balancer keep their ports)
  const { scale: _scale, ...single } = map.gateway;
  const facts: GatewayFacts = { ...single, bind: "127.0.0.1", port };
  const ctx = { facts, runtimeDir: paths.dir, stateDir: paths.stateDir, onProgress: (l: string) => progress(`drill: ${l}`) };
  const runtime = await getRuntime(facts.runtime);
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
    // the same layout sync makes (a generation, the runtime link, the current link), so either runtime runs it
    const gen = join(paths.generations, generationName(1));
    await mkdir(gen, { recursive: true, mode: 0o755 });
    await writeFile(join(gen, CONFIG_FILE), drillConfigText(artifact.config));
    for (const [m, text] of artifact.modules) await writeFile(join(gen, `${m}.py`), text);
    await writeFile(join(gen, ROUTE_MAP_FILE), `${JSON.stringify(map, null, 2)}\n`);
    // readable by the container's user; only this throwaway copy ever holds it
    await writeFile(join(gen, GUARD_DRILL_TOKEN_FILE), `${token}\n`, { mode: 0o644 });
    await switchTo(paths.dir, 1);

    progress(`drill: starting a throwaway ${facts.runtime} gateway on 127.0.0.1:${port} with mock-testing flags enabled`);
    const t0 = performance.now();
    started = true;
    const result = await runtime.start({
      ...ctx,
      env: { ...gatewaySecretEnv(artifact, secrets), [GUARD_DRILL_TOKEN_ENV]: token },
      configHash: `drill-${token.slice(0, 12)}`,
      timeoutMs: options.startTimeoutMs,
      ...(options.litellmBin ? { litellmBin: options.litellmBin } : {}),
    });
    const startedMs = Math.round(performance.now() - t0);
    progress(`drill: ready after ${(startedMs / 1000).toFixed(1)} s; sending ${DRILL_FLAGS.length} mock failures to each of ${map.routes.length} routes`);

    const requests = map.routes.flatMap((route) => DRILL_FLAGS.map((flag) => ({ route, flag })));
    const checks = await mapLimit(requests, options.concurrency, async ({ route, flag }) =>
      judgeDrillResponse(
        route,
        flag,
        await requestGateway(result.baseUrl, { path: "/v1/chat/completions", key, body: promptBody(route.alias, { [flag]: true }), timeoutMs: options.timeoutMs }),
        map,
      ),
    );
    await stop();
    return { checks, baseUrl: result.baseUrl, runtime: facts.runtime, startedMs, stopped };
  } finally {
    await stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
