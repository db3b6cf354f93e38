import type { Policy, Price } from "../policy/schema.js";
import type { ClientAliasUsage } from "../clients/index.js";
import type { GeneratedMeta } from "./header.js";
import { markdownHeader } from "./header.js";
import type { GatewayPlan, PlannedDeployment } from "./route-map.js";

function price(p: Price, priced: boolean): string {
  if (!priced) return "LiteLLM cost map";
  if (p.input === 0 && p.output === 0) return "free";
  return `$${p.input} in / $${p.output} out`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function describeModel(d: PlannedDeployment | undefined, key: string): string {
  if (!d) return `\`${key}\``;
  return `\`${key}\` (${d.litellmModel} on ${d.backend}, ${d.location})`;
}

/** The route map a person reads: one row per alias, then lanes, deployments and client usage. */
export function renderRoutesMarkdown(policy: Policy, plan: GatewayPlan, usage: ClientAliasUsage[], meta: GeneratedMeta): string {
  const byId = new Map(plan.deployments.map((d) => [d.id, d]));
  const lines: string[] = [markdownHeader(meta, "Route map of the gateway.").trimEnd(), "", "# Gateway routes", ""];
  lines.push(
    `Clients send one of these aliases as \`model\` to the gateway on ${policy.gateway.bind}:${policy.gateway.port}. ` +
      "A request tries the model first, then each fallback in order; it never reaches anything else.",
    "",
    "| Alias | Lane | Privacy | Model | Fallbacks | Cloud providers reachable | Max price (USD / 1M tokens) |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  );
  for (const r of plan.routes) {
    const primary = byId.get(r.primaryDeploymentId);
    const fallbacks = r.allowedDeploymentIds.slice(1).map((id, i) => describeModel(byId.get(id), r.fallbacks[i] ?? id));
    const priced = r.allowedDeploymentIds.every((id) => byId.get(id)?.priced ?? false);
    lines.push(
      `| \`${r.alias}\` | ${cell(r.lane)} | ${r.privacy} | ${describeModel(primary, r.model)} | ${fallbacks.join(", ") || "none"} | ${r.cloudBackends.join(", ") || "none"} | ${price(r.maxPrice, priced)} |`,
    );
  }
  lines.push("", "## Lanes", "", "| Lane | Privacy | Max price | Routes | Description |", "| --- | --- | --- | --- | --- |");
  for (const [key, lane] of Object.entries(policy.lanes)) {
    const routes = plan.routes.filter((r) => r.lane === key).map((r) => `\`${r.alias}\``);
    const max = lane.maxPrice ? `$${lane.maxPrice.input} in / $${lane.maxPrice.output} out` : "none";
    lines.push(`| ${cell(key)} | ${lane.privacy} | ${max} | ${routes.join(", ") || "none"} | ${cell(lane.description)} |`);
  }
  lines.push(
    "",
    "## Deployments",
    "",
    "`x-litellm-model-id` in a response names the deployment that served it. Groups named `gw-fallback-*` exist only as fallback targets.",
    "",
    "| Deployment id | Group | LiteLLM model | api_base | Location | Price (USD / 1M tokens) |",
    "| --- | --- | --- | --- | --- | --- |",
  );
  for (const d of plan.deployments) {
    lines.push(
      `| \`${d.id}\` | \`${d.group}\` | ${cell(d.litellmModel)} | ${d.emitApiBase ?? `${d.apiBase} (provider default)`} | ${d.location} | ${price(d.price, d.priced)} |`,
    );
  }
  lines.push("", "## Clients", "");
  if (usage.length === 0) {
    lines.push("No client configuration is generated.");
  } else {
    lines.push("| Client | File | Aliases | Note |", "| --- | --- | --- | --- |");
    for (const u of usage) {
      lines.push(`| ${cell(u.client)} | \`${u.file}\` | ${u.aliases.map((a) => `\`${a}\``).join(", ")} | ${cell(u.note ?? "")} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}
