/**
 * Resolves the secrets a gateway needs at start time from the policy's provider: `env` (the process environment),
 * `env-file` (a dotenv file readable only by its owner) or `command` (a template run without a shell).
 * Values are returned to be passed as environment only; every one is registered for redaction at once.
 * No message ever contains a value.
 */
import { stat } from "node:fs/promises";
import type { Policy } from "../policy/schema.js";
import { InputError, OperationError } from "../lib/errors.js";
import { INPUT_LIMITS, readTextWithin } from "../lib/read-limited.js";
import { registerSecrets } from "../lib/output.js";
import { expandPath } from "./paths.js";

export interface ResolveSecretsOptions {
  /** directory of the policy file: a relative env-file path resolves against it */
  policyDir: string;
  /** environment for the `env` provider and for commands; default process.env */
  env?: NodeJS.ProcessEnv;
  /** return what could be resolved instead of throwing on missing secrets (used to redact `logs`/`status`) */
  allowMissing?: boolean;
}

/**
 * Parse a dotenv text: `KEY=VALUE` lines, optional `export `, `#` comments (whole line, or after whitespace in an
 * unquoted value), single quotes (literal) and double quotes (with \n, \t, \", \\ escapes, may span lines).
 */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const src = text.replace(/\r\n?/g, "\n");
  let i = 0;
  const n = src.length;
  while (i < n) {
    // start of a line
    let lineEnd = src.indexOf("\n", i);
    if (lineEnd === -1) lineEnd = n;
    const line = src.slice(i, lineEnd);
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*/.exec(line);
    if (!m) {
      i = lineEnd + 1;
      continue;
    }
    const key = m[1] as string;
    let j = i + m[0].length;
    const q = src[j];
    if (q === '"' || q === "'") {
      let value = "";
      j++;
      let closed = false;
      while (j < n) {
        const c = src[j] as string;
        if (c === q) {
          closed = true;
          j++;
          break;
        }
        if (q === '"' && c === "\\" && j + 1 < n) {
          const e = src[j + 1] as string;
          value += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e;
          j += 2;
          continue;
        }
        value += c;
        j++;
      }
      if (!closed) {
        // an unterminated quote: take the rest of the line literally
        value = line.slice(m[0].length);
        j = lineEnd;
      }
      out[key] = value;
      let next = src.indexOf("\n", j);
      if (next === -1) next = n;
      i = next + 1;
      continue;
    }
    let value = line.slice(m[0].length);
    const hash = value.search(/\s#/);
    if (hash !== -1) value = value.slice(0, hash);
    else if (value.startsWith("#")) value = "";
    out[key] = value.trim();
    i = lineEnd + 1;
  }
  return out;
}

/** Split a command template into argv like a shell would split words, without running a shell. */
export function splitCommand(template: string): string[] {
  const args: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let k = 0; k < template.length; k++) {
    const c = template[k] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && (template[k + 1] === '"' || template[k + 1] === "\\")) cur += template[++k];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) args.push(cur);
      cur = "";
      inWord = false;
    } else if (c === "\\" && k + 1 < template.length) {
      cur += template[++k];
      inWord = true;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new InputError(`secrets.command has an unclosed ${quote} quote: ${template}`, { code: "SECRETS_COMMAND_INVALID", hint: "close the quote in secrets.command" });
  if (inWord) args.push(cur);
  return args;
}

function plural(names: string[]): string {
  return names.length === 1 ? "secret" : "secrets";
}

function missingError(names: string[], provider: string, where: string, hint: string): OperationError {
  return new OperationError(`missing ${plural(names)} ${names.join(", ")} (secrets provider ${provider}: ${where})`, {
    code: "SECRET_MISSING",
    hint: `${hint}; the gateway was not started (LiteLLM would turn a missing secret into an empty value)`,
  });
}

async function readEnvFile(policy: Policy, policyDir: string): Promise<{ file: string; values: Record<string, string> }> {
  if (!policy.secrets.file) {
    throw new InputError("secrets.provider is env-file but secrets.file is not set", {
      code: "SECRETS_FILE_UNSET",
      hint: "set secrets.file in the policy to a dotenv file with mode 0600, for example ~/.config/gatewayctl/secrets.env",
    });
  }
  const file = expandPath(policy.secrets.file, policyDir);
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    throw new OperationError(`secrets file ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? "error"}`, {
      code: "SECRETS_FILE_MISSING",
      hint: `create it with one NAME=value line per secret, then run chmod 600 ${file}`,
    });
  }
  if (!info.isFile()) {
    throw new OperationError(`secrets file ${file} is not a regular file`, { code: "SECRETS_FILE_INVALID", hint: "point secrets.file at a dotenv file" });
  }
  if ((info.mode & 0o077) !== 0) {
    throw new OperationError(
      `refusing secrets file ${file}: it is readable or writable by group or others (mode ${(info.mode & 0o777).toString(8).padStart(4, "0")})`,
      { code: "SECRETS_FILE_PERMISSIONS", hint: `chmod 600 ${file}` },
    );
  }
  const values = parseDotenv(await readTextWithin(file, INPUT_LIMITS.secrets, "secrets file"));
  return { file, values };
}

/** SIGKILL `pid` and every descendant (found through /proc on Linux). */
async function killTree(pid: number): Promise<void> {
  const pids = [pid];
  try {
    const { readdir, readFile } = await import("node:fs/promises");
    const parents = new Map<number, number[]>();
    for (const entry of await readdir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = await readFile(`/proc/${entry}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        const list = parents.get(ppid) ?? [];
        list.push(Number(entry));
        parents.set(ppid, list);
      } catch {
        // the process ended meanwhile
      }
    }
    for (let k = 0; k < pids.length; k++) pids.push(...(parents.get(pids[k] as number) ?? []));
  } catch {
    // no /proc: the direct child only
  }
  for (const p of pids.reverse()) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

interface CommandFailure {
  name: string;
  reason: string;
}

async function runSecretCommand(
  argv: string[],
  name: string,
  timeoutSeconds: number,
  env: NodeJS.ProcessEnv,
): Promise<{ value?: string; failure?: CommandFailure }> {
  const { execa } = await import("execa");
  const args = argv.map((a) => a.split("{name}").join(name));
  const [file, ...rest] = args as [string, ...string[]];
  const sub = execa(file, rest, {
    reject: false,
    env,
    extendEnv: false,
    stdin: "ignore",
    stripFinalNewline: false,
  });
  // execa's own timeout kills only the direct child; a grandchild holding stdout open would keep us waiting
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (sub.pid !== undefined) void killTree(sub.pid);
  }, timeoutSeconds * 1000);
  const r = await sub;
  clearTimeout(timer);
  if (timedOut) return { failure: { name, reason: `\`${file}\` timed out after ${timeoutSeconds}s` } };
  const code = (r as { code?: string }).code;
  if (r.exitCode === undefined && code) return { failure: { name, reason: `\`${file}\` could not run (${code})` } };
  if (r.exitCode !== 0) {
    const how = r.exitCode === undefined ? `was killed (${r.signal ?? "signal"})` : `exited with code ${r.exitCode}`;
    return { failure: { name, reason: `\`${file}\` ${how}` } };
  }
  const first = String(r.stdout ?? "").split(/\r?\n/, 1)[0]?.trim() ?? "";
  return first ? { value: first } : { failure: { name, reason: `\`${file}\` printed nothing` } };
}

/**
 * Resolve `names` with the policy's secrets provider. Throws OperationError naming every missing secret (never a
 * value); registers every resolved value with registerSecrets so all output redacts it.
 */
export async function resolveSecrets(policy: Policy, names: string[], options: ResolveSecretsOptions): Promise<Record<string, string>> {
  const wanted = [...new Set(names)].sort();
  const env = options.env ?? process.env;
  const provider = policy.secrets.provider;
  const resolved: Record<string, string> = {};

  if (provider === "env") {
    for (const name of wanted) {
      const v = env[name];
      if (v !== undefined && v !== "") resolved[name] = v;
    }
    registerSecrets(Object.values(resolved));
    const missing = wanted.filter((n) => !(n in resolved));
    if (missing.length && !options.allowMissing) {
      throw missingError(missing, "env", "the environment of gatewayctl", `export ${missing.map((m) => `${m}=...`).join(" ")} before running gatewayctl, or choose another secrets.provider`);
    }
    return resolved;
  }

  if (provider === "env-file") {
    let file: string;
    let values: Record<string, string>;
    try {
      ({ file, values } = await readEnvFile(policy, options.policyDir));
    } catch (err) {
      if (options.allowMissing) return resolved;
      throw err;
    }
    // every value in the file is secret, even ones this start does not need
    registerSecrets(Object.values(values));
    for (const name of wanted) {
      const v = values[name];
      if (v !== undefined && v !== "") resolved[name] = v;
    }
    const missing = wanted.filter((n) => !(n in resolved));
    if (missing.length && !options.allowMissing) {
      throw missingError(missing, "env-file", file, `add ${missing.map((m) => `${m}=...`).join(", ")} to ${file} (keep it chmod 600)`);
    }
    return resolved;
  }

  // command
  if (!policy.secrets.command) {
    throw new InputError("secrets.provider is command but secrets.command is not set", {
      code: "SECRETS_COMMAND_UNSET",
      hint: "set secrets.command to a template such as `pass show gateway/{name}`",
    });
  }
  const argv = splitCommand(policy.secrets.command);
  if (argv.length === 0) {
    throw new InputError("secrets.command is empty", { code: "SECRETS_COMMAND_UNSET", hint: "set secrets.command to a template such as `pass show gateway/{name}`" });
  }
  const failures: CommandFailure[] = [];
  for (const name of wanted) {
    const r = await runSecretCommand(argv, name, policy.secrets.timeoutSeconds, env);
    if (r.value !== undefined) {
      resolved[name] = r.value;
      registerSecrets([r.value]);
    } else if (r.failure) failures.push(r.failure);
  }
  if (failures.length && !options.allowMissing) {
    const names = failures.map((f) => f.name);
    throw new OperationError(
      `missing ${plural(names)} ${names.join(", ")} (secrets provider command: ${failures.map((f) => `${f.name}: ${f.reason}`).join("; ")})`,
      {
        code: "SECRET_MISSING",
        hint: `check that \`${argv.join(" ")}\` prints each secret on its first line (with {name} replaced by the secret name); the gateway was not started`,
      },
    );
  }
  return resolved;
}
