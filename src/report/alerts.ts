/**
 * The policy's alert rules (recorded in the route map) judged against a report. Pure: `report --check` prints the
 * firings and exits 1 when there are any; `--notify URL` posts each one (notify.ts).
 */
import type { Alert } from "../policy/schema.js";
import type { Report } from "./aggregate.js";

export interface Firing {
  rule: Alert["rule"];
  name?: string;
  lane?: string;
  /** one line for a person */
  message: string;
  /** what was measured, and the threshold it passed */
  value: number;
  threshold: number;
}

function pct(x: number): string {
  return `${Math.round(x * 10) / 10}%`;
}

export function evaluateAlerts(report: Report, alerts: Alert[]): Firing[] {
  const out: Firing[] = [];
  const since = report.window.since ? ` since ${report.window.since}` : "";
  for (const a of alerts) {
    const named = a.name !== undefined ? { name: a.name } : {};
    if (a.rule === "cloud-fallback") {
      const n = report.cloudFallbacks[a.lane] ?? 0;
      if (n > 0) {
        out.push({ rule: a.rule, ...named, lane: a.lane, value: n, threshold: 0, message: `lane ${a.lane}: ${n} request${n === 1 ? "" : "s"} served by a cloud fallback${since}` });
      }
    } else if (a.rule === "refusals") {
      const worst = Object.entries(report.refusals.byHour).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0];
      if (worst && worst[1] > a.perHour) {
        out.push({ rule: a.rule, ...named, value: worst[1], threshold: a.perHour, message: `${worst[1]} requests refused in the hour from ${worst[0]}:00Z (more than ${a.perHour} per hour)` });
      }
    } else {
      const spend = report.spend[a.lane];
      const budget = spend?.budget;
      if (!spend || !budget) continue;
      const checks: Array<[string, number, number | undefined]> = [
        ["today", spend.today, budget.daily],
        ["this month", spend.month, budget.monthly],
      ];
      for (const [when, spent, limit] of checks) {
        if (limit === undefined) continue;
        const share = (spent / limit) * 100;
        if (share > a.percent) {
          out.push({
            rule: a.rule,
            ...named,
            lane: a.lane,
            value: Math.round(share * 100) / 100,
            threshold: a.percent,
            message: `lane ${a.lane} spent ${spent} USD ${when}: ${pct(share)} of its ${when === "today" ? "daily" : "monthly"} budget of ${limit} USD (alert above ${a.percent}%)`,
          });
          break;
        }
      }
    }
  }
  return out;
}
