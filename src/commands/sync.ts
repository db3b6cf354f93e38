import type { Command } from "commander";

/*
 * Flags are checked by hand here rather than with zod: `sync` runs at every boot and on every deploy, and its
 * no-op case is meant to cost little more than starting Node (zod alone costs more than the no-op sync itself).
 */
async function invalid(flag: string, message: string): Promise<never> {
  const { InputError } = await import("../lib/errors.js");
  throw new InputError(`invalid option: --${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${message}`, {
    code: "INVALID_FLAGS",
    hint: "run the command with --help for its options",
  });
}

async function text(raw: Record<string, unknown>, key: string): Promise<string> {
  const v = raw[key];
  if (typeof v !== "string" || v.length === 0) return invalid(key, "expected a non-empty value");
  return v;
}

async function optionalText(raw: Record<string, unknown>, key: string): Promise<string | undefined> {
  return raw[key] === undefined ? undefined : text(raw, key);
}

async function optionalNumber(
  raw: Record<string, unknown>,
  key: string,
  range: { min: number; max: number; integer?: boolean },
): Promise<number | undefined> {
  const v = raw[key];
  if (v === undefined) return undefined;
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) return invalid(key, `expected a number, got "${String(v)}"`);
  if (range.integer && !Number.isInteger(n)) return invalid(key, `expected a whole number, got ${n}`);
  if (n < range.min || n > range.max) return invalid(key, `expected a number from ${range.min} to ${range.max}, got ${n}`);
  return n;
}

/** Shared: the policy when the file exists (optional when --from and --to are both given), and the source/dir defaults. */
async function resolveSyncTarget(flags: { policy: string; policyGiven: boolean; from?: string; to?: string }): Promise<{
  from?: string;
  to: string;
  policy?: import("../policy/schema.js").Policy;
  keep?: number;
  timeoutMs?: number;
}> {
  const { InputError } = await import("../lib/errors.js");
  const { expandPath } = await import("../runtime/paths.js");
  const { access } = await import("node:fs/promises");
  const exists = await access(flags.policy).then(
    () => true,
    () => false,
  );
  if (!exists) {
    if (flags.policyGiven || !flags.to) {
      throw new InputError(`policy file ${flags.policy} not found`, {
        code: "POLICY_NOT_FOUND",
        hint: "pass --policy FILE, or both --from DIR and --to DIR to sync without a policy (the source's route-map.json is then the privacy reference)",
      });
    }
    return { ...(flags.from ? { from: expandPath(flags.from) } : {}), to: expandPath(flags.to) };
  }
  const { loadPolicy } = await import("../policy/load-policy.js");
  const loaded = await loadPolicy(flags.policy);
  const p = loaded.policy;
  const { syncSource } = await import("../runtime/start-gateway.js");
  const from = syncSource(loaded, flags.from);
  const to = flags.to ? expandPath(flags.to) : expandPath(p.runtime.dir, loaded.dir);
  return { from, to, policy: p, keep: p.runtime.keep, timeoutMs: p.runtime.sourceTimeoutSeconds * 1000 };
}

export function registerSync(program: Command): void {
  program
    .command("sync")
    .description("copy the source of truth into the local runtime directory, validate it and swap it in atomically")
    .option("--policy <file>", "policy file (optional when --from and --to are given)", "gateway.policy.yaml")
    .option("--from <dir>", "source directory (default: the policy's runtime.source, else <policy dir>/generated)")
    .option("--to <dir>", "runtime directory (default: the policy's runtime.dir)")
    .option("--dry-run", "report what would change; write nothing")
    .option("--timeout <seconds>", "treat the source as hung after this many seconds without progress (default: the policy's runtime.sourceTimeoutSeconds, else 15)")
    .option("--keep <n>", "previous generations to keep (default: the policy's runtime.keep, else 5)")
    .option(
      "--print-systemd-unit [unit]",
      "print a systemd unit (writes nothing): gatewayctl.service (default) runs sync, then start, at boot; gatewayctl-report.timer and gatewayctl-report.service run `report --check` every hour",
    )
    .option("--user <name>", "with --print-systemd-unit: the non-root user the units run as (default: you; under sudo, the sudo user; as root, gatewayctl)")
    .option("--json", "print one JSON object")
    .action(async (raw: Record<string, unknown>, cmd: Command) => {
      const { stdout, stderr, printJson } = await import("../lib/output.js");
      const flags = {
        policy: await text(raw, "policy"),
        from: await optionalText(raw, "from"),
        to: await optionalText(raw, "to"),
        dryRun: raw.dryRun === true,
        timeout: await optionalNumber(raw, "timeout", { min: 0.1, max: 3600 }),
        keep: await optionalNumber(raw, "keep", { min: 1, max: 100, integer: true }),
        printSystemdUnit: raw.printSystemdUnit !== undefined && raw.printSystemdUnit !== false,
        user: await optionalText(raw, "user"),
        json: raw.json === true,
      };
      const policyGiven = cmd.getOptionValueSource("policy") === "cli";
      if (flags.printSystemdUnit) {
        const { renderSystemdUnit, SYSTEMD_UNITS } = await import("../runtime/sync-systemd.js");
        const name = raw.printSystemdUnit === true ? SYSTEMD_UNITS[0] : String(raw.printSystemdUnit);
        const known = SYSTEMD_UNITS.find((u) => u === name);
        if (!known) {
          const { InputError } = await import("../lib/errors.js");
          throw new InputError(`--print-systemd-unit ${name}: no such unit`, { code: "INVALID_FLAGS", hint: `one of ${SYSTEMD_UNITS.join(", ")}` });
        }
        const unit = await renderSystemdUnit({ policyFile: flags.policy, ...(flags.user ? { user: flags.user } : {}) }, known);
        if (flags.json) printJson({ unit });
        else stdout(unit);
        return;
      }
      const target = await resolveSyncTarget({ policy: flags.policy, policyGiven, ...(flags.from ? { from: flags.from } : {}), ...(flags.to ? { to: flags.to } : {}) });
      if (!target.from) {
        const { InputError } = await import("../lib/errors.js");
        throw new InputError("no source: pass --from DIR (or a policy with runtime.source)", { code: "SYNC_NO_SOURCE", hint: "gatewayctl sync --from DIR --to DIR" });
      }
      const { syncRuntime } = await import("../runtime/sync.js");
      const report = await syncRuntime({
        from: target.from,
        to: target.to,
        ...(target.policy ? { policy: target.policy } : {}),
        ...(flags.dryRun ? { dryRun: true } : {}),
        ...(flags.keep ?? target.keep ? { keep: flags.keep ?? target.keep } : {}),
        ...(flags.timeout ? { timeoutMs: flags.timeout * 1000 } : target.timeoutMs ? { timeoutMs: target.timeoutMs } : {}),
        onProgress: (l) => stderr(l),
      });
      if (flags.json) {
        printJson(report);
        return;
      }
      stdout(report.summary);
      const list = (sign: string, xs: string[]): void => {
        const shown = xs.slice(0, 50);
        for (const x of shown) stdout(`  ${sign} ${x}`);
        if (xs.length > shown.length) stdout(`  ${sign} … and ${xs.length - shown.length} more`);
      };
      list("+", report.added);
      list("~", report.changed);
      list("-", report.removed);
      if (report.pruned?.length) stderr(`removed old generation${report.pruned.length === 1 ? "" : "s"} ${report.pruned.join(", ")} (runtime.keep)`);
    });
}

export function registerRollback(program: Command): void {
  program
    .command("rollback")
    .description("switch the runtime directory back to the previous (or a given) generation, atomically")
    .option("--policy <file>", "policy file (optional when --dir is given)", "gateway.policy.yaml")
    .option("--to <generation>", "generation number to switch to (default: the one before the current)")
    .option("--dir <dir>", "runtime directory (default: the policy's runtime.dir)")
    .option("--json", "print one JSON object")
    .action(async (raw: Record<string, unknown>, cmd: Command) => {
      const { stdout, printJson, stderr } = await import("../lib/output.js");
      const flags = {
        policy: await text(raw, "policy"),
        to: await optionalNumber(raw, "to", { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true }),
        dir: await optionalText(raw, "dir"),
        json: raw.json === true,
      };
      const policyGiven = cmd.getOptionValueSource("policy") === "cli";
      const target = await resolveSyncTarget({ policy: flags.policy, policyGiven, ...(flags.dir ? { to: flags.dir } : {}) });
      const { rollbackRuntime } = await import("../runtime/sync.js");
      const report = await rollbackRuntime({ dir: target.to, ...(flags.to !== undefined ? { to: flags.to } : {}), onProgress: (l) => stderr(l) });
      if (flags.json) printJson(report);
      else stdout(report.summary);
    });
}
