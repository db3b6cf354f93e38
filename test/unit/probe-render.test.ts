import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { buildReport } from "../../src/probe/probe-routes.js";
import { renderJunit, renderTable } from "../../src/probe/render.js";
import type { RouteMap } from "../../src/artifact/types.js";
import type { CheckResult } from "../../src/probe/types.js";
import { TEST_FRONT_DOOR, TEST_GATEWAY_FACTS } from "../support/gateway-facts.js";

const price = { input: 0, output: 0 };
const map: RouteMap = {
  generatedBy: "test",
  gateway: TEST_GATEWAY_FACTS,
  frontDoor: TEST_FRONT_DOOR,
  internalGroups: [],
  lanes: [],
  ledger: { maxBytes: 1048576, keep: 1 },
  alerts: [],
  routes: [
    { alias: "secure-core", lane: "private", privacy: "local-only", model: "llama", fallbacks: [], primaryDeploymentId: "secure-core:llama", fallbackGroups: [], allowedDeploymentIds: ["secure-core:llama"], cloudBackends: [], maxPrice: price, timeoutSeconds: 300 },
  ],
  deployments: [],
};
const checks: CheckResult[] = [
  { name: "route secure-core", kind: "route", route: "secure-core", status: "pass", message: "served by its primary", latencyMs: 120, servedBy: { deploymentId: "secure-core:llama", location: "local", costUsd: 0 } },
  { name: "privacy secure-core client-fallbacks", kind: "privacy", route: "secure-core", status: "fail", message: `PRIVACY VIOLATION: accepted <"fallbacks"> & more`, latencyMs: 30 },
  { name: "models unexpected", kind: "models", status: "warn", message: "models the policy does not define: x" },
];

describe("render", () => {
  const report = buildReport("http://127.0.0.1:4000", map, checks, 1500);
  it("builds a failing report with counts", () => {
    expect(report.ok).toBe(false);
    expect(report.counts).toEqual({ pass: 1, warn: 1, fail: 1 });
    expect(report.routes).toEqual([{ alias: "secure-core", lane: "private", privacy: "local-only", status: "fail", servedBy: "secure-core:llama", location: "local", latencyMs: 120, costUsd: 0 }]);
  });
  it("renders a table with the route row and the failures", () => {
    const table = renderTable(report);
    expect(table).toMatch(/^ROUTE\s+LANE\s+PRIVACY\s+SERVED BY\s+WHERE\s+LATENCY\s+COST\s+RESULT/);
    expect(table).toMatch(/secure-core\s+private\s+local-only\s+secure-core:llama\s+local\s+120 ms\s+\$0\s+FAIL/);
    expect(table).toContain("FAIL privacy secure-core client-fallbacks: PRIVACY VIOLATION");
    expect(table).toContain("0/1 privacy probes refused");
  });
  it("renders valid JUnit XML with one testcase per check", async () => {
    const xml = renderJunit(report);
    // a real XML parser (Python's expat) must accept it
    const parsed = await execa("python3", ["-c", "import sys, xml.dom.minidom as m; d = m.parseString(sys.stdin.buffer.read()); print(len(d.getElementsByTagName('testcase')))"], { input: xml, reject: false });
    expect(parsed.stderr).toBe("");
    expect(parsed.stdout.trim()).toBe("3");
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml).toContain('tests="3" failures="1"');
    expect(xml).toContain("&lt;&quot;fallbacks&quot;&gt; &amp; more");
  });
});
