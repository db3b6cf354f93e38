import type { z } from "zod";
import { InputError } from "../lib/errors.js";

/** Validate a command's flags with its zod schema; a bad flag is invalid input (exit 2) naming the flag. */
export function parseFlags<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.length ? `--${String(i.path.join(".")).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ` : ""}${i.message}`);
  throw new InputError(`invalid option${problems.length === 1 ? "" : "s"}: ${problems.join("; ")}`, {
    code: "INVALID_FLAGS",
    hint: "run the command with --help for its options",
  });
}
