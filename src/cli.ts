#!/usr/bin/env node
/**
 * Program wiring and the only place that exits. Commands register themselves cheaply; each loads its heavy
 * modules (dockerode, prompts, the compiler) lazily inside its action so `gatewayctl build` starts fast.
 */
import { Command, CommanderError } from "commander";
import { GatewayctlError, formatDiagnostic } from "./lib/errors.js";
import { escapeControl, redact } from "./lib/output.js";
import { registerInit } from "./commands/init.js";
import { registerBuild } from "./commands/build.js";
import { registerAudit } from "./commands/audit.js";
import { registerSync, registerRollback } from "./commands/sync.js";
import { registerStart } from "./commands/start.js";
import { registerStop } from "./commands/stop.js";
import { registerStatus } from "./commands/status.js";
import { registerLogs } from "./commands/logs.js";
import { registerTestRoutes } from "./commands/test-routes.js";
import { registerClients } from "./commands/clients.js";
import { registerReport } from "./commands/report.js";
import { registerK8s } from "./commands/k8s.js";
import { GATEWAYCTL_VERSION } from "./lib/version.js";

function write(stream: NodeJS.WriteStream, text: string): void {
  stream.write(escapeControl(redact(text.endsWith("\n") ? text : `${text}\n`)));
}

export function buildProgram(): Command {
  const program = new Command("gatewayctl")
    .description("Make a LiteLLM gateway safe and boring to run")
    .version(GATEWAYCTL_VERSION)
    .option("--debug", "print stack traces for errors")
    .showHelpAfterError("(run gatewayctl --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => write(process.stdout, s),
      writeErr: (s) => write(process.stderr, s),
    });
  registerInit(program);
  registerBuild(program);
  registerAudit(program);
  registerSync(program);
  registerRollback(program);
  registerStart(program);
  registerStop(program);
  registerStatus(program);
  registerLogs(program);
  registerTestRoutes(program);
  registerClients(program);
  registerReport(program);
  registerK8s(program);
  return program;
}

/** A reader that closed the pipe early (`gatewayctl audit ... | head`) is not an error: stop quietly. */
function exitQuietlyOnBrokenPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

async function main(argv: string[]): Promise<number> {
  exitQuietlyOnBrokenPipe(process.stdout);
  exitQuietlyOnBrokenPipe(process.stderr);
  const program = buildProgram();
  const debug = argv.includes("--debug");
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; usage errors are bad input
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof GatewayctlError) {
      for (const d of err.diagnostics) write(process.stderr, formatDiagnostic(d));
      write(process.stderr, `error: ${err.message}`);
      if (err.hint) write(process.stderr, `hint: ${err.hint}`);
      if (debug) {
        write(process.stderr, err.stack ?? "");
        if (err.cause) write(process.stderr, `cause: ${String((err.cause as Error).stack ?? err.cause)}`);
      } else if (err.cause instanceof Error) {
        write(process.stderr, `cause: ${err.cause.message}`);
      }
      return err.exitCode;
    }
    write(process.stderr, `error: unexpected failure: ${(err as Error)?.message ?? String(err)}`);
    write(process.stderr, debug ? String((err as Error)?.stack) : "hint: run again with --debug for a stack trace, and report it");
    return 1;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
