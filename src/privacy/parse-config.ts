import { parseDocument } from "yaml";
import { InputError } from "../lib/errors.js";
import type { LiteLLMConfig } from "../compile/types.js";

/** Parse config.yaml text as the LiteLLM proxy would read it. Pure. Throws InputError (exit 2) when unreadable. */
export function parseLiteLLMConfig(text: string, file: string): LiteLLMConfig {
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
  const data: unknown = doc.toJS({ maxAliasCount: 1000 });
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
