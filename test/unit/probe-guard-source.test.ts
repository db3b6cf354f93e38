import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AUTH_MODULE_SOURCE } from "../../src/compile/auth-source.js";
import { GUARD_MODULE_SOURCE } from "../../src/compile/guard-source.js";
import {
  AUTH_FILE,
  AUTH_FUNCTION,
  AUTH_MODULE,
  GUARD_CALLBACK,
  GUARD_DRILL_TOKEN_ENV,
  GUARD_DRILL_TOKEN_FILE,
  GUARD_MODULE,
  ROUTE_MAP_FILE,
} from "../../src/artifact/types.js";
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

describe("front door source", () => {
  it("equals templates/gatewayctl_auth.py byte for byte", async () => {
    const template = await readFile(join(ROOT, "templates", AUTH_FILE), "utf8");
    expect(AUTH_MODULE_SOURCE).toBe(template);
  });
  it("defines the function general_settings.custom_auth names, and reads the route map beside it at import", () => {
    expect(AUTH_FUNCTION).toBe(`${AUTH_MODULE}.user_api_key_auth`);
    expect(AUTH_FILE).toBe("gatewayctl_auth.py");
    expect(AUTH_MODULE_SOURCE).toContain("\nasync def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:\n");
    expect(AUTH_MODULE_SOURCE).toContain(`os.path.join(AUTH_DIR, "${ROUTE_MAP_FILE}")`);
    expect(AUTH_MODULE_SOURCE).toContain("\nKEYS = build_identities(ROUTE_MAP)\n");
    // constant-time key comparison, never a plain ==
    expect(AUTH_MODULE_SOURCE).toContain("hmac.compare_digest(");
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
