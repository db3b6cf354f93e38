import type { Command } from "commander";

export function registerStart(program: Command): void {
  program
    .command("start")
    .description("sync the runtime directory, resolve secrets and start the LiteLLM gateway, then wait until it is ready")
    .option("--policy <file>", "policy file", "gateway.policy.yaml")
    .option("--runtime <kind>", "docker or process (default: the policy's gateway.runtime)")
    .option("--image <image>", "docker: container image (default: the pinned LiteLLM image)")
    .option("--litellm-bin <path>", "process: the litellm executable (default: the project's .venv-litellm, else PATH)")
    .option("--timeout <seconds>", "seconds to wait for /health/readiness", "120")
    .option("--from <dir>", "sync source (default: the policy's runtime.source, else <policy dir>/generated)")
    .option("--dir <dir>", "runtime directory (default: the policy's runtime.dir)")
    .option("--json", "print one JSON object")
    .action(async (raw: Record<string, unknown>) => {
      const { z } = await import("zod");
      const { RUNTIME_KINDS } = await import("../artifact/types.js");
      const { parseFlags } = await import("./flags.js");
      const { startGateway } = await import("../runtime/start-gateway.js");
      const { stdout, stderr, printJson } = await import("../lib/output.js");
      const flags = parseFlags(
        z.object({
          policy: z.string().min(1),
          runtime: z.enum(RUNTIME_KINDS).optional(),
          image: z.string().min(1).optional(),
          litellmBin: z.string().min(1).optional(),
          timeout: z.coerce.number().positive().max(3600),
          from: z.string().min(1).optional(),
          dir: z.string().min(1).optional(),
          json: z.boolean().optional(),
        }),
        raw,
      );
      const report = await startGateway({
        policyFile: flags.policy,
        ...(flags.runtime ? { runtime: flags.runtime } : {}),
        ...(flags.dir ? { dir: flags.dir } : {}),
        ...(flags.from ? { from: flags.from } : {}),
        ...(flags.image ? { image: flags.image } : {}),
        ...(flags.litellmBin ? { litellmBin: flags.litellmBin } : {}),
        timeoutSeconds: flags.timeout,
        onProgress: (line) => stderr(line),
      });
      if (flags.json) {
        printJson(report);
        return;
      }
      const what = report.runtime === "process" ? `pid ${report.id}` : `container ${report.id.slice(0, 12)}`;
      const gen = report.generation !== undefined ? `generation ${report.generation}, ` : "";
      const config = `${gen}config ${report.configHash.slice(0, 12)}`;
      if (report.action === "unchanged") stdout(`gateway already running at ${report.baseUrl} (${report.runtime}, ${what}, ${config}): nothing changed`);
      else if (report.action === "recreated") stdout(`gateway restarted at ${report.baseUrl} (${report.runtime}, ${what}, ${config})`);
      else stdout(`gateway started at ${report.baseUrl} (${report.runtime}, ${what}, ${config})`);
      if (report.sync.action === "source-unavailable") stdout(`note: running the last known-good generation; the source ${report.sync.source} was unavailable`);
    });
}
