import { describe, expect, it } from "vitest";
import { InputError } from "../../src/lib/errors.js";
import { parseLiteLLMConfig } from "../../src/artifact/parse-config.js";

describe("parseLiteLLMConfig reads a config as LiteLLM's PyYAML does", () => {
  it("takes YAML 1.1 booleans (yes/on/off) as booleans and quoted ones as strings", () => {
    const c = parseLiteLLMConfig(
      'general_settings:\n  allow_client_side_credentials: yes\n  a: On\n  b: off\n  c: "yes"\n  d: true\nmodel_list: []\n',
      "c.yaml",
    );
    expect(c.general_settings).toEqual({ allow_client_side_credentials: true, a: true, b: false, c: "yes", d: true });
  });

  it("applies merge keys", () => {
    const c = parseLiteLLMConfig(
      "base: &b\n  api_base: http://10.0.0.2:11434\nmodel_list:\n  - model_name: x\n    litellm_params:\n      <<: *b\n      model: ollama_chat/m\n",
      "c.yaml",
    );
    expect(c.model_list[0]?.litellm_params).toEqual({ api_base: "http://10.0.0.2:11434", model: "ollama_chat/m" });
  });

  it("accepts a duplicate key with the last value winning, as PyYAML does", () => {
    const c = parseLiteLLMConfig("router_settings:\n  fallbacks: []\n  fallbacks: [{secure-core: [cloud]}]\nmodel_list: []\n", "c.yaml");
    expect(c.router_settings).toEqual({ fallbacks: [{ "secure-core": ["cloud"] }] });
  });

  it("reports a syntax error with its position, exit code 2", () => {
    let caught: unknown;
    try {
      parseLiteLLMConfig("model_list:\n  - model_name: [unclosed\n", "bad.yaml");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).exitCode).toBe(2);
    expect((caught as InputError).message).toMatch(/^bad\.yaml(:\d+:\d+)?: not valid YAML/);
  });

  it("refuses a document that is not a mapping", () => {
    expect(() => parseLiteLLMConfig("- a\n- b\n", "list.yaml")).toThrow(/not a mapping/);
  });
});
