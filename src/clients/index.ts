// TEMPORARY stub so `build` can call it; the clients helper replaces this file. Keep the exported signatures.
import type { GeneratedFile, RouteMap } from "../compile/types.js";
import type { Policy } from "../policy/schema.js";

export interface ClientAliasUsage {
  client: string;
  /** path relative to the build output directory, e.g. clients/openclaw.json */
  file: string;
  aliases: string[];
  note?: string;
}

/** Pure: every client config `build` writes under `clients/`, paths relative to the output dir. */
export function renderClientFiles(_policy: Policy, _routeMap: RouteMap): GeneratedFile[] {
  return [];
}

/** Pure: which client file uses which alias, for routes.md. */
export function clientAliasUsage(_policy: Policy, _routeMap: RouteMap): ClientAliasUsage[] {
  return [];
}
