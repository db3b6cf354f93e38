/**
 * One error type for everything gatewayctl reports to a person. Library code throws; only src/cli.ts exits.
 * Exit codes: 0 ok, 1 a check or operation failed, 2 invalid input.
 */
export type ExitCode = 0 | 1 | 2;

export interface Diagnostic {
  /** file path as the user gave it, when the problem has a place */
  file?: string;
  line?: number;
  column?: number;
  /** dotted path inside the document, for example `routes.secure-core.fallbacks[0]` */
  path?: string;
  message: string;
  hint?: string;
  severity: "error" | "warning";
}

export interface GatewayctlErrorOptions {
  code: string;
  hint?: string;
  cause?: unknown;
  exitCode?: ExitCode;
  diagnostics?: Diagnostic[];
}

export class GatewayctlError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;
  readonly diagnostics: Diagnostic[];

  constructor(message: string, options: GatewayctlErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GatewayctlError";
    this.code = options.code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
    this.diagnostics = options.diagnostics ?? [];
  }
}

/** Bad input from the user (policy, flags, config to audit): exit code 2. */
export class InputError extends GatewayctlError {
  constructor(message: string, options: Omit<GatewayctlErrorOptions, "exitCode">) {
    super(message, { ...options, exitCode: 2 });
    this.name = "InputError";
  }
}

/** The policy file has one or more problems; every one of them is in `diagnostics`. */
export class PolicyError extends InputError {
  constructor(file: string, diagnostics: Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === "error").length;
    super(`${file}: ${errors} problem${errors === 1 ? "" : "s"} in the policy`, {
      code: "POLICY_INVALID",
      diagnostics,
      hint: "fix every problem listed above, then run the command again; nothing was written",
    });
    this.name = "PolicyError";
  }
}

/** An operation against the outside world failed (Docker, LiteLLM, a NAS, HTTP): exit code 1. */
export class OperationError extends GatewayctlError {
  constructor(message: string, options: Omit<GatewayctlErrorOptions, "exitCode">) {
    super(message, { ...options, exitCode: 1 });
    this.name = "OperationError";
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file
    ? `${d.file}${d.line !== undefined ? `:${d.line}:${d.column ?? 1}` : ""}: `
    : "";
  const sev = d.severity === "warning" ? "warning: " : "";
  return `${where}${sev}${d.message}${d.hint ? `\n  hint: ${d.hint}` : ""}`;
}
