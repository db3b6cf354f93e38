/** Renderers for a ProbeReport: the table a person reads, and JUnit XML for CI. Pure. */
import type { CheckResult, ProbeReport } from "./types.js";

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  return cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n");
}

function formatCost(usd: number | undefined): string {
  if (usd === undefined) return "-";
  if (usd === 0) return "$0";
  return `$${usd.toPrecision(2)}`;
}

const MARK: Record<CheckResult["status"], string> = { pass: "ok", warn: "WARN", fail: "FAIL" };

export function renderTable(report: ProbeReport): string {
  const rows = [
    ["ROUTE", "LANE", "PRIVACY", "SERVED BY", "WHERE", "LATENCY", "COST", "RESULT"],
    ...report.routes.map((r) => [
      r.alias,
      r.lane,
      r.privacy,
      r.servedBy ?? "-",
      r.location ?? "-",
      r.latencyMs !== undefined ? `${r.latencyMs} ms` : "-",
      formatCost(r.costUsd),
      r.status === "untested" ? "NOT TESTED" : MARK[r.status],
    ]),
  ];
  const lines = [pad(rows)];
  const notable = report.checks.filter((c) => c.status !== "pass");
  if (notable.length) {
    lines.push("");
    for (const c of notable) lines.push(`${MARK[c.status]} ${c.name}: ${c.message}`);
  }
  const privacy = report.checks.filter((c) => c.kind === "privacy");
  const drill = report.checks.filter((c) => c.kind === "drill");
  lines.push("");
  const parts = [
    `${report.checks.length} checks: ${report.counts.pass} passed, ${report.counts.warn} warnings, ${report.counts.fail} failed`,
    `${privacy.filter((c) => c.status === "pass").length}/${privacy.length} privacy probes refused`,
  ];
  if (drill.length) parts.push(`drill ${drill.filter((c) => c.status === "pass").length}/${drill.length} passed`);
  parts.push(`${(report.durationMs / 1000).toFixed(1)} s`);
  lines.push(parts.join("; "));
  return lines.join("\n");
}

function xml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    // characters XML 1.0 cannot carry
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, "");
}

/** JUnit XML: one testsuite, one testcase per check; failures as <failure>, warnings in <system-out>. */
export function renderJunit(report: ProbeReport): string {
  const seconds = (ms: number | undefined): string => ((ms ?? 0) / 1000).toFixed(3);
  const cases = report.checks.map((c) => {
    const open = `    <testcase classname="gatewayctl.test-routes.${xml(c.kind)}" name="${xml(c.name)}" time="${seconds(c.latencyMs)}">`;
    if (c.status === "fail") return `${open}\n      <failure message="${xml(c.message)}" type="${xml(c.kind)}">${xml(c.message)}</failure>\n    </testcase>`;
    if (c.status === "warn") return `${open}\n      <system-out>warning: ${xml(c.message)}</system-out>\n    </testcase>`;
    return `${open}\n      <system-out>${xml(c.message)}</system-out>\n    </testcase>`;
  });
  const attrs = `name="gatewayctl test-routes" tests="${report.checks.length}" failures="${report.counts.fail}" errors="0" skipped="0" time="${seconds(report.durationMs)}"`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites ${attrs}>`,
    `  <testsuite ${attrs} hostname="${xml(report.baseUrl)}">`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}
