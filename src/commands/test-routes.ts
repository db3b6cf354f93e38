import type { Command } from "commander";

export function registerTestRoutes(program: Command): void {
  program
    .command("test-routes")
    .description("prove every route on the running gateway: health, model list, one prompt per route, privacy probes (and --drill)")
    .option("--policy <file>", "policy file", "gateway.policy.yaml")
    .option("--base-url <url>", "gateway URL (default: http://<gateway.bind>:<gateway.port> from the policy)")
    .option("--key-env <name>", "environment variable holding the key (default: the master key from the secrets provider)")
    .option("--concurrency <n>", "requests in flight at once", "4")
    .option("--drill", "also start a throwaway copy with mock failures and check every fallback path")
    .option("--junit <file>", "write JUnit XML (one testcase per check) to this file")
    .option("--litellm-bin <path>", "litellm executable for the --drill copy (default: .venv-litellm, else PATH)")
    .option("--timeout <sec>", "per-request timeout in seconds", "60")
    .option("--start-timeout <sec>", "seconds the --drill copy may take to become ready", "120")
    .option("--json", "print one JSON object")
    .action(async (raw: Record<string, unknown>) => {
      const { z } = await import("zod");
      const { parseFlags } = await import("./flags.js");
      const { stdout, stderr, printJson } = await import("../lib/output.js");
      const flags = parseFlags(
        z.object({
          policy: z.string().min(1),
          baseUrl: z.string().url().optional(),
          keyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name").optional(),
          concurrency: z.coerce.number().int().min(1).max(64),
          drill: z.boolean().optional(),
          junit: z.string().min(1).optional(),
          litellmBin: z.string().min(1).optional(),
          timeout: z.coerce.number().positive(),
          startTimeout: z.coerce.number().positive(),
          json: z.boolean().optional(),
        }),
        raw,
      );
      const { testRoutes } = await import("../probe/test-routes.js");
      const report = await testRoutes({
        policyFile: flags.policy,
        ...(flags.baseUrl ? { baseUrl: flags.baseUrl } : {}),
        ...(flags.keyEnv ? { keyEnv: flags.keyEnv } : {}),
        concurrency: flags.concurrency,
        drill: flags.drill ?? false,
        ...(flags.litellmBin ? { litellmBin: flags.litellmBin } : {}),
        timeoutSeconds: flags.timeout,
        startTimeoutSeconds: flags.startTimeout,
        onProgress: (line) => stderr(line),
      });
      if (flags.junit) {
        const { writeFile } = await import("node:fs/promises");
        const { renderJunit } = await import("../probe/render.js");
        const { redact } = await import("../lib/output.js");
        await writeFile(flags.junit, redact(renderJunit(report)));
      }
      if (!report.ok) process.exitCode = 1;
      if (flags.json) {
        printJson(report);
        return;
      }
      const { renderTable } = await import("../probe/render.js");
      stdout(renderTable(report));
    });
}
