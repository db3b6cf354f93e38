// TEMPORARY stub: replaced by the runtime helper.
import type { GatewayRuntime } from "./runtime.js";
export function createProcessRuntime(): GatewayRuntime {
  throw new Error("process runtime not built yet");
}
