import { readdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { OPENCLAW_PROVIDER_ID } from "./openclaw.js";

/**
 * Reads OpenClaw's state directory (I/O; not used by `build`). OpenClaw's docs say a non-empty baseUrl in
 * `<state>/agents/<agentId>/agent/models.json` wins over openclaw.json. On OpenClaw 2026.9.6 (the tested version) the
 * file is not created any more and a planted stale baseUrl was not used by an agent turn (test/e2e/clients-openclaw-turns),
 * so gatewayctl only points such a copy out.
 */
export interface StaleAgentModels {
  file: string;
  agentId: string;
  baseUrl: string;
}

/** `OPENCLAW_STATE_DIR`, else `~/.openclaw`. */
export function openClawStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.OPENCLAW_STATE_DIR?.trim();
  if (fromEnv) return fromEnv.startsWith("~/") ? join(homedir(), fromEnv.slice(2)) : fromEnv;
  return join(homedir(), ".openclaw");
}

function normalise(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

export async function findStaleAgentModels(stateDir: string, baseUrl: string): Promise<StaleAgentModels[]> {
  let agentIds: string[];
  try {
    agentIds = (await readdir(join(stateDir, "agents"), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
  const stale: StaleAgentModels[] = [];
  for (const agentId of agentIds) {
    const file = join(stateDir, "agents", agentId, "agent", "models.json");
    let data: unknown;
    try {
      data = JSON.parse(await readFile(file, "utf8"));
    } catch {
      continue; // missing or unreadable: nothing there can win over openclaw.json
    }
    const providers = (data as { providers?: Record<string, { baseUrl?: unknown }> } | null)?.providers;
    const copy = providers?.[OPENCLAW_PROVIDER_ID]?.baseUrl;
    if (typeof copy === "string" && copy.trim() !== "" && normalise(copy) !== normalise(baseUrl)) {
      stale.push({ file, agentId, baseUrl: copy });
    }
  }
  return stale;
}
