import { DEFAULT_SCHEMA, Type, load } from "js-yaml";
import { parseDocument } from "yaml";
import { InputError } from "../lib/errors.js";
import type { LiteLLMConfig } from "./types.js";

/**
 * PyYAML's (YAML 1.1) booleans. js-yaml's 1.2 schema reads yes/no/on/off as strings; this type replaces its
 * bool type (same tag), so it lists true/false too.
 */
const YAML11_BOOL = new Type("tag:yaml.org,2002:bool", {
  kind: "scalar",
  resolve: (data: string | null) =>
    data !== null && /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/.test(data),
  construct: (data: string) => /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(data),
  predicate: (value: unknown) => typeof value === "boolean",
  represent: (value: object) => String(value),
});
/** js-yaml's default schema (merge keys, timestamps, like PyYAML) plus YAML 1.1 booleans. */
const PYYAML_LIKE_SCHEMA = DEFAULT_SCHEMA.extend({ implicit: [YAML11_BOOL] });

/** Parse config.yaml text as the LiteLLM proxy would read it. Pure. Throws InputError (exit 2) when unreadable. */
export function parseLiteLLMConfig(text: string, file: string): LiteLLMConfig {
  // Fast path: js-yaml, about ten times faster on a large generated config. Anything it refuses (a syntax error,
  // a duplicate key, which PyYAML accepts with the last value winning) goes to the thorough parser below.
  let fast: unknown;
  try {
    fast = load(text, { schema: PYYAML_LIKE_SCHEMA });
  } catch {
    return parseThoroughly(text, file);
  }
  return checkShape(fast, file);
}

function parseThoroughly(text: string, file: string): LiteLLMConfig {
  // YAML 1.1, as PyYAML reads it: `yes`/`on` are booleans, `<<` merges
  const doc = parseDocument(text, { version: "1.1", prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const pos = first.linePos?.[0];
    throw new InputError(`${file}${pos ? `:${pos.line}:${pos.col}` : ""}: not valid YAML: ${first.message.split("\n")[0]}`, {
      code: "CONFIG_UNREADABLE",
      hint: "give the path of a LiteLLM proxy config.yaml",
    });
  }
  return checkShape(doc.toJS({ maxAliasCount: 1000 }), file);
}

function checkShape(data: unknown, file: string): LiteLLMConfig {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new InputError(`${file}: not a LiteLLM config: the document is not a mapping`, {
      code: "CONFIG_UNREADABLE",
      hint: "a LiteLLM proxy config.yaml is a mapping with model_list, router_settings, litellm_settings, general_settings",
    });
  }
  const config = data as Record<string, unknown>;
  if (config.model_list !== undefined && config.model_list !== null && !Array.isArray(config.model_list)) {
    throw new InputError(`${file}: model_list is not a list`, {
      code: "CONFIG_UNREADABLE",
      hint: "model_list is a list of {model_name, litellm_params, model_info}",
    });
  }
  return { ...config, model_list: (config.model_list as LiteLLMConfig["model_list"] | undefined) ?? [] };
}
