import { copyFile } from "node:fs/promises";
import JSON5 from "json5";
import { InputError, OperationError } from "../lib/errors.js";
import { INPUT_LIMITS, readTextWithin } from "../lib/read-limited.js";
import { mergeOpenClawConfig } from "./openclaw-merge.js";
import type { OpenClawSettings } from "./openclaw.js";
import { writeFileAtomic } from "./write-file.js";

/** Merges gatewayctl's settings into an OpenClaw config file on disk (JSON5 in, JSON5 out). */
export interface OpenClawFileMerge {
  file: string;
  out: string;
  created: boolean;
  backup?: string;
  changes: string[];
  warnings: string[];
  content: string;
}

export const MERGE_HEADER = [
  "// Merged by gatewayctl (models.providers.litellm, agents.defaults.model, agents.entries.private).",
  "// Comments of the previous file are not kept: JSON5 parsing drops them. A copy of it is in <file>.gatewayctl.bak.",
].join("\n");

export async function mergeOpenClawFile(options: {
  file: string;
  out?: string;
  settings: OpenClawSettings;
  dryRun?: boolean;
}): Promise<OpenClawFileMerge> {
  const { file, settings } = options;
  const out = options.out ?? file;
  let text: string | undefined;
  try {
    text = await readTextWithin(file, INPUT_LIMITS.clientFile, "client config file");
  } catch (err) {
    if (err instanceof InputError) throw err;
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new OperationError(`cannot read ${file}`, { code: "OPENCLAW_READ", cause: err, hint: "check the path and its permissions" });
    }
  }
  let existing: Record<string, unknown> = {};
  if (text !== undefined && text.trim() !== "") {
    let parsed: unknown;
    try {
      parsed = JSON5.parse(text);
    } catch (err) {
      const e = err as { lineNumber?: number; columnNumber?: number; message: string };
      throw new InputError(`${file}${e.lineNumber ? `:${e.lineNumber}:${e.columnNumber ?? 1}` : ""}: not valid JSON5: ${e.message}`, {
        code: "OPENCLAW_PARSE",
        hint: "fix the file (openclaw config validate shows where), then run the command again; nothing was written",
      });
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new InputError(`${file}: an OpenClaw config is a JSON5 object`, {
        code: "OPENCLAW_PARSE",
        hint: "nothing was written",
      });
    }
    existing = parsed as Record<string, unknown>;
  }
  const merged = mergeOpenClawConfig(existing, settings);
  const content = `${MERGE_HEADER}\n${JSON5.stringify(merged.config, { space: 2, quote: '"' })}\n`;
  const result: OpenClawFileMerge = {
    file,
    out,
    created: text === undefined,
    changes: merged.changes,
    warnings: merged.warnings,
    content,
  };
  if (options.dryRun) return result;
  if (text !== undefined && out === file) {
    result.backup = `${file}.gatewayctl.bak`;
    await copyFile(file, result.backup);
  }
  // openclaw.json can hold channel tokens: a new file is readable only by its owner
  await writeFileAtomic(out, content, 0o600);
  return result;
}
