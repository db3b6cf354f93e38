/**
 * The flow behind `gatewayctl report`: find the gateway's ledger (the runtime's state directory) and the route map it
 * was recorded against (the runtime artifact, else the build output), stream the ledger through the aggregator, and
 * judge the policy's alert rules.
 */
import { gatewayBaseUrl } from "../artifact/gateway.js";
import type { RouteMap } from "../artifact/types.js";
import { InputError } from "../lib/errors.js";
import { createAggregator, type Report } from "./aggregate.js";
import { evaluateAlerts, type Firing } from "./alerts.js";
import { readLedger, type ReadStats } from "./read-ledger.js";

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
/** Above this window the charts use days instead of hours. */
const HOURLY_UP_TO_MS = 48 * 3_600_000;

/** `24h`, `7d`, `30m`, `2w` → milliseconds. Throws InputError (exit 2) for anything else. */
export function parseSince(text: string): number {
  const m = /^(\d+)([mhdw])$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0) {
    throw new InputError(`--since ${text} is not a duration`, { code: "SINCE_INVALID", hint: "give a number and a unit: 30m, 24h, 7d or 2w" });
  }
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

export interface ReportOptions {
  policyFile: string;
  /** runtime directory override (default: the policy's runtime.dir) */
  dir?: string;
  /** ledger directory override (default: the runtime's state directory's ledger/) */
  ledger?: string;
  /** build output to read the route map from when the runtime directory has none (default: the sync source) */
  from?: string;
  since?: string;
  now?: Date;
}

export interface ReportResult {
  report: Report;
  firings: Firing[];
  ledgerDir: string;
  read: ReadStats;
  /** where the route map came from */
  routeMapFrom: string;
  /** the gateway's address, for people and notifications */
  gateway: string;
}

async function routeMapFor(runtimeDir: string, buildDir: string): Promise<{ map: RouteMap; from: string }> {
  const { readRuntimeArtifact } = await import("../runtime/start-gateway.js");
  const runtime = await readRuntimeArtifact(runtimeDir);
  if (runtime) return { map: runtime.routeMap, from: runtimeDir };
  const { readArtifact } = await import("../artifact/read.js");
  try {
    return { map: (await readArtifact(buildDir)).routeMap, from: buildDir };
  } catch (err) {
    throw new InputError(`no build to read the lanes and routes from: ${runtimeDir} holds no generation and ${buildDir} no build`, {
      code: "REPORT_NO_BUILD",
      cause: err,
      hint: "run gatewayctl build (and gatewayctl start), or pass --dir with the gateway's runtime directory",
    });
  }
}

export async function runReport(options: ReportOptions): Promise<ReportResult> {
  const now = options.now ?? new Date();
  const sinceMs = options.since !== undefined ? parseSince(options.since) : undefined;
  const { loadPolicy } = await import("../policy/load-policy.js");
  const { expandPath, runtimePaths } = await import("../runtime/paths.js");
  const { syncSource } = await import("../runtime/start-gateway.js");
  const loaded = await loadPolicy(options.policyFile);
  const dir = options.dir ? expandPath(options.dir) : expandPath(loaded.policy.runtime.dir, loaded.dir);
  const paths = runtimePaths(dir);
  const ledgerDir = options.ledger ? expandPath(options.ledger) : paths.ledgerDir;
  const { map, from } = await routeMapFor(paths.dir, syncSource(loaded, options.from));
  const since = sinceMs !== undefined ? new Date(now.getTime() - sinceMs).toISOString() : undefined;
  const aggregator = createAggregator(map, { ...(since ? { since } : {}), now, bucket: sinceMs !== undefined && sinceMs <= HOURLY_UP_TO_MS ? "hour" : "day" });
  const read = await readLedger(ledgerDir, since, (r) => aggregator.add(r));
  const report = aggregator.finish();
  return {
    report,
    firings: evaluateAlerts(report, map.alerts),
    ledgerDir,
    read,
    routeMapFrom: from,
    gateway: gatewayBaseUrl(map.gateway.bind, map.gateway.port),
  };
}
