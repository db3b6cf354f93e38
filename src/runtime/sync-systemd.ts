/**
 * The systemd units gatewayctl prints: the service that runs `gatewayctl sync` (allowed to fail) and then
 * `gatewayctl start` at boot (templates/gatewayctl.service), and the timer and service that judge the alert rules
 * every hour with `gatewayctl report --check` (templates/gatewayctl-report.{timer,service}).
 */
import type { RuntimeKind } from "../artifact/types.js";
import { readFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { InputError } from "../lib/errors.js";
import { dirname, resolve } from "node:path";
import { packageRoot } from "../lib/package-root.js";

/** One argument quoted for systemd's command-line parser; `%` is a specifier there and must be doubled. */
export function systemdQuote(arg: string): string {
  const escaped = arg.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%");
  return /[\s"'\\;$]/.test(arg) || arg === "" ? `"${escaped}"` : escaped;
}

export interface SystemdUnitOptions {
  policyFile: string;
  /** runtime from the policy: docker adds After=/Wants=docker.service; default docker */
  runtime?: RuntimeKind;
  /** the node binary and CLI script; default this process's node and this package's dist/cli.js */
  node?: string;
  cli?: string;
  /** DOCKER_HOST to pin in the unit; default the current environment's when set */
  dockerHost?: string;
  /** TimeoutStartSec: sync timeout + start timeout, default 300 */
  timeoutSeconds?: number;
  /** the unit's User=; default unitUser() */
  user?: string;
}

/** The system user the unit runs as when it is printed by root without sudo: created by the operator. */
export const DEFAULT_UNIT_USER = "gatewayctl";

/**
 * Who the boot unit runs as: the user printing it (the one who owns the policy and the runtime directory); under
 * sudo, the user who ran sudo; as plain root, the system user DEFAULT_UNIT_USER. Never root.
 */
export function unitUser(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0, name = userInfo().username): string {
  if (uid !== 0) return name;
  const sudoUser = env.SUDO_USER;
  return sudoUser && sudoUser !== "root" ? sudoUser : DEFAULT_UNIT_USER;
}

/** The units `sync --print-systemd-unit [UNIT]` prints, by file name; the first is the default. */
export const SYSTEMD_UNITS = ["gatewayctl.service", "gatewayctl-report.service", "gatewayctl-report.timer"] as const;
export type SystemdUnitName = (typeof SYSTEMD_UNITS)[number];
/** The window the hourly report judges (the timer runs every hour). */
export const REPORT_TIMER_SINCE = "1h";

export async function renderSystemdUnit(opts: SystemdUnitOptions, unit: SystemdUnitName = "gatewayctl.service"): Promise<string> {
  const root = packageRoot();
  const template = await readFile(resolve(root, "templates", unit), "utf8");
  const policy = resolve(opts.policyFile);
  let runtime = opts.runtime;
  if (!runtime) {
    try {
      const { loadPolicy } = await import("../policy/load-policy.js");
      runtime = (await loadPolicy(policy)).policy.gateway.runtime;
    } catch {
      runtime = "docker";
    }
  }
  const node = opts.node ?? process.execPath;
  const cli = opts.cli ?? resolve(root, "dist", "cli.js");
  const dockerHost = opts.dockerHost ?? process.env.DOCKER_HOST;
  const env = runtime === "docker" && dockerHost ? `Environment=${systemdQuote(`DOCKER_HOST=${dockerHost}`)}\n` : "";
  const user = opts.user ?? unitUser();
  if (user === "root" || user === "0") {
    throw new InputError("refusing to write a boot unit that runs as root", {
      code: "UNIT_USER_ROOT",
      hint: `pass --user NAME (the user who owns the policy and the runtime directory), or create the system user: useradd --system --create-home --home-dir /var/lib/${DEFAULT_UNIT_USER} ${DEFAULT_UNIT_USER}`,
    });
  }
  if (!/^[a-z_][a-z0-9_-]{0,31}$/i.test(user)) {
    throw new InputError(`"${user}" is not a user name systemd accepts`, { code: "UNIT_USER_INVALID", hint: "pass --user NAME with a plain login name" });
  }
  const values: Record<string, string> = {
    POLICY: policy.replace(/%/g, "%%"),
    POLICY_ARG: systemdQuote(policy),
    WORKDIR: dirname(policy).replace(/%/g, "%%"),
    GATEWAYCTL: `${systemdQuote(node)} ${systemdQuote(cli)}`,
    WANTS: runtime === "docker" ? " docker.service" : "",
    AFTER: runtime === "docker" ? " docker.service" : "",
    ENVIRONMENT: env,
    TIMEOUT: String(opts.timeoutSeconds ?? 300),
    USER: user,
    USER_NOTE:
      user === DEFAULT_UNIT_USER
        ? `# Create the user first: useradd --system --create-home --home-dir /var/lib/${DEFAULT_UNIT_USER} ${DEFAULT_UNIT_USER}\n`
        : "",
    // the Docker socket's group; membership in it is as powerful as root, which is why the gateway user is its own
    GROUPS: runtime === "docker" ? "SupplementaryGroups=docker\n" : "",
    SINCE: REPORT_TIMER_SINCE,
  };
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (m, key: string) => values[key] ?? m);
}
