/**
 * One line of the request ledger, as templates/gatewayctl_ledger.py writes it (compact JSON: a field that would be
 * null, false or empty is left out). The ledger is the gateway's, not the build's: this is its one TypeScript reader.
 */
import type { Location } from "../artifact/types.js";
import type { Privacy } from "../policy/schema.js";

/** Version of the line format (the `v` field, always first; `time` always second). */
export const LEDGER_RECORD_VERSION = 1;

export type LedgerStatus = "ok" | "error" | "refused";
/** Who refused: the privacy guard, the front door (custom auth), or a lane budget. */
export type RefusedBy = "guard" | "front-door" | "budget";

export interface LedgerRecord {
  v: number;
  /** ISO 8601 UTC with milliseconds, e.g. 2026-12-01T10:00:00.123Z */
  time: string;
  /** the name of the key the front door admitted (a policy client, or `gatewayctl` for the master key) */
  client?: string;
  /** the route alias asked for; absent when the request named something else (see `requested`) */
  alias?: string;
  /** the model name asked for when it is not a route alias: a raw vendor id, a deployment, a typo */
  requested?: string;
  lane?: string;
  privacy?: Privacy;
  status: LedgerStatus;
  refusedBy?: RefusedBy;
  /** for refusals the refuser's message (never content), for errors the exception's class */
  reason?: string;
  /** deployment id (model_info.id) that served it, its policy model key, and where it runs */
  deployment?: string;
  model?: string;
  location?: Location;
  /** `primary`, `fallback-N` (1-based, in the route's order) or `other` */
  servedBy?: string;
  /** model groups tried before the one that served it (served), or every group the route could use (failed) */
  attempted?: string[];
  fallbackUsed?: boolean;
  tokensIn?: number;
  tokensOut?: number;
  /** USD */
  cost?: number;
  /** `litellm`: LiteLLM's computed cost; `policy`: tokens x the policy's price */
  costSource?: "litellm" | "policy";
  latencyMs?: number;
}

/** The record a line holds, or undefined for a line that is not a ledger record of this version. */
export function parseLedgerLine(line: string): LedgerRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== "object") return undefined;
  const r = value as Partial<LedgerRecord>;
  if (r.v !== LEDGER_RECORD_VERSION || typeof r.time !== "string" || (r.status !== "ok" && r.status !== "error" && r.status !== "refused")) return undefined;
  return r as LedgerRecord;
}

