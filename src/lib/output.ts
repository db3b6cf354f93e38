/**
 * Everything gatewayctl prints goes through here, so secret values are redacted from every output.
 * Results go to stdout, diagnostics and progress to stderr.
 */
const secretValues = new Set<string>();

/** Register values that must never be printed (resolved secrets). Values shorter than 4 characters are ignored. */
export function registerSecrets(values: Iterable<string>): void {
  for (const v of values) if (v && v.length >= 4) secretValues.add(v);
}

/**
 * Terminal control characters (escape sequences can rewrite the screen or the window title) shown as `\xNN`; line
 * breaks and tabs stay. Everything gatewayctl prints passes through here: policy keys, config values and logs may
 * come from anyone.
 */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

export function redact(text: string): string {
  let out = text;
  for (const v of secretValues) if (out.includes(v)) out = out.split(v).join("***");
  return out;
}

export function stdout(text: string): void {
  process.stdout.write(escapeControl(redact(text.endsWith("\n") ? text : `${text}\n`)));
}

export function stderr(text: string): void {
  process.stderr.write(escapeControl(redact(text.endsWith("\n") ? text : `${text}\n`)));
}

export function printJson(value: unknown): void {
  stdout(JSON.stringify(value, null, 2));
}
