import type { Command } from "commander";

export function registerAudit(program: Command): void {
  program
    .command("audit")
    .description("prove a LiteLLM config.yaml does not send private routes to the cloud, and client files name only their key's aliases; exit 1 on any leak")
    .argument("[config]", "LiteLLM proxy config.yaml to audit")
    .option("--clients <dir>", "also prove every model slot of the client files in this directory (e.g. generated/clients)")
    .option("--policy <file>", "take the expected routes from this policy (compiled, not built)")
    .option("--private <alias...>", "aliases that must stay local-only")
    .option("--local-host <host...>", "hosts to treat as local besides loopback, private and .local/.lan names")
    .option("--json", "print one JSON object")
    .action(async (configPath: string | undefined, raw: Record<string, unknown>) => {
      const { z } = await import("zod");
      const { parseFlags } = await import("./flags.js");
      const data = parseFlags(
        z.object({
          policy: z.string().min(1).optional(),
          private: z.array(z.string().min(1)).optional(),
          localHost: z.array(z.string().min(1)).optional(),
          clients: z.string().min(1).optional(),
          json: z.boolean().optional(),
        }),
        raw,
      );
      const { stdout, stderr, printJson } = await import("../lib/output.js");
      if (!configPath && !data.clients) {
        const { InputError } = await import("../lib/errors.js");
        throw new InputError("nothing to audit: give a LiteLLM config.yaml, --clients DIR, or both", {
          code: "AUDIT_OPTIONS",
          hint: "gatewayctl audit generated/config.yaml --clients generated/clients",
        });
      }
      let clientAudit: import("../clients/audit-clients.js").ClientAudit | undefined;
      if (data.clients) {
        const { auditClientDir } = await import("../clients/audit-clients.js");
        clientAudit = await auditClientDir({ dir: data.clients, ...(data.policy ? { policyFile: data.policy } : {}) });
        if (!clientAudit.ok) process.exitCode = 1;
      }
      const printClients = (): void => {
        if (!clientAudit) return;
        const c = clientAudit;
        stdout(`client proof ${c.dir}: ${c.problems.length === 0 ? "every slot holds" : `${c.problems.length} problem${c.problems.length === 1 ? "" : "s"}`} (${c.slots.length} model slots in ${c.files.length} files, expectations from ${c.expectationsFrom})`);
        for (const p of c.problems) stdout(`FAIL  ${p.file}: ${p.slot}: ${p.message}\n      hint: ${p.hint}`);
        for (const s of c.skipped) stderr(`note: ${s} is not a client file gatewayctl knows; not checked`);
      };
      if (!configPath) {
        if (data.json) printJson({ clients: clientAudit });
        else printClients();
        return;
      }
      const { auditConfig } = await import("../artifact/audit.js");
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
        printJson(clientAudit ? { ...report, clients: clientAudit } : report);
        return;
      }
      printClients();
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
