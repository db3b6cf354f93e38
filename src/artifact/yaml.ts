import { stringify, type Tags } from "yaml";

/**
 * A number as plain decimal text, never in exponent form: `3e-7` is a string to PyYAML (YAML 1.1 needs a dot and a
 * signed exponent), so LiteLLM would read such a cost as text. `0.0000003` reads as a float everywhere.
 */
export function plainDecimal(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const text = String(value);
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign = "", intPart = "", fracPart = "", expText = "0"] = match;
  const exp = Number(expText);
  const digits = intPart + fracPart;
  const point = intPart.length + exp;
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Floats are written as plain decimals (see plainDecimal); integers as usual. */
const plainFloat = {
  tag: "tag:yaml.org,2002:float",
  default: true,
  identify: (value: unknown) => typeof value === "number" && Number.isFinite(value) && !Number.isInteger(value),
  test: /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
  resolve: (text: string) => parseFloat(text),
  stringify: ({ value }: { value: unknown }) => plainDecimal(value as number),
};

/**
 * Stringify data as YAML deterministically: block style, no line folding, no anchors. YAML 1.1 rules, as PyYAML
 * (which LiteLLM and docker-compose use) reads them: strings such as `on`, `no`, `1:30` or `2024-01-01` get quoted.
 */
export function toYaml(data: unknown): string {
  return stringify(data, {
    version: "1.1",
    lineWidth: 0,
    aliasDuplicateObjects: false,
    customTags: (tags: Tags) => [plainFloat, ...tags] as Tags,
  });
}
