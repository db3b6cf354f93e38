/**
 * Detection of credential literals in policy text. The policy may name secrets (`{ secret: NAME }`) but never
 * hold their values. Findings carry where and what kind, never the value. Pure.
 */

export interface CredentialMatch {
  /** offsets into the scanned text, end exclusive */
  start: number;
  end: number;
  /** what it looks like, for messages: "an OpenAI API key" */
  kind: string;
}

interface Pattern {
  kind: string;
  regex: RegExp;
  /** extra check on the matched text (or on capture group 1 when present) */
  accept?: (candidate: string) => boolean;
}

const hasDigitAndLetter = (s: string): boolean => /\d/.test(s) && /[A-Za-z]/.test(s);

/** Most specific first: when two patterns overlap, the earlier one names the finding. */
const PATTERNS: readonly Pattern[] = [
  { kind: "a private key", regex: /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----/g },
  { kind: "an Anthropic API key", regex: /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,}/g },
  { kind: "an OpenRouter API key", regex: /(?<![A-Za-z0-9_-])sk-or-[A-Za-z0-9_-]{20,}/g },
  { kind: "an OpenAI project API key", regex: /(?<![A-Za-z0-9_-])sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}/g },
  { kind: "an OpenAI API key", regex: /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}/g, accept: hasDigitAndLetter },
  { kind: "an AWS access key id", regex: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g },
  { kind: "a GitHub token", regex: /(?<![A-Za-z0-9_])(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}/g },
  { kind: "a GitHub fine-grained token", regex: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{20,}/g },
  { kind: "a Slack token", regex: /(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}/g, accept: hasDigitAndLetter },
  { kind: "a Google API key", regex: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}/g },
  { kind: "a JSON Web Token", regex: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { kind: "a bearer token", regex: /\bBearer[ \t]+([A-Za-z0-9._~+/=-]{8,})/gi, accept: hasDigitAndLetter },
  { kind: "a URL with a password in it", regex: /\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@:'"]*:[^\s/?#@'"]+@/g },
  {
    kind: "a URL with a token as user name",
    regex: /\b[A-Za-z][A-Za-z0-9+.-]*:\/\/([^\s/?#@:'"]{20,})@/g,
    accept: (user) => hasDigitAndLetter(user) && shannonEntropy(user) >= 3,
  },
  {
    kind: "a URL query parameter carrying a credential",
    regex: /[?&](?:api[_-]?key|key|token|access[_-]?token|auth|secret|password)=([^&\s#'"]{8,})/gi,
  },
];

/** Every credential-looking substring of `text`, in order, without overlaps. */
export function findCredentials(text: string): CredentialMatch[] {
  const found: CredentialMatch[] = [];
  for (const p of PATTERNS) {
    p.regex.lastIndex = 0;
    for (const m of text.matchAll(p.regex)) {
      const candidate = m[1] ?? m[0];
      if (p.accept && !p.accept(candidate)) continue;
      const start = m.index ?? 0;
      const end = start + m[0].length;
      if (found.some((f) => start < f.end && f.start < end)) continue;
      found.push({ start, end, kind: p.kind });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const KEY_LIKE = /key|token|secret|passw|pwd|auth|credential|bearer|cookie|session/i;

/** Field names that hold credentials in other tools' configs: apiKey, token, secret, password, auth... */
export function isKeyLikeField(name: string): boolean {
  return KEY_LIKE.test(name);
}

export const MIN_SECRET_LENGTH = 20;
export const MIN_SECRET_ENTROPY = 3;

/** A long, high-entropy string: what a secret value looks like when it sits under a key-like field. */
export function looksLikeSecretValue(value: string): boolean {
  const v = value.trim();
  return v.length >= MIN_SECRET_LENGTH && shannonEntropy(v) >= MIN_SECRET_ENTROPY;
}

export const REDACTED = "[redacted]";

/** `text` with every credential-looking substring, and every one of `values`, replaced by [redacted]. */
export function redactCredentials(text: string, values: Iterable<string> = []): string {
  let out = text;
  for (const v of values) if (v.length >= 4 && out.includes(v)) out = out.split(v).join(REDACTED);
  const matches = findCredentials(out);
  for (let i = matches.length - 1; i >= 0; i--) {
    const m = matches[i];
    if (m) out = out.slice(0, m.start) + REDACTED + out.slice(m.end);
  }
  return out;
}
