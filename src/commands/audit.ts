import type { Command } from "commander";

export function registerAudit(program: Command): void {
  program
    .command("audit")
    .description("prove a LiteLLM config.yaml does not send private routes to the cloud; exit 1 on any leak")
    .argument("<config>", "LiteLLM proxy config.yaml to audit")
    .option("--policy <file>", "take the expected routes from this policy (compiled, not built)")
    .option("--private <alias...>", "aliases that must stay local-only")
    .option("--local-host <host...>", "hosts to treat as local besides loopback, private and .local/.lan names")
    .option("--json", "print one JSON object")
    .action(async (configPath: string, raw: Record<string, unknown>) => {
      const { z } = await import("zod");
      const { parseFlags } = await import("./flags.js");
      const data = parseFlags(
        z.object({
          policy: z.string().min(1).optional(),
          private: z.array(z.string().min(1)).optional(),
          localHost: z.array(z.string().min(1)).optional(),
          json: z.boolean().optional(),
        }),
        raw,
      );
      const { auditConfig } = await import("../artifact/audit.js");
      const { stdout, stderr, printJson } = await import("../lib/output.js");
      const report = await auditConfig({
        configPath,
        ...(data.policy ? { policyFile: data.policy } : {}),
        ...(data.private ? { privateAliases: data.private } : {}),
        ...(data.localHost ? { localHosts: data.localHost } : {}),
      });
      for (const n of report.notes) stderr(`warning: ${n}`);
      if (!report.ok) process.exitCode = 1;
      const source = report.expectationsFrom === "--private" ? undefined : report.expectationsFrom;

      if (data.json) {
        printJson(report);
        return;
      }
      const n = report.leaks.length + report.moduleProblems.length;
      stdout(`audit ${configPath}: ${n === 0 ? "no leaks" : `${n} leak${n === 1 ? "" : "s"}`} in ${report.verdicts.length} route${report.verdicts.length === 1 ? "" : "s"}${source ? ` (expectations from ${source})` : ""}`);
      for (const p of report.moduleProblems) stdout(`LEAK  ${p}: every request-borne mechanism below is open`);
      for (const v of report.verdicts) {
        const where = `${v.alias} (${v.privacy}${v.source ? `, from ${v.source}` : ""})`;
        if (v.ok) {
          stdout(`ok    ${where}: ${v.note ?? (v.reachable.map((r) => `${r.id} (${r.location})`).join(", ") || "nothing reachable")}`);
          continue;
        }
        for (const leak of report.leaks.filter((l) => l.alias === v.alias)) {
          stdout(`LEAK  ${where} via ${leak.mechanism}: ${leak.message}`);
          stdout(`      ${leak.path}`);
        }
      }
      stdout(report.guard ? "request-borne mechanisms (closed by the gatewayctl guard):" : "request-borne mechanisms (open: nothing in this config closes them):");
      for (const w of report.warnings) {
        stdout(`${w.closed ? "closed" : "warn  "} ${w.alias ? `${w.alias}: ` : ""}${w.mechanism}: ${w.message}\n       closed by: ${w.closedBy}`);
      }
    });
}
