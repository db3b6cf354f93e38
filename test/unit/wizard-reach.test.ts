import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerHostAddress, probeLocalBackend, runtimeReachNotes } from "../../src/wizard/probe.js";

/** A real Ollama-like model list on `host` (127.0.0.1 only, or every address). */
async function tags(host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ models: [{ name: "llama3.1:8b" }] }));
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, port: (server.address() as AddressInfo).port };
}

let loopbackOnly: { server: Server; port: number };
let everywhere: { server: Server; port: number };
let address: string | undefined;

beforeAll(async () => {
  loopbackOnly = await tags("127.0.0.1");
  everywhere = await tags("0.0.0.0");
  address = await dockerHostAddress();
});
afterAll(async () => {
  loopbackOnly?.server.close();
  everywhere?.server.close();
});

describe("init: can the chosen runtime reach the local backend?", () => {
  it("this machine has an address a container reaches it at", () => {
    expect(address, "no non-loopback IPv4 address on this machine").toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it("Docker + a backend listening on 127.0.0.1 only: a warning saying why and how to fix it", async () => {
    const url = `http://127.0.0.1:${loopbackOnly.port}`;
    const probe = await probeLocalBackend("ollama", url);
    expect(probe.ok).toBe(true);
    const notes = (await runtimeReachNotes("docker", "ollama", url, probe, address)).join("\n");
    expect(notes).toContain(`reached as host.docker.internal (${address} on this machine)`);
    expect(notes).toContain("answers only on 127.0.0.1");
    expect(notes).toContain(`OLLAMA_HOST=0.0.0.0:${loopbackOnly.port}`);
    expect(notes).toContain("or choose the process runtime");
  });

  it("no warning when the backend listens on every address, for the process runtime, or when the backend is down", async () => {
    const url = `http://127.0.0.1:${everywhere.port}`;
    const probe = await probeLocalBackend("ollama", url);
    expect(await runtimeReachNotes("docker", "ollama", url, probe, address)).toEqual([]);
    const loop = `http://127.0.0.1:${loopbackOnly.port}`;
    expect(await runtimeReachNotes("process", "ollama", loop, await probeLocalBackend("ollama", loop), address)).toEqual([]);
    expect(await runtimeReachNotes("docker", "ollama", "http://127.0.0.1:1", { ok: false, url: "x", reason: "refused" }, address)).toEqual([]);
  });
});
