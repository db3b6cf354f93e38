import { isIP } from "node:net";
import type { Policy } from "../policy/schema.js";

/**
 * The base URL clients use to reach the gateway: `http://<bind>:<port>/v1`, with a wildcard bind (0.0.0.0, ::)
 * replaced by loopback, since that is where a client on the same machine reaches it.
 */
export function gatewayBaseUrl(policy: Policy): string {
  const bind = policy.gateway.bind.trim();
  let host = bind === "0.0.0.0" || bind === "" ? "127.0.0.1" : bind === "::" || bind === "[::]" ? "127.0.0.1" : bind;
  if (isIP(host) === 6) host = `[${host}]`;
  return `http://${host}:${policy.gateway.port}/v1`;
}

/** A base URL given on the command line, normalised (no trailing slash). Returns undefined when it is not http(s). */
export function normaliseBaseUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  return url.toString().replace(/\/+$/, "");
}
