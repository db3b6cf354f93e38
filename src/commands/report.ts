import type { Command } from "commander";

export function registerReport(program: Command): void {
  program
    .command("report")
    .description("requests, tokens and cost from the gateway's request ledger; --check exits 1 when an alert rule fires")
    .option("--policy <file>", "policy file", "gateway.policy.yaml")
    .option("--dir <dir>", "runtime directory (default: the policy's runtime.dir)")
    .option("--ledger <dir>", "ledger directory (default: <runtime dir>.state/ledger)")
    .option("--from <dir>", "build output to read lanes and routes from when the runtime directory has none")
    .option("--since <duration>", "only records of the last 30m, 24h, 7d, 2w, ...")
    .option("--by <dimension>", "totals per lane, route, client or model", "lane")
    .option("--html <file>", "also write a one-file HTML report with charts")
    .option("--check", "judge the policy's alert rules: print those that fired and exit 1 if any did")
    .option("--notify <url>", "POST one JSON document per fired rule to this webhook (ntfy, Gotify, generic JSON); default: $GATEWAYCTL_NOTIFY_URL")
    .option("--json", "print one JSON object")
    .action(async (raw: Record<string, unknown>) => {
      const { z } = await import("zod");
      const { parseFlags } = await import("./flags.js");
      const { REPORT_DIMENSIONS } = await import("../report/aggregate.js");
      const data = parseFlags(
        z.object({
          policy: z.string().min(1),
          dir: z.string().min(1).optional(),
          ledger: z.string().min(1).optional(),
          from: z.string().min(1).optional(),
          since: z.string().min(1).optional(),
          by: z.enum(REPORT_DIMENSIONS),
          html: z.string().min(1).optional(),
          check: z.boolean().optional(),
          notify: z.string().min(1).optional(),
          json: z.boolean().optional(),
        }),
        raw,
      );
      const { parseNotifyUrl, notifyFirings } = await import("../report/notify.js");
      // the systemd report service takes the webhook from its EnvironmentFile
      const notifyText = data.notify ?? (process.env.GATEWAYCTL_NOTIFY_URL?.trim() || undefined);
      const notifyUrl = notifyText ? parseNotifyUrl(notifyText) : undefined;
      const { runReport } = await import("../report/run-report.js");
      const { stdout, stderr, printJson } = await import("../lib/output.js");
      const now = new Date();
      const result = await runReport({
        policyFile: data.policy,
        ...(data.dir ? { dir: data.dir } : {}),
        ...(data.ledger ? { ledger: data.ledger } : {}),
        ...(data.from ? { from: data.from } : {}),
        ...(data.since ? { since: data.since } : {}),
        now,
      });
      if (result.read.skipped > 0) stderr(`warning: ${result.read.skipped} ledger line(s) are not records of this gatewayctl and were skipped`);
      let htmlFile: string | undefined;
      if (data.html) {
        const { renderHtml } = await import("../report/html.js");
        const { writeFileAtomic } = await import("../clients/write-file.js");
        const { resolve } = await import("node:path");
        htmlFile = resolve(data.html);
        await writeFileAtomic(htmlFile, await renderHtml(result.report, result.firings, result.gateway));
      }
      let notified = 0;
      if (notifyUrl && result.firings.length > 0) notified = await notifyFirings(notifyUrl, result.firings, result.gateway, now);
      if (data.check && result.firings.length > 0) process.exitCode = 1;

      if (data.json) {
        printJson({
          gateway: result.gateway,
          ledgerDir: result.ledgerDir,
          routeMapFrom: result.routeMapFrom,
          read: result.read,
          by: data.by,
          ...result.report,
          firings: result.firings,
          ...(htmlFile ? { html: htmlFile } : {}),
          ...(notifyUrl ? { notified } : {}),
        });
        return;
      }
      const { renderFirings, renderReport } = await import("../report/render.js");
      // for cron and CI, --check prints only the rules that fired
      const lines = data.check ? renderFirings(result.firings) : renderReport(result, data.by);
      stdout(lines.join("\n"));
      if (htmlFile) stderr(`wrote ${htmlFile}`);
      if (notifyUrl) stderr(`notified ${notified} firing${notified === 1 ? "" : "s"} to ${notifyUrl.origin}`);
    });
}
