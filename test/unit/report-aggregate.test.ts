/** The report's arithmetic and alert rules over hand-made ledger records (pure; the e2e test drives the real gateway). */
import { describe, expect, it } from "vitest";
import type { RouteMap } from "../../src/artifact/types.js";
import { createAggregator, mergeReports } from "../../src/report/aggregate.js";
import { evaluateAlerts } from "../../src/report/alerts.js";
import { parseLedgerLine, type LedgerRecord } from "../../src/report/record.js";
import { parseSince } from "../../src/report/run-report.js";

const map: Pick<RouteMap, "routes" | "lanes"> = {
  lanes: [
    { name: "routine", privacy: "local-first", budget: { daily: 1, monthly: 10 } },
    { name: "web", privacy: "cloud-allowed" },
  ],
  routes: [
    { alias: "routine-router", lane: "routine", privacy: "local-first", model: "llama", fallbacks: ["mini", "big"], primaryDeploymentId: "routine-router:llama", fallbackGroups: ["gw-fallback-mini", "gw-fallback-big"], allowedDeploymentIds: ["routine-router:llama"], cloudBackends: ["cloud"], maxPrice: { input: 1, output: 1 }, timeoutSeconds: 300 },
    { alias: "web-model", lane: "web", privacy: "cloud-allowed", model: "mini", fallbacks: [], primaryDeploymentId: "web-model:mini", fallbackGroups: [], allowedDeploymentIds: ["web-model:mini"], cloudBackends: ["cloud"], maxPrice: { input: 1, output: 1 }, timeoutSeconds: 300 },
  ],
};
const NOW = new Date("2026-12-01T12:30:00.000Z");
const base = { v: 1, client: "app" } as const;
const local = (time: string): LedgerRecord => ({ ...base, time, alias: "routine-router", lane: "routine", privacy: "local-first", status: "ok", deployment: "routine-router:llama", model: "llama", location: "local", servedBy: "primary", tokensIn: 10, tokensOut: 2, cost: 0 });
const fallback = (time: string, n: 1 | 2, cost: number): LedgerRecord => ({ ...base, time, alias: "routine-router", lane: "routine", privacy: "local-first", status: "ok", deployment: n === 1 ? "gw-fallback-mini:mini" : "gw-fallback-big:big", model: n === 1 ? "mini" : "big", location: "cloud", servedBy: `fallback-${n}`, attempted: ["routine-router"], fallbackUsed: true, tokensIn: 10, tokensOut: 2, cost });

function run(records: LedgerRecord[]) {
  const a = createAggregator(map, { now: NOW, bucket: "hour" });
  records.forEach((r) => a.add(r));
  return a.finish();
}

describe("the report aggregator", () => {
  const records: LedgerRecord[] = [
    local("2026-12-01T11:00:00.000Z"),
    local("2026-12-01T11:10:00.000Z"),
    fallback("2026-12-01T11:20:00.000Z", 1, 0.1),
    fallback("2026-12-01T12:00:00.000Z", 2, 0.7),
    fallback("2026-11-30T23:00:00.000Z", 1, 0.2), // last month: counts for neither today nor this month
    { ...base, time: "2026-12-01T12:01:00.000Z", requested: "gpt-4o", status: "refused", refusedBy: "guard", reason: "app may not use model 'gpt-4o'" },
    { ...base, client: "other", time: "2026-12-01T12:02:00.000Z", alias: "web-model", lane: "web", privacy: "cloud-allowed", status: "refused", refusedBy: "budget", reason: "lane 'web' ..." },
    { ...base, time: "2026-12-01T12:03:00.000Z", alias: "web-model", lane: "web", privacy: "cloud-allowed", status: "error", reason: "APIConnectionError", attempted: ["web-model"] },
  ];
  const report = run(records);

  it("counts every record once, per lane, route, client and model", () => {
    expect(report.totals).toEqual({ requests: 8, ok: 5, errors: 1, refused: 2, tokensIn: 50, tokensOut: 10, cost: 1 });
    expect(report.byLane.routine).toMatchObject({ requests: 5, ok: 5, cost: 1 });
    expect(report.byLane["(none)"]).toMatchObject({ requests: 1, refused: 1 });
    expect(report.byRoute["gpt-4o (not an alias)"]).toMatchObject({ requests: 1 });
    expect(report.byClient).toMatchObject({ app: { requests: 7 }, other: { requests: 1 } });
    expect(report.byModel).toMatchObject({ llama: { requests: 2 }, mini: { requests: 2, cost: 0.3 }, big: { requests: 1, cost: 0.7 } });
  });

  it("gives each route's shares by primary, each fallback and the cloud, and the local-first cloud-fallback rate", () => {
    expect(report.routes["routine-router"]).toEqual({ served: 5, servedBy: { primary: 2, "fallback-1": 2, "fallback-2": 1 }, cloud: 3, shares: { primary: 0.4, "fallback-1": 0.4, "fallback-2": 0.2 }, cloudShare: 0.6 });
    expect(report.routes["web-model"]).toMatchObject({ served: 0, cloudShare: 0 });
    expect(report.localFirst.routine).toEqual({ served: 5, cloudFallback: 3, rate: 0.6 });
    expect(report.cloudFallbacks).toEqual({ routine: 3 });
  });

  it("groups refusals by reason (a non-alias name is its own reason) and client, and per hour", () => {
    expect(report.refusals).toEqual({
      total: 2,
      byReason: { "non-alias": 1, budget: 1 },
      byClient: { app: 1, other: 1 },
      nonAliasByClient: { app: { "gpt-4o": 1 } },
      byHour: { "2026-12-01T12": 2 },
    });
  });

  it("sums each lane's spend today and this month (UTC) and stacks the series by where served", () => {
    expect(report.spend.routine).toEqual({ today: 0.8, month: 0.8, budget: { daily: 1, monthly: 10 } });
    const nextDay = createAggregator(map, { now: new Date("2026-12-02T08:00:00.000Z"), bucket: "day" });
    records.forEach((r) => nextDay.add(r));
    expect(nextDay.finish().spend.routine).toMatchObject({ today: 0, month: 0.8 });
    const at11 = report.series.points.filter((p) => p.bucket === "2026-12-01T11" && p.lane === "routine");
    expect(at11).toEqual([
      { bucket: "2026-12-01T11", lane: "routine", where: "cloud fallback", requests: 1, cost: 0.1 },
      { bucket: "2026-12-01T11", lane: "routine", where: "local primary", requests: 2, cost: 0 },
    ]);
    expect(report.series.points.find((p) => p.lane === "web" && p.where === "failed")).toMatchObject({ requests: 1 });
  });

  it("fires exactly the rules whose thresholds are passed", () => {
    const firings = evaluateAlerts(report, [
      { rule: "cloud-fallback", lane: "routine" },
      { rule: "cloud-fallback", lane: "web" },
      { rule: "refusals", perHour: 1 },
      { rule: "refusals", perHour: 2 },
      { rule: "budget", lane: "routine", percent: 79, name: "routine spend" },
      { rule: "budget", lane: "routine", percent: 80 },
    ]);
    expect(firings.map((f) => [f.rule, f.name ?? f.lane ?? "", f.value, f.threshold])).toEqual([
      ["cloud-fallback", "routine", 3, 0],
      ["refusals", "", 2, 1],
      ["budget", "routine spend", 80, 79],
    ]);
    expect(firings[2]!.message).toBe("lane routine spent 0.8 USD today: 80% of its daily budget of 1 USD (alert above 79%)");
  });
});

describe("merging the reports of a ledger's parts (the parallel reader)", () => {
  it("gives the report of the whole, whatever the split", () => {
    const records: LedgerRecord[] = [];
    for (let i = 0; i < 60; i++) {
      const t = new Date(Date.UTC(2026, 11, 1, 9 + (i % 3), i)).toISOString();
      records.push(i % 4 === 0 ? fallback(t, ((i % 8) / 4 + 1) as 1 | 2, 0.01 * (i % 5)) : i % 7 === 0 ? { ...base, time: t, requested: `raw-${i % 2}`, status: "refused", refusedBy: "guard" } : local(t));
    }
    const whole = run(records);
    for (const cut of [[30], [1, 59], [10, 20, 45]]) {
      const bounds = [0, ...cut, records.length];
      const parts = bounds.slice(1).map((end, k) => run(records.slice(bounds[k], end)));
      expect(mergeReports(parts), `cut at ${cut.join(",")}`).toEqual(whole);
    }
  });
});

describe("ledger lines and durations", () => {
  it("accepts a record of this version only", () => {
    expect(parseLedgerLine('{"v":1,"time":"2026-12-01T00:00:00.000Z","status":"ok"}')).toMatchObject({ status: "ok" });
    expect(parseLedgerLine('{"v":2,"time":"2026-12-01T00:00:00.000Z","status":"ok"}')).toBeUndefined();
    expect(parseLedgerLine('{"v":1,"time":"2026-12-01T00:00:00.000Z","status":"maybe"}')).toBeUndefined();
    expect(parseLedgerLine('{"v":1,"time":"2026-12-01T0')).toBeUndefined();
  });
  it("parses --since durations and refuses others", () => {
    expect(parseSince("24h")).toBe(86_400_000);
    expect(parseSince("7d")).toBe(7 * 86_400_000);
    expect(parseSince("30m")).toBe(1_800_000);
    expect(() => parseSince("0h")).toThrow(/not a duration/);
    expect(() => parseSince("1y")).toThrow(/not a duration/);
  });
});
