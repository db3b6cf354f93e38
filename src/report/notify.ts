/**
 * `report --notify URL`: one plain JSON POST per firing, which ntfy, Gotify and generic JSON webhooks accept.
 */
import { InputError, OperationError } from "../lib/errors.js";
import type { Firing } from "./alerts.js";

export const NOTIFY_TIMEOUT_MS = 10_000;

export function parseNotifyUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(`--notify ${text} is not a URL`, { code: "NOTIFY_URL_INVALID", hint: "give a webhook URL such as https://ntfy.sh/my-topic or http://127.0.0.1:8080/hook" });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InputError(`--notify ${text} is not an http(s) URL`, { code: "NOTIFY_URL_INVALID", hint: "use http:// or https://" });
  }
  return url;
}

export interface NotifyDocument extends Firing {
  source: "gatewayctl";
  /** the gateway's name for a person: its bind address and port */
  gateway: string;
  firedAt: string;
  /** ntfy's and Gotify's title and message fields */
  title: string;
}

/** POST each firing; throws OperationError naming the firings that could not be delivered. */
export async function notifyFirings(url: URL, firings: Firing[], gateway: string, now: Date): Promise<number> {
  const failed: string[] = [];
  for (const f of firings) {
    const doc: NotifyDocument = { source: "gatewayctl", gateway, firedAt: now.toISOString(), title: `gatewayctl alert: ${f.name ?? f.rule}`, ...f };
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(doc),
        signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) failed.push(`${f.rule}: HTTP ${res.status}`);
    } catch (err) {
      failed.push(`${f.rule}: ${(err as Error).message}`);
    }
  }
  if (failed.length > 0) {
    throw new OperationError(`could not deliver ${failed.length} of ${firings.length} alert(s) to ${url.origin}: ${failed.join("; ")}`, {
      code: "NOTIFY_FAILED",
      hint: "check that the webhook URL is reachable from this machine",
    });
  }
  return firings.length;
}
