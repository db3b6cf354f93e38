import type { GatewayFacts } from "../../src/artifact/types.js";

/** Gateway facts for hand-written route maps in unit tests (a process gateway on the default address). */
export const TEST_GATEWAY_FACTS: GatewayFacts = {
  runtime: "process",
  bind: "127.0.0.1",
  port: 4000,
  image: "ghcr.io/berriai/litellm:1.108.7",
  litellmVersion: "1.108.7",
  masterKeySecret: "LITELLM_MASTER_KEY",
  secretNames: ["LITELLM_MASTER_KEY"],
  modules: ["gatewayctl_guard"],
};
