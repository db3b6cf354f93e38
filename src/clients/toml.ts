/**
 * The small part of TOML the Codex CLI config needs, as data (pure): tables of string, number and boolean values.
 * `toToml` writes it deterministically; `parseToml` reads that subset back (for the client proof), throwing on
 * anything outside it (arrays, inline tables, multi-line strings).
 */
export type TomlValue = string | number | boolean;
export interface TomlTable {
  [key: string]: TomlValue | TomlTable;
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

function key(k: string): string {
  return BARE_KEY.test(k) ? k : JSON.stringify(k);
}

function value(v: TomlValue): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" && !Number.isFinite(v)) throw new Error(`TOML: ${v} is not a finite number`);
  return String(v);
}

/** Top-level values first, then each table (depth-first, in insertion order). */
export function toToml(table: TomlTable, comment?: string): string {
  const lines: string[] = comment ? comment.split("\n").map((l) => `#${l ? ` ${l}` : ""}`) : [];
  const write = (t: TomlTable, path: string[]): void => {
    const scalars = Object.entries(t).filter((e): e is [string, TomlValue] => typeof e[1] !== "object");
    const tables = Object.entries(t).filter((e): e is [string, TomlTable] => typeof e[1] === "object");
    if (path.length > 0 && (scalars.length > 0 || tables.length === 0)) {
      if (lines.length > 0) lines.push("");
      lines.push(`[${path.map(key).join(".")}]`);
    }
    for (const [k, v] of scalars) lines.push(`${key(k)} = ${value(v)}`);
    for (const [k, v] of tables) write(v, [...path, k]);
  };
  write(table, []);
  return `${lines.join("\n")}\n`;
}

function parseKeyPath(text: string, where: string): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > 0) {
    let m: RegExpExecArray | null;
    if ((m = /^"((?:[^"\\]|\\.)*)"/.exec(rest))) parts.push(JSON.parse(`"${m[1]}"`) as string);
    else if ((m = /^[A-Za-z0-9_-]+/.exec(rest))) parts.push(m[0]);
    else throw new Error(`${where}: unsupported key ${text}`);
    rest = rest.slice(m[0].length).trim();
    if (rest.startsWith(".")) rest = rest.slice(1).trim();
    else if (rest.length > 0) throw new Error(`${where}: unsupported key ${text}`);
  }
  return parts;
}

function parseValue(text: string, where: string): TomlValue {
  const t = text.trim();
  if (/^"(?:[^"\\]|\\.)*"$/.test(t)) return JSON.parse(t) as string;
  if (/^'[^']*'$/.test(t)) return t.slice(1, -1);
  if (t === "true" || t === "false") return t === "true";
  if (/^[+-]?\d+(\.\d+)?$/.test(t)) return Number(t);
  throw new Error(`${where}: unsupported value ${t}`);
}

function stripComment(line: string): string {
  let inString: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === "\\" && inString === '"') i++;
      else if (c === inString) inString = undefined;
    } else if (c === '"' || c === "'") inString = c;
    else if (c === "#") return line.slice(0, i);
  }
  return line;
}

export function parseToml(text: string): TomlTable {
  const root: TomlTable = {};
  let current = root;
  text.split(/\r?\n/).forEach((raw, i) => {
    const where = `line ${i + 1}`;
    const line = stripComment(raw).trim();
    if (line === "") return;
    const header = /^\[([^[\]]+)\]$/.exec(line);
    if (header) {
      current = root;
      for (const part of parseKeyPath(header[1]!, where)) {
        const next = current[part];
        if (next === undefined) current = current[part] = {};
        else if (typeof next === "object") current = next;
        else throw new Error(`${where}: ${part} is not a table`);
      }
      return;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`${where}: expected key = value`);
    const path = parseKeyPath(line.slice(0, eq), where);
    let t = current;
    for (const part of path.slice(0, -1)) {
      const next = t[part];
      if (next === undefined) t = t[part] = {};
      else if (typeof next === "object") t = next;
      else throw new Error(`${where}: ${part} is not a table`);
    }
    t[path[path.length - 1]!] = parseValue(line.slice(eq + 1), where);
  });
  return root;
}
