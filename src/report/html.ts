/**
 * `report --html FILE`: one self-contained HTML file (no script, no network) with the report's tables and two charts,
 * requests and cost over time per lane, stacked by where they were served. The charts are Vega-Lite specifications
 * compiled and rendered to SVG here in Node (vega's headless View, no browser, no canvas). Loaded lazily: only
 * `report --html` pays for vega.
 */
import type { Firing } from "./alerts.js";
import type { Report, Totals } from "./aggregate.js";

/** The stacking order and colours of "where served", the same in both charts. */
export const WHERE_ORDER = ["local primary", "local fallback", "cloud primary", "cloud fallback", "refused", "failed"] as const;
const WHERE_COLORS = ["#2e7d32", "#81c784", "#1565c0", "#ef6c00", "#8e24aa", "#c62828"];

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A Vega-Lite specification: stacked bars of `field` per time bucket, one row per lane. */
export function chartSpec(report: Report, field: "requests" | "cost", title: string): Record<string, unknown> {
  const unit = report.series.bucket;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    data: { values: report.series.points.map((p) => ({ ...p, bucket: unit === "hour" ? `${p.bucket}:00Z` : p.bucket })) },
    mark: { type: "bar", tooltip: true },
    width: 560,
    height: 120,
    encoding: {
      row: { field: "lane", type: "nominal", title: "lane" },
      x: { field: "bucket", type: "ordinal", title: unit === "hour" ? "hour (UTC)" : "day (UTC)", axis: { labelAngle: -45 } },
      y: { field, type: "quantitative", aggregate: "sum", title: field === "cost" ? "cost (USD)" : "requests" },
      color: { field: "where", type: "nominal", title: "served", scale: { domain: [...WHERE_ORDER], range: WHERE_COLORS } },
      order: { field: "where", sort: "ascending" },
    },
    config: { font: "sans-serif" },
  };
}

/** Render a Vega-Lite specification to an SVG string. */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  const compiled = vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function totalsTable(title: string, rows: Record<string, Totals>): string {
  const body = Object.entries(rows)
    .sort((a, b) => b[1].requests - a[1].requests || (a[0] < b[0] ? -1 : 1))
    .map(
      ([k, t]) =>
        `<tr><td>${esc(k)}</td><td>${t.requests}</td><td>${t.ok}</td><td>${t.errors}</td><td>${t.refused}</td><td>${t.tokensIn}</td><td>${t.tokensOut}</td><td>${t.cost}</td></tr>`,
    )
    .join("");
  return `<h2>${esc(title)}</h2><table><thead><tr><th></th><th>requests</th><th>served</th><th>failed</th><th>refused</th><th>tokens in</th><th>tokens out</th><th>cost (USD)</th></tr></thead><tbody>${body}</tbody></table>`;
}

export async function renderHtml(report: Report, firings: Firing[], gateway: string): Promise<string> {
  const [requestsSvg, costSvg] = await Promise.all([
    renderSvg(chartSpec(report, "requests", "Requests per lane, by where they were served")),
    renderSvg(chartSpec(report, "cost", "Cost (USD) per lane, by where it was served")),
  ]);
  const window = report.window.since ? `${report.window.since} to ${report.window.until}` : `everything up to ${report.window.until}`;
  const routes = Object.entries(report.routes)
    .map(([alias, s]) => `<tr><td>${esc(alias)}</td><td>${s.served}</td><td>${esc(Object.entries(s.servedBy).map(([k, n]) => `${k} ${n}`).join(", ") || "-")}</td><td>${Math.round(s.cloudShare * 1000) / 10}%</td></tr>`)
    .join("");
  const localFirst = Object.entries(report.localFirst)
    .map(([lane, l]) => `<tr><td>${esc(lane)}</td><td>${l.served}</td><td>${l.cloudFallback}</td><td>${Math.round(l.rate * 1000) / 10}%</td></tr>`)
    .join("");
  const refusals = Object.entries(report.refusals.byReason)
    .map(([k, n]) => `<tr><td>${esc(k)}</td><td>${n}</td></tr>`)
    .join("");
  const bypass = Object.entries(report.refusals.nonAliasByClient)
    .map(([client, names]) => `<tr><td>${esc(client)}</td><td>${esc(Object.entries(names).map(([n, c]) => `${n} (${c})`).join(", "))}</td></tr>`)
    .join("");
  const alerts = firings.length ? `<ul id="alerts">${firings.map((f) => `<li>${esc(f.message)}</li>`).join("")}</ul>` : `<p id="alerts">No alert rule fired.</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gatewayctl report: ${esc(gateway)}</title>
<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:0.25em 0.6em;text-align:right}td:first-child{text-align:left}figure{margin:1em 0}</style>
</head><body>
<h1>gatewayctl report</h1>
<p>Gateway ${esc(gateway)}; ledger records from ${esc(window)}: ${report.totals.requests} requests, ${report.totals.cost} USD.</p>
<h2>Alerts</h2>${alerts}
<figure id="chart-requests">${requestsSvg}</figure>
<figure id="chart-cost">${costSvg}</figure>
${totalsTable("Per lane", report.byLane)}
${totalsTable("Per route", report.byRoute)}
${totalsTable("Per client", report.byClient)}
${totalsTable("Per model", report.byModel)}
<h2>Where each route was served</h2><table><thead><tr><th>route</th><th>served</th><th>by</th><th>cloud</th></tr></thead><tbody>${routes}</tbody></table>
<h2>Local-first lanes: cloud fallbacks</h2><table><thead><tr><th>lane</th><th>served</th><th>cloud fallback</th><th>rate</th></tr></thead><tbody>${localFirst}</tbody></table>
<h2>Refused</h2><table><thead><tr><th>reason</th><th>requests</th></tr></thead><tbody>${refusals}</tbody></table>
<h2>Names that are not aliases, by client</h2><table><thead><tr><th>client</th><th>asked for</th></tr></thead><tbody>${bypass}</tbody></table>
</body></html>
`;
}
