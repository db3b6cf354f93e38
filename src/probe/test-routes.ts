/**
 * `gatewayctl test-routes` end to end: the runtime artifact (the build the gateway runs; the build output when this
 * machine has no runtime directory), its config checks, the HTTP checks against the running gateway, and the drill.
 */
import { InputError, GatewayctlError } from "../lib/errors.js";
import { registerSecrets } from "../lib/output.js";
import { AUTH_MODULE } from "../artifact/types.js";
import { checkRuntimeArtifact } from "./config-checks.js";
import { buildReport, probeGateway } from "./probe-routes.js";
import type { CheckResult, ProbeReport } from "./types.js";

export interface TestRoutesOptions {
  policyFile: string;
  /** default: http://<gateway.bind, or loopback for a wildcard bind>:<gateway.port> from the artifact */
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

export async function testRoutes(options: TestRoutesOptions): Promise<ProbeReport> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => undefined);
  const env = options.env ?? process.env;
  const { resolveRuntimeTarget, syncSource } = await import("../runtime/start-gateway.js");
  const { readArtifact } = await import("../artifact/read.js");
  const { gatewayBaseUrl } = await import("../artifact/gateway.js");

  const target = await resolveRuntimeTarget({ policyFile: options.policyFile });
  const { loaded, paths } = target;
  const checks: CheckResult[] = [];
  let artifact = target.artifact;
  if (!artifact) {
    // the gateway may run on another machine: the build output says what it should serve
    const source = syncSource(loaded);
    try {
      artifact = await readArtifact(source);
    } catch (err) {
      throw new InputError(`no build to test against: ${paths.dir} holds no runtime generation and ${source} no build output (${(err as Error).message})`, {
        code: "NO_ARTIFACT",
        hint: "run gatewayctl build (and gatewayctl start) first",
      });
    }
    checks.push({ name: "config runtime", kind: "config", status: "warn", message: `no runtime generation in ${paths.dir}: testing against the build output ${source} (the gateway may run elsewhere)` });
  }
  const map = artifact.routeMap;
  const facts = map.gateway;

  // the key: --key-env, else the master key from the policy's secrets provider
  let key: string;
  const clientKeys = new Map<string, string | undefined>();
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
    key = (await resolveSecrets(loaded.policy, [facts.masterKeySecret], { policyDir: loaded.dir, env }))[facts.masterKeySecret] ?? "";
    // each client's own key, to probe the front door as that client (a missing one is reported by the door checks)
    const names = map.frontDoor.clients.map((c) => c.keySecret);
    const values = names.length ? await resolveSecrets(loaded.policy, names, { policyDir: loaded.dir, env, allowMissing: true }) : {};
    for (const c of map.frontDoor.clients) clientKeys.set(c.name, values[c.keySecret]);
  }
  const baseUrl = (options.baseUrl ?? gatewayBaseUrl(facts.bind, facts.port)).replace(/\/+$/, "");

  checks.push(...checkRuntimeArtifact(artifact));
  progress(`testing ${map.routes.length} routes at ${baseUrl} (concurrency ${options.concurrency})`);
  if (facts.scale && facts.runtime === "process" && !options.baseUrl) {
    // each replica on its own, besides the routes through the balancer: a dead replica is hidden by the balancer
    const { probeHealth } = await import("../runtime/health.js");
    for (const port of facts.scale.replicaPorts) {
      const url = gatewayBaseUrl("127.0.0.1", port);
      const h = await probeHealth(url, options.timeoutSeconds * 1000);
      const ok = h.liveliness && h.readiness;
      checks.push({
        name: `replica ${url}`,
        kind: "health",
        status: ok ? "pass" : "fail",
        message: ok ? "liveliness and readiness ok" : `liveliness ${h.liveliness ? "ok" : "failing"}, readiness ${h.readiness ? "ok" : "failing"}: the balancer sends it nothing (gatewayctl status; gatewayctl start restarts the replicas)`,
      });
    }
  }
  const gatewayChecks = await probeGateway({ baseUrl, key, routeMap: map, concurrency: options.concurrency, timeoutMs: options.timeoutSeconds * 1000 });
  checks.push(...gatewayChecks);
  if (map.gateway.modules.includes(AUTH_MODULE) && !gatewayChecks.some((c) => c.name === "gateway reachable") && !options.keyEnv) {
    const { probeFrontDoor } = await import("./door.js");
    checks.push(...(await probeFrontDoor({ baseUrl, masterKey: key, clientKeys, map, timeoutMs: options.timeoutSeconds * 1000 })));
  }

  let drill: ProbeReport["drill"];
  if (options.drill) {
    const { runDrill } = await import("./drill.js");
    try {
      const result = await runDrill({
        policy: loaded.policy,
        policyDir: loaded.dir,
        artifact,
        concurrency: options.concurrency,
        timeoutMs: options.timeoutSeconds * 1000,
        startTimeoutMs: options.startTimeoutSeconds * 1000,
        ...(options.litellmBin ? { litellmBin: options.litellmBin } : {}),
        env,
        onProgress: progress,
      });
      checks.push(...result.checks);
      drill = { baseUrl: result.baseUrl, startedMs: result.startedMs, stopped: result.stopped };
    } catch (err) {
      // the route results above stand; the drill itself failing is one failed check
      if (!(err instanceof GatewayctlError)) throw err;
      checks.push({ name: "drill", kind: "drill", status: "fail", message: `the drill gateway could not run: ${err.message}${err.hint ? ` (${err.hint})` : ""}` });
    }
  }
  return buildReport(baseUrl, map, checks, Math.round(performance.now() - started), drill);
}
