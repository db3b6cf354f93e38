import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GUARD_MODULE_SOURCE } from "../../src/compile/guard-source.js";
import { GUARD_CALLBACK, GUARD_DRILL_TOKEN_ENV, GUARD_DRILL_TOKEN_FILE, GUARD_MODULE } from "../../src/artifact/types.js";
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
    const out = drillConfigText({ model_list: [], general_settings: { master_key: "os.environ/LITELLM_MASTER_KEY" } });
    expect(out).toContain("dangerously_allow_mock_testing_request_params: true");
    expect(out).toContain("master_key: os.environ/LITELLM_MASTER_KEY");
    expect(drillConfigText({ model_list: [] })).toContain("dangerously_allow_mock_testing_request_params: true");
  });

  it("writes prices as plain decimals, which PyYAML reads as floats (not 3e-7, a string to PyYAML)", () => {
    const out = drillConfigText({
      model_list: [{ model_name: "a", litellm_params: { model: "openai/x", input_cost_per_token: 0.0000003, output_cost_per_token: 0.0000015 } }],
    });
    expect(out).toContain("input_cost_per_token: 0.0000003");
    expect(out).toContain("output_cost_per_token: 0.0000015");
    expect(out).not.toMatch(/\de-\d/);
  });
});
