/**
 * What `gatewayctl report` computes from the ledger, in one pass over the records: totals per lane, route, client and
 * model; for each route the share served by its primary, by each fallback and by the cloud; the cloud-fallback rate
 * of local-first lanes; refusals by reason and by client (and the non-alias names each client asked for); the spend of
 * every lane today and this month (for budgets and alerts); and time series for the charts. Pure.
 */
import type { RouteMap } from "../artifact/types.js";
import type { LedgerRecord } from "./record.js";

export const REPORT_DIMENSIONS = ["lane", "route", "client", "model"] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];

export interface Totals {
  requests: number;
  ok: number;
  errors: number;
  refused: number;
  tokensIn: number;
  tokensOut: number;
  /** USD */
  cost: number;
}

export interface RouteShares {
  /** served requests (status ok) */
  served: number;
  /** served by the primary, by fallback-1, fallback-2, ... (and `other`) */
  servedBy: Record<string, number>;
  /** served by a cloud deployment */
  cloud: number;
  /** the same as fractions of `served` (0 when nothing was served) */
  shares: Record<string, number>;
  cloudShare: number;
}

export interface LocalFirstRate {
  served: number;
  /** served by a cloud fallback */
  cloudFallback: number;
  rate: number;
}

/** How refused requests are grouped: a name that is not a route alias is `non-alias` whoever refused it. */
export type RefusalReason = "non-alias" | "guard" | "front-door" | "budget";

export interface Refusals {
  total: number;
  byReason: Record<string, number>;
  byClient: Record<string, number>;
  /** per client, the names that are not route aliases it asked for (raw vendor ids ...): who bypasses the aliases */
  nonAliasByClient: Record<string, Record<string, number>>;
  /** refusals per UTC hour (`YYYY-MM-DDTHH`), for the refusals alert */
  byHour: Record<string, number>;
}

export interface LaneSpend {
  /** USD spent today (UTC) and this month (UTC) */
  today: number;
  month: number;
  budget?: { daily?: number; monthly?: number };
}

/** One point of a chart: per time bucket, lane and where the requests were served. */
export interface SeriesPoint {
  bucket: string;
  lane: string;
  where: string;
  requests: number;
  cost: number;
}

export interface Report {
  window: { since?: string; until: string };
  totals: Totals;
  byLane: Record<string, Totals>;
  byRoute: Record<string, Totals>;
  byClient: Record<string, Totals>;
  byModel: Record<string, Totals>;
  routes: Record<string, RouteShares>;
  localFirst: Record<string, LocalFirstRate>;
  refusals: Refusals;
  /** cloud fallbacks served per lane (any lane), for the cloud-fallback alert */
  cloudFallbacks: Record<string, number>;
  spend: Record<string, LaneSpend>;
  series: { bucket: "hour" | "day"; points: SeriesPoint[] };
}

const NONE = "(none)";

function zero(): Totals {
  return { requests: 0, ok: 0, errors: 0, refused: 0, tokensIn: 0, tokensOut: 0, cost: 0 };
}

function add(t: Totals, r: LedgerRecord): void {
  t.requests++;
  if (r.status === "ok") t.ok++;
  else if (r.status === "error") t.errors++;
  else t.refused++;
  t.tokensIn += r.tokensIn ?? 0;
  t.tokensOut += r.tokensOut ?? 0;
  t.cost += r.cost ?? 0;
}

function bump(map: Map<string, Totals>, key: string, r: LedgerRecord): void {
  let t = map.get(key);
  if (t === undefined) map.set(key, (t = zero()));
  add(t, r);
}

/** Round a sum of USD to 1e-9: the ledger's costs are binary floats, their sums should print as written. */
export function roundUsd(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

/** Where a record was served, for the stacked charts. */
export function whereServed(r: LedgerRecord): string {
  if (r.status === "refused") return "refused";
  if (r.status === "error") return "failed";
  if (r.location === "local") return r.fallbackUsed ? "local fallback" : "local primary";
  if (r.location === "cloud") return r.fallbackUsed ? "cloud fallback" : "cloud primary";
  return "unknown";
}

export interface Aggregator {
  add(r: LedgerRecord): void;
  finish(): Report;
}

/**
 * An aggregator over records at or after `since` (already filtered by the reader). `now` fixes today and this month
 * for the lanes' spend; `bucket` the charts' resolution.
 */
export function createAggregator(map: Pick<RouteMap, "routes" | "lanes">, options: { since?: string; now: Date; bucket: "hour" | "day" }): Aggregator {
  const today = options.now.toISOString().slice(0, 10);
  const month = today.slice(0, 7);
  const sliceAt = options.bucket === "hour" ? 13 : 10;
  const report: Report = {
    window: { ...(options.since ? { since: options.since } : {}), until: options.now.toISOString() },
    totals: zero(),
    byLane: {},
    byRoute: {},
    byClient: {},
    byModel: {},
    routes: {},
    localFirst: {},
    refusals: { total: 0, byReason: {}, byClient: {}, nonAliasByClient: {}, byHour: {} },
    cloudFallbacks: {},
    spend: {},
    series: { bucket: options.bucket, points: [] },
  };
  for (const l of map.lanes) report.spend[l.name] = { today: 0, month: 0, ...(l.budget ? { budget: { ...l.budget } } : {}) };
  for (const route of map.routes) report.routes[route.alias] = { served: 0, servedBy: {}, cloud: 0, shares: {}, cloudShare: 0 };
  for (const l of map.lanes) if (l.privacy === "local-first") report.localFirst[l.name] = { served: 0, cloudFallback: 0, rate: 0 };
  // Maps while counting (keys are data), plain objects in the report
  const byLane = new Map<string, Totals>();
  const byRoute = new Map<string, Totals>();
  const byClient = new Map<string, Totals>();
  const byModel = new Map<string, Totals>();
  // bucket -> lane -> where -> point (nested maps: no key strings built per record)
  const points = new Map<string, Map<string, Map<string, SeriesPoint>>>();
  let lastBucketKey = "";
  let lastBucket: Map<string, Map<string, SeriesPoint>> | undefined;

  return {
    add(r) {
      add(report.totals, r);
      bump(byLane, r.lane ?? NONE, r);
      bump(byRoute, r.alias ?? (r.requested !== undefined ? `${r.requested} (not an alias)` : NONE), r);
      bump(byClient, r.client ?? NONE, r);
      bump(byModel, r.model ?? NONE, r);
      if (r.status === "ok" && r.alias !== undefined) {
        const shares = (report.routes[r.alias] ??= { served: 0, servedBy: {}, cloud: 0, shares: {}, cloudShare: 0 });
        shares.served++;
        const by = r.servedBy ?? "other";
        shares.servedBy[by] = (shares.servedBy[by] ?? 0) + 1;
        if (r.location === "cloud") shares.cloud++;
      }
      if (r.status === "ok" && r.lane !== undefined) {
        const cloudFallback = r.fallbackUsed === true && r.location === "cloud";
        if (cloudFallback) report.cloudFallbacks[r.lane] = (report.cloudFallbacks[r.lane] ?? 0) + 1;
        if (r.privacy === "local-first") {
          const lf = (report.localFirst[r.lane] ??= { served: 0, cloudFallback: 0, rate: 0 });
          lf.served++;
          if (cloudFallback) lf.cloudFallback++;
        }
      }
      if (r.status === "refused") {
        const ref = report.refusals;
        ref.total++;
        const reason: RefusalReason = r.alias === undefined && r.requested !== undefined ? "non-alias" : (r.refusedBy ?? "guard");
        ref.byReason[reason] = (ref.byReason[reason] ?? 0) + 1;
        const client = r.client ?? NONE;
        ref.byClient[client] = (ref.byClient[client] ?? 0) + 1;
        if (reason === "non-alias") {
          const names = (ref.nonAliasByClient[client] ??= {});
          names[r.requested!] = (names[r.requested!] ?? 0) + 1;
        }
        const hour = r.time.slice(0, 13);
        ref.byHour[hour] = (ref.byHour[hour] ?? 0) + 1;
      }
      if (r.lane !== undefined && (r.cost ?? 0) > 0 && r.time.startsWith(month)) {
        const s = (report.spend[r.lane] ??= { today: 0, month: 0 });
        s.month += r.cost!;
        if (r.time.startsWith(today)) s.today += r.cost!;
      }
      const lane = r.lane ?? NONE;
      const where = whereServed(r);
      // records come in time order: the bucket rarely changes from one record to the next
      if (lastBucket === undefined || !r.time.startsWith(lastBucketKey)) {
        lastBucketKey = r.time.slice(0, sliceAt);
        lastBucket = points.get(lastBucketKey);
        if (!lastBucket) points.set(lastBucketKey, (lastBucket = new Map()));
      }
      let byWhere = lastBucket.get(lane);
      if (!byWhere) lastBucket.set(lane, (byWhere = new Map()));
      let p = byWhere.get(where);
      if (!p) byWhere.set(where, (p = { bucket: lastBucketKey, lane, where, requests: 0, cost: 0 }));
      p.requests++;
      p.cost += r.cost ?? 0;
    },

    finish() {
      report.byLane = Object.fromEntries(byLane);
      report.byRoute = Object.fromEntries(byRoute);
      report.byClient = Object.fromEntries(byClient);
      report.byModel = Object.fromEntries(byModel);
      const series = [...points.values()].flatMap((lanes) => [...lanes.values()].flatMap((w) => [...w.values()]));
      finishReport(report, series);
      return report;
    },
  };
}

/** The totals of one dimension, for `--by`. */
export function totalsBy(report: Report, by: ReportDimension): Record<string, Totals> {
  switch (by) {
    case "lane":
      return report.byLane;
    case "route":
      return report.byRoute;
    case "client":
      return report.byClient;
    case "model":
      return report.byModel;
  }
}

function addTotals(into: Totals, t: Totals): void {
  into.requests += t.requests;
  into.ok += t.ok;
  into.errors += t.errors;
  into.refused += t.refused;
  into.tokensIn += t.tokensIn;
  into.tokensOut += t.tokensOut;
  into.cost += t.cost;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/**
 * One report from the reports of disjoint parts of a ledger (the parallel reader's segments): every count summed,
 * every share, rate and rounding computed again. Parts come from aggregators with the same route map and options.
 */
export function mergeReports(parts: Report[]): Report {
  const [first, ...others] = parts;
  if (!first) throw new Error("mergeReports needs at least one report");
  const out: Report = structuredClone(first);
  for (const p of others) {
    addTotals(out.totals, p.totals);
    for (const dim of ["byLane", "byRoute", "byClient", "byModel"] as const) {
      for (const [k, t] of Object.entries(p[dim])) {
        if (out[dim][k]) addTotals(out[dim][k]!, t);
        else out[dim][k] = { ...t };
      }
    }
    for (const [alias, s] of Object.entries(p.routes)) {
      const r = (out.routes[alias] ??= { served: 0, servedBy: {}, cloud: 0, shares: {}, cloudShare: 0 });
      r.served += s.served;
      r.cloud += s.cloud;
      addCounts(r.servedBy, s.servedBy);
    }
    for (const [lane, l] of Object.entries(p.localFirst)) {
      const r = (out.localFirst[lane] ??= { served: 0, cloudFallback: 0, rate: 0 });
      r.served += l.served;
      r.cloudFallback += l.cloudFallback;
    }
    out.refusals.total += p.refusals.total;
    addCounts(out.refusals.byReason, p.refusals.byReason);
    addCounts(out.refusals.byClient, p.refusals.byClient);
    addCounts(out.refusals.byHour, p.refusals.byHour);
    for (const [client, names] of Object.entries(p.refusals.nonAliasByClient)) addCounts((out.refusals.nonAliasByClient[client] ??= {}), names);
    addCounts(out.cloudFallbacks, p.cloudFallbacks);
    for (const [lane, s] of Object.entries(p.spend)) {
      const r = (out.spend[lane] ??= { today: 0, month: 0, ...(s.budget ? { budget: { ...s.budget } } : {}) });
      r.today += s.today;
      r.month += s.month;
    }
    out.series.points.push(...p.series.points);
  }
  const points = new Map<string, SeriesPoint>();
  for (const p of out.series.points) {
    const key = `${p.bucket}\u0000${p.lane}\u0000${p.where}`;
    const q = points.get(key);
    if (q) {
      q.requests += p.requests;
      q.cost += p.cost;
    } else points.set(key, { ...p });
  }
  finishReport(out, [...points.values()]);
  return out;
}

/**
 * What a report derives from its counts, once they are all in (one pass, or the merge of parts): costs rounded,
 * each route's shares, the local-first cloud-fallback rates, and the series points rounded and in order.
 */
function finishReport(report: Report, series: SeriesPoint[]): void {
  const round = (t: Totals): void => {
    t.cost = roundUsd(t.cost);
  };
  round(report.totals);
  for (const dim of ["byLane", "byRoute", "byClient", "byModel"] as const) Object.values(report[dim]).forEach(round);
  for (const s of Object.values(report.routes)) {
    s.shares = Object.fromEntries(Object.entries(s.servedBy).map(([k, n]) => [k, s.served ? n / s.served : 0]));
    s.cloudShare = s.served ? s.cloud / s.served : 0;
  }
  for (const l of Object.values(report.localFirst)) l.rate = l.served ? l.cloudFallback / l.served : 0;
  for (const s of Object.values(report.spend)) {
    s.today = roundUsd(s.today);
    s.month = roundUsd(s.month);
  }
  report.series.points = series
    .map((p) => ({ ...p, cost: roundUsd(p.cost) }))
    .sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : a.lane < b.lane ? -1 : a.lane > b.lane ? 1 : a.where < b.where ? -1 : 1));
}
