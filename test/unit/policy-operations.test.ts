/** Lane budgets, the ledger's bounds and alert rules in the policy: shape and cross-field rules, with locations. */
import { describe, expect, it } from "vitest";
import { BASE, errorsOf, expectAt, only, valid } from "./policy-support.js";

const withBudget = BASE.replace('web: { privacy: cloud-allowed, description: "Anything" }', 'web: { privacy: cloud-allowed, description: "Anything", budget: { daily: 2, monthly: 30 } }');

describe("lane budgets, ledger and alerts", () => {
  it("accepts budgets, ledger bounds and the three alert rules; defaults the ledger to 64 MiB x 4", () => {
    expect(valid(BASE).policy.ledger).toEqual({ maxBytes: 64 * 1024 * 1024, keep: 3 });
    expect(valid(BASE).policy.alerts).toEqual([]);
    const source = `${withBudget}ledger: { maxBytes: 1048576, keep: 10 }
alerts:
  - { rule: cloud-fallback, lane: private }
  - { rule: refusals, perHour: 5, name: too many }
  - { rule: budget, lane: web, percent: 80 }
`;
    const { policy } = valid(source);
    expect(policy.lanes.web!.budget).toEqual({ daily: 2, monthly: 30 });
    expect(policy.alerts.map((a) => a.rule)).toEqual(["cloud-fallback", "refusals", "budget"]);
  });

  it("an alert on an unknown lane, and a budget alert on a lane without a budget, point at the lane", () => {
    const source = `${BASE}alerts:\n  - { rule: cloud-fallback, lane: wbe }\n  - { rule: budget, lane: private, percent: 50 }\n`;
    const ds = errorsOf(source);
    const unknown = only(ds, "unknown lane");
    expect(unknown.message).toBe('alerts[0].lane: unknown lane "wbe" — did you mean "web"?');
    expectAt(unknown, source, "wbe");
    const nobudget = only(ds, "has no budget");
    expect(nobudget.message).toBe('alerts[1].lane: lane "private" has no budget for this alert to compare with');
    expect(nobudget.hint).toContain("budget: { daily: USD }");
  });

  it("refuses an empty budget, a negative one, a tiny ledger and an unknown rule", () => {
    expect(errorsOf(BASE.replace('description: "Anything" }', 'description: "Anything", budget: {} }')).map((d) => d.message).join("\n")).toContain("a budget needs daily, monthly or both");
    expect(errorsOf(BASE.replace('description: "Anything" }', 'description: "Anything", budget: { daily: -1 } }')).length).toBeGreaterThan(0);
    expect(errorsOf(`${BASE}ledger: { maxBytes: 100 }\n`).map((d) => d.message).join("\n")).toContain("ledger.maxBytes");
    expect(errorsOf(`${BASE}alerts:\n  - { rule: spend, lane: web }\n`).length).toBeGreaterThan(0);
  });
});
