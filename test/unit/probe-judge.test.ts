import { describe, expect, it } from "vitest";
import type { RouteMap, RoutePlan } from "../../src/artifact/types.js";
import { judgeDrillResponse, judgeHealth, judgeModels, judgePrivacyProbe, judgeRouteResponse, servedByFromHeaders } from "../../src/probe/judge.js";
import { cloudTarget, privacyProbes } from "../../src/probe/probe-routes.js";
import type { GatewayResponse } from "../../src/probe/types.js";
import { TEST_FRONT_DOOR, TEST_GATEWAY_FACTS } from "../support/gateway-facts.js";

const price = { input: 0, output: 0 };
function route(alias: string, privacy: RoutePlan["privacy"], allowed: string[], fallbackGroups: string[] = []): RoutePlan {
  return {
    alias,
    lane: privacy === "local-only" ? "private" : privacy === "local-first" ? "routine" : "web",
    privacy,
    model: allowed[0]!.split(":")[1]!,
    fallbacks: [],
    primaryDeploymentId: allowed[0]!,
    fallbackGroups,
    allowedDeploymentIds: allowed,
    cloudBackends: [],
    maxPrice: price,
    timeoutSeconds: 300,
  };
}
const map: RouteMap = {
  generatedBy: "test",
  gateway: TEST_GATEWAY_FACTS,
  frontDoor: TEST_FRONT_DOOR,
  internalGroups: ["gw-fallback-mini"],
  lanes: [],
  ledger: { maxBytes: 1048576, keep: 1 },
  alerts: [],
  routes: [
    route("secure-core", "local-only", ["secure-core:llama"]),
    route("routine-router", "local-first", ["routine-router:llama", "gw-fallback-mini:mini"], ["gw-fallback-mini"]),
    route("web", "cloud-allowed", ["web:mini"]),
  ],
  deployments: [
    { id: "secure-core:llama", group: "secure-core", model: "llama", backend: "ollama", backendType: "ollama", location: "local", litellmModel: "ollama_chat/llama3.1:8b", apiBase: "http://127.0.0.1:11434", price },
    { id: "routine-router:llama", group: "routine-router", model: "llama", backend: "ollama", backendType: "ollama", location: "local", litellmModel: "ollama_chat/llama3.1:8b", apiBase: "http://127.0.0.1:11434", price },
    { id: "gw-fallback-mini:mini", group: "gw-fallback-mini", model: "mini", backend: "openai", backendType: "openai", location: "cloud", litellmModel: "openai/gpt-4o-mini", apiBase: "https://api.openai.com/v1", price },
    { id: "web:mini", group: "web", model: "mini", backend: "openai", backendType: "openai", location: "cloud", litellmModel: "openai/gpt-4o-mini", apiBase: "https://api.openai.com/v1", price },
  ],
};
const r = (alias: string): RoutePlan => map.routes.find((x) => x.alias === alias)!;

function res(status: number, headers: Record<string, string> = {}, text = "{}"): GatewayResponse {
  return { status, headers: new Headers(headers), text, latencyMs: 12 };
}
const served = (id: string, base: string, fallbacks = "0", extra: Record<string, string> = {}) => ({
  "x-litellm-model-id": id,
  "x-litellm-model-api-base": base,
  "x-litellm-attempted-fallbacks": fallbacks,
  ...extra,
});

describe("servedByFromHeaders", () => {
  it("reads id, api base, fallbacks and cost from headers and locates the deployment", () => {
    const s = servedByFromHeaders(new Headers(served("web:mini", "https://api.openai.com/v1", "0", { "x-litellm-response-cost": "4.1e-06" })), map);
    expect(s).toEqual({ deploymentId: "web:mini", apiBase: "https://api.openai.com/v1", attemptedFallbacks: 0, costUsd: 4.1e-6, location: "cloud" });
  });
  it("says unknown for an id the route map does not know", () => {
    expect(servedByFromHeaders(new Headers({ "x-litellm-model-id": "5f2a" }), map).location).toBe("unknown");
  });
});

describe("judgeRouteResponse", () => {
  it("passes the primary", () => {
    const c = judgeRouteResponse(r("secure-core"), res(200, served("secure-core:llama", "http://127.0.0.1:11434")), map);
    expect(c.status).toBe("pass");
  });
  it("warns when an allowed fallback served", () => {
    const c = judgeRouteResponse(r("routine-router"), res(200, served("gw-fallback-mini:mini", "https://api.openai.com/v1", "1")), map);
    expect(c.status).toBe("warn");
    expect(c.message).toContain("allowed fallback");
  });
  it("fails a local-only route served by a cloud deployment as a privacy violation", () => {
    const c = judgeRouteResponse(r("secure-core"), res(200, served("gw-fallback-mini:mini", "https://api.openai.com/v1", "1")), map);
    expect(c.status).toBe("fail");
    expect(c.message).toMatch(/^PRIVACY VIOLATION/);
  });
  it("fails when the api base differs from the route map", () => {
    const c = judgeRouteResponse(r("secure-core"), res(200, served("secure-core:llama", "http://evil.example:11434")), map);
    expect(c.status).toBe("fail");
    expect(c.message).toContain("the runtime config was changed");
  });
  it("fails without the model id header (the body is never used)", () => {
    const c = judgeRouteResponse(r("secure-core"), res(200, {}, JSON.stringify({ model: "secure-core" })), map);
    expect(c.status).toBe("fail");
    expect(c.message).toContain("x-litellm-model-id");
  });
  it("fails an error answer and a dead gateway", () => {
    expect(judgeRouteResponse(r("secure-core"), res(500, {}, JSON.stringify({ error: { message: "boom" } })), map).message).toContain("HTTP 500: boom");
    expect(judgeRouteResponse(r("secure-core"), { ...res(0), error: "ECONNREFUSED" }, map).status).toBe("fail");
  });
});

describe("judgePrivacyProbe", () => {
  it("passes a 403 from the guard and names it", () => {
    const c = judgePrivacyProbe("p", "client-fallbacks", r("secure-core"), res(403, {}, JSON.stringify({ error: { message: "gatewayctl guard: request field 'fallbacks' ..." } })), map);
    expect(c.status).toBe("pass");
    expect(c.message).toContain("refused by the gatewayctl guard");
  });
  it("passes LiteLLM's own 500 refusal of api_base", () => {
    expect(judgePrivacyProbe("p", "client-api-base", r("secure-core"), res(500, {}, "Internal Server Error"), map).status).toBe("pass");
  });
  it("fails any 2xx as a privacy violation", () => {
    const c = judgePrivacyProbe("p", "direct-id", undefined, res(200, served("web:mini", "https://api.openai.com/v1")), map);
    expect(c.status).toBe("fail");
    expect(c.message).toMatch(/^PRIVACY VIOLATION/);
  });
  it("fails a 5xx that shows the gateway tried to connect to the client's api_base", () => {
    const c = judgePrivacyProbe("p", "client-api-base", r("secure-core"), res(500, {}, JSON.stringify({ error: { message: "litellm.APIConnectionError: Connection refused" } })), map);
    expect(c.status).toBe("fail");
  });
  it("fails a 401: a probe with a rejected key proves nothing", () => {
    expect(judgePrivacyProbe("p", "comma-models", r("secure-core"), res(401), map).status).toBe("fail");
  });
  // bodies as LiteLLM 1.108.7 (with prisma, as in the image) answers them
  const API_BASE_REJECTED = JSON.stringify({
    error: { message: "Authentication Error, Rejected Request: api_base is not allowed in request body. Clientside passthrough requires explicit admin opt-in", type: "auth_error", code: "401" },
  });
  const NO_DB = JSON.stringify({ error: { message: "No connected db.", type: "no_db_connection", param: null, code: "400" } });
  it("passes LiteLLM's own 401 refusal of a client api_base, judged from the body", () => {
    const c = judgePrivacyProbe("p", "client-api-base", r("secure-core"), res(401, {}, API_BASE_REJECTED), map);
    expect(c.status).toBe("pass");
    expect(c.message).toContain("refused by LiteLLM's own request check");
  });
  it("reports a wrong key (LiteLLM's 400 No connected db.) as a wrong key, never as a refusal", () => {
    const c = judgePrivacyProbe("p", "comma-models", r("secure-core"), res(400, {}, NO_DB), map);
    expect(c.status).toBe("fail");
    expect(c.message).toContain("the key was not accepted");
    const models = judgeModels(res(400, {}, NO_DB), map);
    expect(models[0]!.message).toContain("the key was not accepted");
  });
});

describe("judgeDrillResponse", () => {
  const mockError = JSON.stringify({ error: { message: "litellm.InternalServerError: This is a mock exception for model=secure-core" } });
  it("passes a local-only route that fails closed", () => {
    expect(judgeDrillResponse(r("secure-core"), "mock_testing_fallbacks", res(500, {}, mockError), map).status).toBe("pass");
  });
  it("fails a local-only route that fell back to the cloud", () => {
    const c = judgeDrillResponse(r("secure-core"), "mock_testing_fallbacks", res(200, served("gw-fallback-mini:mini", "https://api.openai.com/v1", "1")), map);
    expect(c.status).toBe("fail");
    expect(c.message).toMatch(/^PRIVACY VIOLATION/);
  });
  it("passes a local-first route that fell back to an approved deployment", () => {
    expect(judgeDrillResponse(r("routine-router"), "mock_testing_fallbacks", res(200, served("gw-fallback-mini:mini", "https://api.openai.com/v1", "1")), map).status).toBe("pass");
  });
  it("fails a local-first route whose fallback did not answer", () => {
    expect(judgeDrillResponse(r("routine-router"), "mock_testing_fallbacks", res(500, {}, mockError), map).status).toBe("fail");
  });
  it("fails when the drill gateway refused the mock flag (a vacuous drill)", () => {
    const refused = JSON.stringify({ error: { message: "Mock testing request params are disabled on this proxy: mock_testing_fallbacks." } });
    const c = judgeDrillResponse(r("secure-core"), "mock_testing_fallbacks", res(400, {}, refused), map);
    expect(c.status).toBe("fail");
    expect(c.message).toContain("proves nothing");
  });
  it("fails when the primary answered as if the flag had no effect", () => {
    expect(judgeDrillResponse(r("routine-router"), "mock_testing_fallbacks", res(200, served("routine-router:llama", "http://127.0.0.1:11434", "0")), map).status).toBe("fail");
  });
});

describe("judgeModels and judgeHealth", () => {
  const list = (ids: string[]) => res(200, {}, JSON.stringify({ object: "list", data: ids.map((id) => ({ id })) }));
  it("passes exactly the aliases and fails internal groups listed (the front door hides them)", () => {
    const checks = judgeModels(list(["secure-core", "routine-router", "web", "gw-fallback-mini"]), map);
    expect(checks.map((c) => [c.name, c.status])).toEqual([["models listed", "pass"], ["models internal", "fail"]]);
  });
  it("fails a missing alias and warns about an unexpected model", () => {
    const checks = judgeModels(list(["secure-core", "web", "surprise"]), map);
    expect(checks.find((c) => c.name === "models listed")?.status).toBe("fail");
    expect(checks.find((c) => c.name === "models listed")?.message).toContain("routine-router");
    expect(checks.find((c) => c.name === "models unexpected")?.status).toBe("warn");
  });
  it("fails a forbidden LiteLLM version", () => {
    expect(judgeHealth("/health/readiness", res(200, {}, JSON.stringify({ status: "healthy", litellm_version: "1.82.7" }))).status).toBe("fail");
    expect(judgeHealth("/health/readiness", res(200, {}, JSON.stringify({ status: "healthy", litellm_version: "1.108.7" }))).status).toBe("pass");
  });
});

describe("privacyProbes", () => {
  it("probes every protected route and addresses each cloud deployment by id and raw model string", () => {
    const names = privacyProbes(map).map((p) => p.name);
    expect(names).toEqual([
      "privacy secure-core client-fallbacks",
      "privacy secure-core client-api-base",
      "privacy routine-router client-fallbacks",
      "privacy routine-router client-api-base",
      "privacy secure-core comma-models",
      "privacy direct-id gw-fallback-mini:mini",
      "privacy direct-raw-model openai/gpt-4o-mini",
      "privacy direct-id web:mini",
    ]);
    expect(cloudTarget(map)).toBe("web");
  });
});
