import type { RuntimeKind } from "../artifact/types.js";
import type { Command } from "commander";
import type { RuntimeTarget } from "../runtime/start-gateway.js";

/** The options every command that acts on a running gateway shares: which policy, which runtime, which dir. */
export function withRuntimeTargetOptions(command: Command): Command {
  return command
    .option("--policy <file>", "policy file", "gateway.policy.yaml")
    .option("--runtime <kind>", "docker or process (default: the policy's gateway.runtime)")
    .option("--dir <dir>", "runtime directory (default: the policy's runtime.dir)");
}

/**
 * Validates the shared options (plus the command's own, given as zod shape entries by `extend`), loads the
 * policy and resolves the runtime it names. Heavy modules load here, inside the action, never at start-up.
 */
export async function runtimeTargetFromFlags<T extends Record<string, unknown>>(
  raw: Record<string, unknown>,
  extend: (z: typeof import("zod").z) => { [K in keyof T]: import("zod").ZodType<T[K]> },
  onProgress?: (line: string) => void,
): Promise<{ flags: T & { policy: string; runtime?: RuntimeKind; dir?: string }; target: RuntimeTarget }> {
  const { z } = await import("zod");
  const { RUNTIME_KINDS } = await import("../artifact/types.js");
  const { parseFlags } = await import("./flags.js");
  const { resolveRuntimeTarget } = await import("../runtime/start-gateway.js");
  const flags = parseFlags(
    z.object({
      policy: z.string().min(1),
      runtime: z.enum(RUNTIME_KINDS).optional(),
      dir: z.string().min(1).optional(),
      ...extend(z),
    }),
    raw,
  ) as T & { policy: string; runtime?: RuntimeKind; dir?: string };
  const target = await resolveRuntimeTarget({
    policyFile: flags.policy,
    ...(flags.runtime ? { runtime: flags.runtime } : {}),
    ...(flags.dir ? { dir: flags.dir } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  return { flags, target };
}
