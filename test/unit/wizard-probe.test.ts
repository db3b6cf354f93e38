import { afterEach, describe, expect, it } from "vitest";
import { modelListUrl, normaliseLocalUrl, probeLocalBackend } from "../../src/wizard/probe.js";
import { closedPort, startOllamaModelList, startOpenAIModelList, type ModelListServer } from "../support/model-list-servers.js";

const servers: ModelListServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function track(p: Promise<ModelListServer>): Promise<ModelListServer> {
  const s = await p;
  servers.push(s);
  return s;
}

describe("probeLocalBackend against recording model-list servers", () => {
  it("Ollama: GET /api/tags, the installed models in the server's order", async () => {
    const s = await track(startOllamaModelList(["llama3.1:8b", "qwen2.5-coder:7b"]));
    const r = await probeLocalBackend("ollama", s.url);
    expect(r).toEqual({ ok: true, url: `${s.url}/api/tags`, models: ["llama3.1:8b", "qwen2.5-coder:7b"] });
    expect(s.requests).toEqual([{ method: "GET", path: "/api/tags" }]);
  });

  it("OpenAI-compatible: GET /v1/models", async () => {
    const s = await track(startOpenAIModelList(["Qwen/Qwen2.5-7B-Instruct"]));
    const r = await probeLocalBackend("openai-compatible", s.url);
    expect(r).toEqual({ ok: true, url: `${s.url}/models`, models: ["Qwen/Qwen2.5-7B-Instruct"] });
    expect(s.requests).toEqual([{ method: "GET", path: "/v1/models" }]);
  });

  it("an unreachable backend is a plain result, not an exception", async () => {
    const port = await closedPort();
    const r = await probeLocalBackend("ollama", `http://127.0.0.1:${port}`);
    expect(r).toEqual({ ok: false, url: `http://127.0.0.1:${port}/api/tags`, reason: "connection refused (nothing listens there)" });
  });

  it("a slow backend times out quickly", async () => {
    const s = await track(startOllamaModelList(["x"], { delayMs: 2000 }));
    const started = Date.now();
    const r = await probeLocalBackend("ollama", s.url, 200);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(r).toMatchObject({ ok: false, reason: "no answer within 0.2 s" });
  });

  it("an HTTP error or the wrong kind of server is said plainly", async () => {
    const failing = await track(startOllamaModelList(["x"], { status: 500 }));
    expect(await probeLocalBackend("ollama", failing.url)).toMatchObject({ ok: false, reason: "HTTP 500 Internal Server Error" });
    const openai = await track(startOpenAIModelList(["x"]));
    // Ollama's path on an OpenAI-compatible server: 404
    expect(await probeLocalBackend("ollama", openai.url.replace(/\/v1$/, ""))).toMatchObject({ ok: false, reason: "HTTP 404 Not Found" });
  });

  it("URLs: /v1 added to a bare OpenAI-compatible URL, trailing slashes dropped", () => {
    expect(normaliseLocalUrl("openai-compatible", "http://127.0.0.1:8000")).toBe("http://127.0.0.1:8000/v1");
    expect(normaliseLocalUrl("openai-compatible", "http://127.0.0.1:8000/v1/")).toBe("http://127.0.0.1:8000/v1");
    expect(normaliseLocalUrl("ollama", "http://127.0.0.1:11434/")).toBe("http://127.0.0.1:11434");
    expect(modelListUrl("ollama", "http://h:1/")).toBe("http://h:1/api/tags");
  });
});
