import { chmod, copyFile, constants, stat } from "node:fs/promises";
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
  /** the backup made by this run (none when the file was created, written elsewhere with --out, or unchanged) */
  backup?: string;
  /** the user's file as it was before gatewayctl's first merge, when it is kept */
  original?: string;
  /** the merge changed nothing: the file was left as it was */
  unchanged: boolean;
  changes: string[];
  warnings: string[];
  content: string;
}

/** Suffix of the user's first original, kept once and never overwritten. */
export const ORIGINAL_SUFFIX = ".gatewayctl.orig";
/** Later backups are numbered: `<file>.gatewayctl.bak.1`, `.2`, ... */
export const BACKUP_SUFFIX = ".gatewayctl.bak";

/** The header of a merged file; it names the first original only when one is kept. */
export function mergeHeader(original?: string): string {
  return [
    "// Merged by gatewayctl (models.providers.litellm, agents.defaults.model, agents.entries.private).",
    "// Comments of the previous file are not kept: JSON5 parsing drops them.",
    ...(original ? [`// The file as it was before gatewayctl's first merge: ${original}`] : []),
  ].join("\n");
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** The first free numbered backup name. */
async function nextBackup(file: string): Promise<string> {
  for (let n = 1; ; n++) {
    const candidate = `${file}${BACKUP_SUFFIX}.${n}`;
    if (!(await exists(candidate))) return candidate;
  }
}

/** Copies without ever replacing an existing file; the copy is readable only by its owner (channel tokens). */
async function keepCopy(from: string, to: string): Promise<void> {
  await copyFile(from, to, constants.COPYFILE_EXCL);
  await chmod(to, 0o600);
}

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
  const inPlace = text !== undefined && out === file;
  const originalPath = `${file}${ORIGINAL_SUFFIX}`;
  const originalKept = inPlace && (await exists(originalPath));
  // the first merge in place keeps the user's file as the original; later ones get numbered backups
  const original = inPlace ? originalPath : undefined;
  const content = `${mergeHeader(original)}\n${JSON5.stringify(merged.config, { space: 2, quote: '"' })}\n`;
  const current = out === file ? text : await readTextWithin(out, INPUT_LIMITS.clientFile, "client config file").catch(() => undefined);
  const result: OpenClawFileMerge = {
    file,
    out,
    created: text === undefined,
    changes: merged.changes,
    warnings: merged.warnings,
    content,
    unchanged: current === content,
    ...(original ? { original } : {}),
  };
  if (options.dryRun || result.unchanged) return result;
  if (inPlace) {
    result.backup = originalKept ? await nextBackup(file) : originalPath;
    await keepCopy(file, result.backup);
  }
  // openclaw.json can hold channel tokens: a new file is readable only by its owner
  await writeFileAtomic(out, content, 0o600);
  return result;
}
