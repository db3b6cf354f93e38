/**
 * The load balancer in front of the replicas: one HAProxy configuration, rendered for the process runtime (fixed
 * loopback replicas) and for compose (the replicas found through Docker's DNS). Pure: no I/O.
 *
 * The settings that lose nothing when a replica dies (ENVIRONMENT.md, "Scale-out parts": 0 of 500 requests lost with
 * one of two replicas killed -9, 3 of 3 runs; 9 to 19 lost without `retry-on`):
 * - `option httpchk GET /health/readiness`: a replica gets traffic only once LiteLLM has loaded its config;
 * - `retries 3` with `retry-on all-retryable-errors`: a request whose connection failed, or that got no or a broken
 *   response, is sent again (HAProxy keeps the buffered request for that);
 * - `option redispatch`: a retry goes to another replica, not the dead one.
 * A retried request may already have reached a model through the replica that died: it can be billed twice.
 */
import type { ScaleFacts } from "./types.js";

/** Name of the HAProxy configuration beside docker-compose.yml, and in the process runtime's state directory. */
export const HAPROXY_CONFIG_FILE = "haproxy.cfg";

/** The replicas behind the balancer: fixed addresses, or a service name that resolves to every replica. */
export type BalancerTargets =
  | { kind: "static"; servers: Array<{ host: string; port: number }> }
  | { kind: "dns"; service: string; port: number; slots: number; nameserver: string };

export interface BalancerListen {
  /** address and port the balancer listens on */
  bind: string;
  port: number;
}

function bindAddress(bind: string): string {
  const host = bind.replace(/^\[(.*)\]$/, "$1");
  if (host === "" || host === "0.0.0.0" || host === "*") return `*`;
  return host.includes(":") ? `[${host}]` : host;
}

/** The haproxy.cfg text; the same facts give the same bytes. */
export function haproxyConfig(scale: ScaleFacts, listen: BalancerListen, targets: BalancerTargets, header = ""): string {
  const lb = scale.loadBalancer;
  const lines: string[] = [
    "global",
    "    maxconn 4096",
    // requests up to this size stay buffered for a retry (larger ones are not retried on another replica)
    "    tune.bufsize 131072",
    "",
    "defaults",
    "    mode http",
    "    timeout connect 5s",
    `    timeout client ${lb.timeoutSeconds}s`,
    `    timeout server ${lb.timeoutSeconds}s`,
    "    timeout queue 30s",
    "    timeout http-request 30s",
    `    retries ${lb.retries}`,
    "    option redispatch",
    "    retry-on all-retryable-errors",
    "    option http-buffer-request",
    "",
  ];
  if (targets.kind === "dns") {
    lines.push("resolvers replicas", `    nameserver dns ${targets.nameserver}`, "    hold valid 5s", "    accepted_payload_size 8192", "");
  }
  lines.push(
    "frontend gateway",
    `    bind ${bindAddress(listen.bind)}:${listen.port}`,
    "    default_backend replicas",
    "",
    "backend replicas",
    "    balance roundrobin",
    `    option httpchk GET ${lb.healthPath}`,
    "    http-check expect status 200",
    "    default-server inter 2s fall 2 rise 1",
  );
  if (targets.kind === "static") {
    targets.servers.forEach((s, i) => lines.push(`    server replica${i + 1} ${s.host.includes(":") ? `[${s.host}]` : s.host}:${s.port} check`));
  } else {
    lines.push(`    server-template replica 1-${targets.slots} ${targets.service}:${targets.port} check resolvers replicas init-addr none`);
  }
  return `${header}${lines.join("\n")}\n`;
}
