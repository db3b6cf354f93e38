// TEMPORARY stub: replaced by the docker helper.
import type { GatewayRuntime } from "./runtime.js";
export function createDockerRuntime(): GatewayRuntime {
  throw new Error("docker runtime not built yet");
}
