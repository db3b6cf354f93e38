import type { Command } from "commander";
import { runtimeTargetFromFlags, withRuntimeTargetOptions } from "./runtime-target.js";

export function registerStatus(program: Command): void {
  withRuntimeTargetOptions(
    program.command("status").description("is the gateway running and healthy, and does it run the configuration on disk"),
  )
    .option("--json", "print one JSON object")
    .action(async (raw: Record<string, unknown>) => {
      const { registerSecretsForRedaction } = await import("../runtime/start-gateway.js");
      const { getRuntime } = await import("../runtime/runtime.js");
      const { stdout, printJson } = await import("../lib/output.js");
      const { flags, target } = await runtimeTargetFromFlags<{ json?: boolean }>(raw, (z) => ({ json: z.boolean().optional() }));
      await registerSecretsForRedaction(target);
      const runtime = await getRuntime(target.kind);
      const s = await runtime.status(target.context);
      const upToDate = s.runningConfigHash !== undefined && s.diskConfigHash !== undefined ? s.runningConfigHash === s.diskConfigHash : undefined;
      // a gateway that runs but does not answer its health checks is a failed check
      if (s.state === "unhealthy" || s.state === "crashed") process.exitCode = 1;
      if (flags.json) {
        printJson({ ...s, upToDate: upToDate ?? null, runtimeDir: target.paths.dir });
        return;
      }
      const gen = (g: number | undefined, h: string | undefined) =>
        h === undefined ? "none" : `${g !== undefined ? `generation ${g}, ` : ""}${h.slice(0, 12)}`;
      const by = s.startedBy === "docker-compose" ? ", started by docker-compose" : "";
      const lines = [`gateway: ${s.state} (${s.kind}${s.id ? `, ${s.kind === "process" ? "pid" : "container"} ${s.id.slice(0, 12)}` : ""}${by})`, `url: ${s.baseUrl}`];
      if (s.state === "crashed") lines.push(`the gateway died without gatewayctl stop${s.exitCode !== undefined ? ` (exit code ${s.exitCode})` : ""}: gatewayctl logs --tail 50 shows why; gatewayctl start starts it again`);
      if (s.health) lines.push(`health: liveliness ${s.health.liveliness ? "ok" : "failing"}, readiness ${s.health.readiness ? "ok" : "failing"}`);
      for (const m of s.members ?? []) {
        const h = m.health ? `, liveliness ${m.health.liveliness ? "ok" : "failing"}, readiness ${m.health.readiness ? "ok" : "failing"}` : "";
        lines.push(`  ${m.role.padEnd(8)} ${m.address.padEnd(21)} pid ${m.id.padEnd(8)} ${m.state}${h}`);
      }
      if (s.image) lines.push(`image: ${s.image}`);
      if (s.litellmVersion) lines.push(`litellm: ${s.litellmVersion}`);
      if (s.startedAt) lines.push(`started: ${s.startedAt}`);
      if (s.state !== "stopped" && s.state !== "missing" && s.state !== "crashed") lines.push(`running config: ${gen(s.runningGeneration, s.runningConfigHash)}`);
      lines.push(`config on disk: ${gen(s.diskGeneration, s.diskConfigHash)} (${target.paths.dir})`);
      if (upToDate === false) lines.push("the gateway runs an older configuration than the one on disk: run gatewayctl start to apply it");
      stdout(lines.join("\n"));
    });
}
