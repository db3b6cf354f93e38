import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Recording HTTP servers on 127.0.0.1:0 that speak the model-list APIs `gatewayctl init` probes: Ollama's
 * `GET /api/tags` and the OpenAI-compatible `GET /v1/models`. They stand in for a local model server (whose
 * weights cannot exist here) and record every request, so a test can prove what init asked for.
 */
export interface RecordedRequest {
  method: string;
  path: string;
}

export interface ModelListServer {
  /** base URL as a user would type it: `http://127.0.0.1:<port>` (Ollama) or `http://127.0.0.1:<port>/v1` (OpenAI-compatible) */
  url: string;
  port: number;
  requests: RecordedRequest[];
  close: () => Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return server;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function start(
  kind: "ollama" | "openai",
  models: string[],
  options: { status?: number; delayMs?: number } = {},
): Promise<ModelListServer> {
  const requests: RecordedRequest[] = [];
  const server = await listen((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    requests.push({ method: req.method ?? "GET", path });
    const reply = () => {
      if (options.status && options.status !== 200) return json(res, options.status, { error: "recording server told to fail" });
      if (kind === "ollama" && req.method === "GET" && path === "/api/tags") {
        return json(res, 200, {
          models: models.map((name) => ({
            name,
            model: name,
            modified_at: "2026-11-01T00:00:00Z",
            size: 4_000_000_000,
            digest: "0".repeat(64),
            details: { format: "gguf", family: "llama", parameter_size: "8B", quantization_level: "Q4_K_M" },
          })),
        });
      }
      if (kind === "openai" && req.method === "GET" && path === "/v1/models") {
        return json(res, 200, { object: "list", data: models.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "local" })) });
      }
      json(res, 404, { error: `no route ${req.method} ${path}` });
    };
    if (options.delayMs) setTimeout(reply, options.delayMs);
    else reply();
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: kind === "ollama" ? `http://127.0.0.1:${port}` : `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An Ollama-like server answering `GET /api/tags` with these installed models. */
export function startOllamaModelList(models: string[], options?: { status?: number; delayMs?: number }): Promise<ModelListServer> {
  return start("ollama", models, options);
}

/** An OpenAI-compatible server answering `GET /v1/models` with these models. */
export function startOpenAIModelList(models: string[], options?: { status?: number; delayMs?: number }): Promise<ModelListServer> {
  return start("openai", models, options);
}

/** A 127.0.0.1 port where nothing listens (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = await listen(() => undefined);
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
