/** The report for a person (plain text tables). Pure: returns lines. */
import type { Firing } from "./alerts.js";
import { totalsBy, type ReportDimension } from "./aggregate.js";
import type { ReportResult } from "./run-report.js";

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

const percent = (x: number): string => `${Math.round(x * 1000) / 10}%`;

export function renderFirings(firings: Firing[]): string[] {
  if (firings.length === 0) return ["alerts: no rule fired"];
  return [`alerts: ${firings.length} rule${firings.length === 1 ? "" : "s"} fired`, ...firings.map((f) => `FIRED ${f.name ?? f.rule}: ${f.message}`)];
}

export function renderReport(result: ReportResult, by: ReportDimension): string[] {
  const { report } = result;
  const out: string[] = [];
  const window = report.window.since ? `since ${report.window.since}` : "all records";
  out.push(`report of ${result.gateway} (${window}; ledger ${result.ledgerDir}, ${result.read.lines} lines in ${result.read.files} file${result.read.files === 1 ? "" : "s"})`);
  const t = report.totals;
  out.push(`${t.requests} requests: ${t.ok} served, ${t.errors} failed, ${t.refused} refused; ${t.tokensIn} tokens in, ${t.tokensOut} out; ${t.cost} USD`, "");
  const rows = Object.entries(totalsBy(report, by))
    .sort((a, b) => b[1].requests - a[1].requests || (a[0] < b[0] ? -1 : 1))
    .map(([k, x]) => [k, String(x.requests), String(x.ok), String(x.errors), String(x.refused), String(x.tokensIn), String(x.tokensOut), String(x.cost)]);
  out.push(...table([by, "requests", "served", "failed", "refused", "tokens in", "tokens out", "USD"], rows), "");
  const routeRows = Object.entries(report.routes).map(([alias, s]) => [
    alias,
    String(s.served),
    Object.entries(s.shares)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([k, x]) => `${k} ${percent(x)}`)
      .join(", ") || "-",
    percent(s.cloudShare),
  ]);
  out.push(...table(["route", "served", "served by", "cloud"], routeRows), "");
  const lf = Object.entries(report.localFirst);
  if (lf.length) {
    out.push(...table(["local-first lane", "served", "cloud fallback", "rate"], lf.map(([lane, l]) => [lane, String(l.served), String(l.cloudFallback), percent(l.rate)])), "");
  }
  const spend = Object.entries(report.spend).filter(([, s]) => s.budget);
  if (spend.length) {
    out.push(
      ...table(
        ["budget", "today USD", "daily", "month USD", "monthly"],
        spend.map(([lane, s]) => [lane, String(s.today), s.budget?.daily !== undefined ? String(s.budget.daily) : "-", String(s.month), s.budget?.monthly !== undefined ? String(s.budget.monthly) : "-"]),
      ),
      "",
    );
  }
  const ref = report.refusals;
  out.push(`refused: ${ref.total}${ref.total ? ` (${Object.entries(ref.byReason).map(([k, n]) => `${k} ${n}`).join(", ")}; by client: ${Object.entries(ref.byClient).map(([k, n]) => `${k} ${n}`).join(", ")})` : ""}`);
  for (const [client, names] of Object.entries(ref.nonAliasByClient)) {
    out.push(`  ${client} asked for names that are not aliases: ${Object.entries(names).map(([n, c]) => `${n} (${c})`).join(", ")}`);
  }
  out.push(...renderFirings(result.firings));
  return out;
}
