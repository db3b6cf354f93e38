import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Stand-ins for what cannot run here: model servers. Two small real HTTP servers on 127.0.0.1:0, one speaking
 * Ollama's API and one an OpenAI-compatible "cloud" API. Both record every request they receive, so a test can
 * prove which backend a prompt reached, and that the cloud one received nothing.
 */

export interface RecordedRequest {
  method: string;
  /** path without the query string */
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  /** parsed JSON body, the raw text when it is not JSON, undefined when empty */
  body: unknown;
  receivedAt: number;
}

export interface RecordingBackendOptions {
  /** answer every request after this many milliseconds (default 0) */
  delayMs?: number;
  /** answer model calls with HTTP 500 (default false); metadata endpoints still answer */
  failing?: boolean;
  /** model names the backend lists (default: one per backend kind) */
  models?: string[];
  /** the assistant text of every answer */
  reply?: string;
  /**
   * where to listen (default 127.0.0.1). A gateway in a container reaches the host as host.docker.internal (the
   * Docker bridge's gateway address), so Docker tests listen on 0.0.0.0; the URL stays the loopback one the policy names.
   */
  listenHost?: string;
}

export interface RecordingBackend {
  readonly kind: "ollama" | "cloud";
  /** base URL as a policy writes it: `http://127.0.0.1:PORT` for Ollama, `http://127.0.0.1:PORT/v1` for the cloud */
  readonly url: string;
  readonly port: number;
  /** every request received since start or the last clear(), oldest first */
  readonly requests: RecordedRequest[];
  /** requests that asked for a completion (chat or generate) */
  modelCalls(): RecordedRequest[];
  clear(): void;
  setDelay(ms: number): void;
  setFailing(failing: boolean): void;
  /** stop listening (a dead backend); connections are refused until restart() */
  stop(): Promise<void>;
  /** same as stop() */
  close(): Promise<void>;
  /** listen again on the same port */
  restart(): Promise<void>;
  readonly listening: boolean;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: unknown, state: State) => void;

interface State {
  delayMs: number;
  failing: boolean;
  models: string[];
  reply: string;
}

const MODEL_CALL_PATHS = new Set(["/api/chat", "/api/generate", "/v1/chat/completions", "/v1/completions"]);

export async function startRecordingOllama(options: RecordingBackendOptions = {}): Promise<RecordingBackend> {
  return startRecordingBackend("ollama", options, handleOllama, "");
}

export async function startRecordingCloud(options: RecordingBackendOptions = {}): Promise<RecordingBackend> {
  return startRecordingBackend("cloud", options, handleCloud, "/v1");
}

async function startRecordingBackend(
  kind: "ollama" | "cloud",
  options: RecordingBackendOptions,
  handler: Handler,
  urlSuffix: string,
): Promise<RecordingBackend> {
  const state: State = {
    delayMs: options.delayMs ?? 0,
    failing: options.failing ?? false,
    models: options.models ?? (kind === "ollama" ? ["llama3.1:8b"] : ["gpt-4o-mini"]),
    reply: options.reply ?? `hello from the ${kind} recorder`,
  };
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import("node:net").Socket>();
  let server: Server = makeServer();
  let port = 0;
  let listening = false;

  function makeServer(): Server {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = undefined;
        if (text.length > 0) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        }
        const url = new URL(req.url ?? "/", "http://recorder");
        requests.push({
          method: req.method ?? "GET",
          path: url.pathname,
          query: url.search,
          headers: req.headers,
          body,
          receivedAt: Date.now(),
        });
        const answer = (): void => {
          try {
            handler(req, res, body, state);
          } catch (err) {
            res.writeHead(500, { "content-type": "application/json" });
            res.end(JSON.stringify({ error: String(err) }));
          }
        };
        if (state.delayMs > 0) setTimeout(answer, state.delayMs);
        else answer();
      });
    });
    s.on("connection", (sock) => {
      sockets.add(sock);
      sock.on("close", () => sockets.delete(sock));
    });
    return s;
  }

  async function listen(onPort: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(onPort, options.listenHost ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    port = (server.address() as AddressInfo).port;
    listening = true;
  }

  async function stop(): Promise<void> {
    if (!listening) return;
    listening = false;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const sock of sockets) sock.destroy();
    });
  }

  await listen(0);

  return {
    kind,
    get url() {
      return `http://127.0.0.1:${port}${urlSuffix}`;
    },
    get port() {
      return port;
    },
    requests,
    modelCalls: () => requests.filter((r) => r.method === "POST" && MODEL_CALL_PATHS.has(r.path)),
    clear: () => {
      requests.length = 0;
    },
    setDelay: (ms) => {
      state.delayMs = ms;
    },
    setFailing: (failing) => {
      state.failing = failing;
    },
    stop,
    close: stop,
    restart: async () => {
      if (listening) return;
      server = makeServer();
      await listen(port);
    },
    get listening() {
      return listening;
    },
  };
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function bodyField(body: unknown, key: string): unknown {
  return body && typeof body === "object" ? (body as Record<string, unknown>)[key] : undefined;
}

function words(text: string): string[] {
  return text.split(/(?<= )/);
}

function handleOllama(req: IncomingMessage, res: ServerResponse, body: unknown, state: State): void {
  const path = new URL(req.url ?? "/", "http://recorder").pathname;
  const model = String(bodyField(body, "model") ?? state.models[0]);
  const createdAt = new Date().toISOString();
  if (req.method === "GET" && path === "/api/version") return json(res, 200, { version: "0.6.0" });
  if (req.method === "GET" && path === "/api/tags") {
    return json(res, 200, {
      models: state.models.map((name) => ({
        name,
        model: name,
        modified_at: createdAt,
        size: 4_920_753_328,
        digest: "0".repeat(64),
        details: { format: "gguf", family: "llama", parameter_size: "8.0B", quantization_level: "Q4_K_M" },
      })),
    });
  }
  if (req.method === "POST" && path === "/api/show") {
    return json(res, 200, { details: { family: "llama" }, model_info: { "llama.context_length": 8192 }, template: "" });
  }
  const isChat = req.method === "POST" && path === "/api/chat";
  const isGenerate = req.method === "POST" && path === "/api/generate";
  if (!isChat && !isGenerate) return json(res, 404, { error: `recording ollama: no route ${req.method} ${path}` });
  if (state.failing) return json(res, 500, { error: "recording ollama: failing on purpose" });
  const counts = { prompt_eval_count: 7, eval_count: words(state.reply).length, total_duration: 1_000_000, eval_duration: 500_000 };
  const piece = (text: string): Record<string, unknown> =>
    isChat ? { message: { role: "assistant", content: text } } : { response: text };
  if (bodyField(body, "stream") !== false) {
    // Ollama streams by default: newline-delimited JSON, the last line carries done and the counts
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    for (const w of words(state.reply)) res.write(`${JSON.stringify({ model, created_at: createdAt, ...piece(w), done: false })}\n`);
    res.end(`${JSON.stringify({ model, created_at: createdAt, ...piece(""), done: true, done_reason: "stop", ...counts })}\n`);
    return;
  }
  json(res, 200, { model, created_at: createdAt, ...piece(state.reply), done: true, done_reason: "stop", ...counts });
}

function handleCloud(req: IncomingMessage, res: ServerResponse, body: unknown, state: State): void {
  const path = new URL(req.url ?? "/", "http://recorder").pathname;
  const model = String(bodyField(body, "model") ?? state.models[0]);
  const created = Math.floor(Date.now() / 1000);
  if (req.method === "GET" && path === "/v1/models") {
    return json(res, 200, { object: "list", data: state.models.map((id) => ({ id, object: "model", created, owned_by: "recorder" })) });
  }
  if (!(req.method === "POST" && path === "/v1/chat/completions")) {
    return json(res, 404, { error: { message: `recording cloud: no route ${req.method} ${path}`, type: "invalid_request_error" } });
  }
  if (state.failing) return json(res, 500, { error: { message: "recording cloud: failing on purpose", type: "server_error" } });
  const id = `chatcmpl-recorder-${created}`;
  const usage = { prompt_tokens: 7, completion_tokens: words(state.reply).length, total_tokens: 7 + words(state.reply).length };
  if (bodyField(body, "stream") === true) {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}): string =>
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
    res.write(chunk({ role: "assistant", content: "" }, null));
    for (const w of words(state.reply)) res.write(chunk({ content: w }, null));
    res.write(chunk({}, "stop"));
    const streamOptions = bodyField(body, "stream_options");
    if (streamOptions && typeof streamOptions === "object" && (streamOptions as Record<string, unknown>).include_usage) {
      res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [], usage })}\n\n`);
    }
    res.end("data: [DONE]\n\n");
    return;
  }
  json(res, 200, {
    id,
    object: "chat.completion",
    created,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: state.reply }, finish_reason: "stop" }],
    usage,
  });
}
