import { isIP } from "node:net";

/**
 * How a host name or address is classified for privacy. Pure: no DNS look-ups (a name could resolve anywhere,
 * so only names that cannot be public by construction count as local).
 */
export type HostClass =
  | "loopback"
  | "private" // RFC 1918, IPv6 ULA, link-local, CGNAT is NOT included
  | "local-name" // .local, .lan, .home.arpa, .internal, single-label (compose service), host.docker.internal
  | "public";

const LOCAL_SUFFIXES = [".local", ".lan", ".home.arpa", ".internal", ".localhost"];

export function classifyHost(rawHost: string): HostClass {
  let host = rawHost.trim().toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host === "localhost") return "loopback";
  const ipVersion = isIP(host);
  if (ipVersion === 4) return classifyIPv4(host);
  if (ipVersion === 6) return classifyIPv6(host);
  if (host === "host.docker.internal") return "local-name";
  if (LOCAL_SUFFIXES.some((s) => host.endsWith(s))) return "local-name";
  if (host.length > 0 && !host.includes(".")) return "local-name";
  return "public";
}

function classifyIPv4(host: string): HostClass {
  const [a, b] = host.split(".").map(Number) as [number, number, number, number];
  if (a === 127) return "loopback";
  if (a === 10) return "private";
  if (a === 172 && b >= 16 && b <= 31) return "private";
  if (a === 192 && b === 168) return "private";
  if (a === 169 && b === 254) return "private";
  if (a === 0) return "loopback";
  return "public";
}

function classifyIPv6(host: string): HostClass {
  if (host === "::1") return "loopback";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  if (mapped?.[1]) return classifyIPv4(mapped[1]);
  const first = parseInt(host.split(":")[0] || "0", 16);
  if ((first & 0xfe00) === 0xfc00) return "private"; // fc00::/7 ULA
  if ((first & 0xffc0) === 0xfe80) return "private"; // fe80::/10 link-local
  return "public";
}

/** True when a host can only be on this machine or this network. */
export function isLocalHost(host: string): boolean {
  return classifyHost(host) !== "public";
}

export function isLoopbackHost(host: string): boolean {
  return classifyHost(host) === "loopback";
}

/** The host of a URL, or undefined when the string is not a URL. */
export function hostOfUrl(url: string): string | undefined {
  try {
    const h = new URL(url).hostname;
    return h.startsWith("[") ? h.slice(1, -1) : h;
  } catch {
    return undefined;
  }
}
