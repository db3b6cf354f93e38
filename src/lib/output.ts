/**
 * Everything gatewayctl prints goes through here, so secret values are redacted from every output.
 * Results go to stdout, diagnostics and progress to stderr.
 */
const secretValues = new Set<string>();

/** Register values that must never be printed (resolved secrets). Values shorter than 4 characters are ignored. */
export function registerSecrets(values: Iterable<string>): void {
  for (const v of values) if (v && v.length >= 4) secretValues.add(v);
}

export function redact(text: string): string {
  let out = text;
  for (const v of secretValues) if (out.includes(v)) out = out.split(v).join("***");
  return out;
}

export function stdout(text: string): void {
  process.stdout.write(redact(text.endsWith("\n") ? text : `${text}\n`));
}

export function stderr(text: string): void {
  process.stderr.write(redact(text.endsWith("\n") ? text : `${text}\n`));
}

export function printJson(value: unknown): void {
  stdout(JSON.stringify(value, null, 2));
}
