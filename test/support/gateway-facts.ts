import type { FrontDoor, GatewayFacts } from "../../src/artifact/types.js";
import { CLIENT_ENDPOINTS, MASTER_ENDPOINTS } from "../../src/artifact/front-door.js";

/** Gateway facts for hand-written route maps in unit tests (a process gateway on the default address). */
export const TEST_GATEWAY_FACTS: GatewayFacts = {
  runtime: "process",
  bind: "127.0.0.1",
  port: 4000,
  image: "ghcr.io/berriai/litellm:1.108.7",
  litellmVersion: "1.108.7",
  masterKeySecret: "LITELLM_MASTER_KEY",
  secretNames: ["LITELLM_MASTER_KEY"],
  modules: ["gatewayctl_guard", "gatewayctl_auth"],
};

/** A front door with no clients (only the master key), for hand-written route maps in unit tests. */
export const TEST_FRONT_DOOR: FrontDoor = {
  masterKeyEnv: "GATEWAYCTL_SECRET_LITELLM_MASTER_KEY",
  clients: [],
  clientEndpoints: [...CLIENT_ENDPOINTS],
  masterEndpoints: [...MASTER_ENDPOINTS],
};
