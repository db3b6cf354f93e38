/**
 * An egress recorder: a small HTTP proxy on 127.0.0.1 given to LiteLLM as HTTP_PROXY / HTTPS_PROXY (with NO_PROXY
 * for loopback, so the recording backends are reached directly). It stands in for the way out to the internet: it
 * records every attempt (a CONNECT for https, an absolute-URL request for http) and refuses each, so a test can
 * prove that no request of the gateway tried to reach a provider.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface EgressAttempt {
  method: string;
  /** host:port of a CONNECT, or the absolute URL of a proxied http request */
  target: string;
  at: number;
}

export interface EgressRecorder {
  url: string;
  readonly attempts: EgressAttempt[];
  /** the environment that sends a process's outbound traffic here */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startEgressRecorder(): Promise<EgressRecorder> {
  const attempts: EgressAttempt[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    attempts.push({ method: req.method ?? "?", target: req.url ?? "", at: Date.now() });
    res.writeHead(403, { "content-type": "text/plain" });
    res.end("egress refused by the test's egress recorder\n");
  });
  server.on("connect", (req, socket: Socket) => {
    attempts.push({ method: "CONNECT", target: req.url ?? "", at: Date.now() });
    socket.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    attempts,
    env: { HTTP_PROXY: url, HTTPS_PROXY: url, http_proxy: url, https_proxy: url, NO_PROXY: "127.0.0.1,localhost,::1", no_proxy: "127.0.0.1,localhost,::1" },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
