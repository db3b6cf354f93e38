import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GUARD_CALLBACK, GUARD_DRILL_TOKEN_ENV, GUARD_DRILL_TOKEN_FILE, GUARD_MODULE, GUARD_MODULE_SOURCE } from "../../src/compile/guard-source.js";
import { drillConfigText } from "../../src/probe/drill.js";
import { ROOT } from "../support/cli.js";

describe("guard source", () => {
  it("equals templates/gatewayctl_guard.py byte for byte", async () => {
    const template = await readFile(join(ROOT, "templates", `${GUARD_MODULE}.py`), "utf8");
    expect(GUARD_MODULE_SOURCE).toBe(template);
  });
  it("loads as the callback named in the config and names the drill token file and variable it reads", () => {
    expect(GUARD_CALLBACK).toBe("gatewayctl_guard.proxy_handler_instance");
    expect(GUARD_MODULE_SOURCE).toContain("\nproxy_handler_instance = GatewayctlGuard(");
    expect(GUARD_MODULE_SOURCE).toContain(`DRILL_TOKEN_ENV = "${GUARD_DRILL_TOKEN_ENV}"`);
    expect(GUARD_MODULE_SOURCE).toContain(`"${GUARD_DRILL_TOKEN_FILE}"`);
    expect(GUARD_MODULE_SOURCE).toContain("async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):");
  });
});

describe("drill config", () => {
  it("adds the mock-testing switch and keeps everything else", () => {
    const text = "model_list: []\ngeneral_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n";
    const out = drillConfigText(text);
    expect(out).toContain("dangerously_allow_mock_testing_request_params: true");
    expect(out).toContain("master_key: os.environ/LITELLM_MASTER_KEY");
    expect(drillConfigText("model_list: []\n")).toContain("dangerously_allow_mock_testing_request_params: true");
  });
});

describe("drill config for a docker-built runtime", () => {
  it("points host.docker.internal backends back at 127.0.0.1, and only those", () => {
    const text = [
      "model_list:",
      "  - model_name: a",
      "    litellm_params: { model: ollama_chat/x, api_base: 'http://host.docker.internal:11434' }",
      "  - model_name: b",
      "    litellm_params: { model: openai/y, api_base: 'https://api.openai.com/v1' }",
      "",
    ].join("\n");
    const out = drillConfigText(text, { fromDocker: true });
    expect(out).toContain("api_base: http://127.0.0.1:11434");
    expect(out).toContain("api_base: https://api.openai.com/v1");
    expect(drillConfigText(text)).toContain("host.docker.internal");
  });
});
