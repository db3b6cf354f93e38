/**
 * The flow behind `gatewayctl report`: find the gateway's ledger (the runtime's state directory) and the route map it
 * was recorded against (the runtime artifact, else the build output), stream the ledger through the aggregator, and
 * judge the policy's alert rules.
 */
import { availableParallelism } from "node:os";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { gatewayBaseUrl } from "../artifact/gateway.js";
import type { RouteMap } from "../artifact/types.js";
import { InputError } from "../lib/errors.js";
import { createAggregator, mergeReports, type Report } from "./aggregate.js";
import { evaluateAlerts, type Firing } from "./alerts.js";
import { ledgerFiles, planSegments, readSegment, type ReadStats, type Segment } from "./read-ledger.js";

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
  const job: AggregateJob = {
    map: { routes: map.routes, lanes: map.lanes },
    ...(since ? { since } : {}),
    now: now.toISOString(),
    bucket: sinceMs !== undefined && sinceMs <= HOURLY_UP_TO_MS ? "hour" : "day",
  };
  const { report, read } = await aggregateLedger(ledgerDir, job);
  return {
    report,
    firings: evaluateAlerts(report, map.alerts),
    ledgerDir,
    read,
    routeMapFrom: from,
    gateway: gatewayBaseUrl(map.gateway.bind, map.gateway.port),
  };
}

/** What a segment's aggregation needs; plain data, so a worker thread can be given it. */
interface AggregateJob {
  map: Pick<RouteMap, "routes" | "lanes">;
  since?: string;
  now: string;
  bucket: "hour" | "day";
}

/** Below this many bytes one thread reads the ledger; above, one worker thread per core reads a part each. */
export const PARALLEL_MIN_BYTES = 32 * 1024 * 1024;
const WORKER_OLD_HEAP_MB = 64;
const WORKER_YOUNG_HEAP_MB = 8;

async function aggregateSegments(segments: Segment[], job: AggregateJob): Promise<{ report: Report; lines: number; skipped: number }> {
  const aggregator = createAggregator(job.map, { ...(job.since ? { since: job.since } : {}), now: new Date(job.now), bucket: job.bucket });
  let lines = 0;
  let skipped = 0;
  for (const seg of segments) {
    const s = await readSegment(seg, job.since, (r) => aggregator.add(r));
    lines += s.lines;
    skipped += s.skipped;
  }
  return { report: aggregator.finish(), lines, skipped };
}

/** The ledger's report: in this thread, or for a big ledger in worker threads (this same module) merged here. */
async function aggregateLedger(ledgerDir: string, job: AggregateJob): Promise<{ report: Report; read: ReadStats }> {
  const files = await ledgerFiles(ledgerDir);
  const whole = await planSegments(files, 1);
  const bytes = whole.reduce((n, s) => n + s.end - s.start, 0);
  const threads = Math.min(4, availableParallelism());
  const self = new URL(import.meta.url);
  // workers load this module again: only from JavaScript (the built CLI), never from TypeScript sources
  if (bytes >= PARALLEL_MIN_BYTES && threads > 1 && self.pathname.endsWith(".js")) {
    const segments = await planSegments(files, threads);
    try {
      // this thread reads the first part itself: one isolate fewer
      const [mine, ...theirs] = segments;
      const parts = await Promise.all([
        aggregateSegments([mine!], job),
        ...theirs.map(
          (seg) =>
            new Promise<{ report: Report; lines: number; skipped: number }>((resolve, reject) => {
              // small heaps: a worker keeps only counts, the lines it parses are garbage at once (peak RSS stays low)
              const worker = new Worker(self, {
                workerData: { gatewayctlReportJob: job, segment: seg },
                resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_HEAP_MB, maxYoungGenerationSizeMb: WORKER_YOUNG_HEAP_MB },
              });
              worker.once("message", resolve);
              worker.once("error", reject);
              worker.once("exit", (code) => (code === 0 ? undefined : reject(new Error(`report worker exited with ${code}`))));
            }),
        ),
      ]);
      return {
        report: mergeReports(parts.map((p) => p.report)),
        read: { files: files.length, lines: parts.reduce((n, p) => n + p.lines, 0), skipped: parts.reduce((n, p) => n + p.skipped, 0) },
      };
    } catch {
      // a worker that cannot run (a restricted environment): read it here instead
    }
  }
  const one = await aggregateSegments(whole, job);
  return { report: one.report, read: { files: files.length, lines: one.lines, skipped: one.skipped } };
}

// a report worker thread: aggregate one segment and post the result
if (!isMainThread && parentPort && (workerData as { gatewayctlReportJob?: AggregateJob } | undefined)?.gatewayctlReportJob) {
  const data = workerData as { gatewayctlReportJob: AggregateJob; segment: Segment };
  const port = parentPort;
  void aggregateSegments([data.segment], data.gatewayctlReportJob).then(
    (result) => port.postMessage(result),
    (err: unknown) => {
      throw err;
    },
  );
}
