import { afterEach, describe, expect, it } from "vitest";
import { startRecordingCloud, startRecordingOllama, type RecordingBackend } from "../support/recording-backends.js";

const started: RecordingBackend[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((b) => b.stop()));
});

async function readNdjson(res: Response): Promise<Array<Record<string, unknown>>> {
  return (await res.text()).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("recording Ollama", () => {
  it("answers tags, version, chat (streamed and not) and generate, and records each request", async () => {
    const o = await startRecordingOllama({ reply: "hi there" });
    started.push(o);
    expect(((await (await fetch(`${o.url}/api/tags`)).json()) as { models: Array<{ name: string }> }).models[0]?.name).toBe("llama3.1:8b");
    expect(((await (await fetch(`${o.url}/api/version`)).json()) as { version: string }).version).toMatch(/^\d/);
    const chat = await fetch(`${o.url}/api/chat`, { method: "POST", body: JSON.stringify({ model: "llama3.1:8b", stream: false, messages: [{ role: "user", content: "x" }] }) });
    expect(((await chat.json()) as { message: { content: string } }).message.content).toBe("hi there");
    const lines = await readNdjson(await fetch(`${o.url}/api/chat`, { method: "POST", body: JSON.stringify({ model: "m", messages: [] }) }));
    expect(lines.at(-1)?.done).toBe(true);
    expect(lines.slice(0, -1).map((l) => (l.message as { content: string }).content).join("")).toBe("hi there");
    const gen = await fetch(`${o.url}/api/generate`, { method: "POST", body: JSON.stringify({ model: "m", prompt: "p", stream: false }) });
    expect(((await gen.json()) as { response: string }).response).toBe("hi there");
    expect(o.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /api/tags", "GET /api/version", "POST /api/chat", "POST /api/chat", "POST /api/generate"]);
    expect(o.modelCalls()).toHaveLength(3);
    expect((o.requests[2]?.body as { messages: unknown[] }).messages).toEqual([{ role: "user", content: "x" }]);
  });

  it("fails with 500 on purpose, delays, and refuses connections once stopped until restarted", async () => {
    const o = await startRecordingOllama({ failing: true, delayMs: 150 });
    started.push(o);
    const t0 = Date.now();
    const res = await fetch(`${o.url}/api/chat`, { method: "POST", body: JSON.stringify({ model: "m", stream: false }) });
    expect(res.status).toBe(500);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    await o.stop();
    await expect(fetch(`${o.url}/api/tags`)).rejects.toThrow();
    await o.restart();
    o.setFailing(false);
    o.setDelay(0);
    expect((await fetch(`${o.url}/api/chat`, { method: "POST", body: JSON.stringify({ model: "m", stream: false }) })).status).toBe(200);
  });
});

describe("recording cloud", () => {
  it("answers models and chat completions with usage, streamed as SSE and not", async () => {
    const c = await startRecordingCloud({ reply: "cloud says hi" });
    started.push(c);
    expect(c.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const models = (await (await fetch(`${c.url}/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toEqual(["gpt-4o-mini"]);
    const plain = (await (await fetch(`${c.url}/chat/completions`, { method: "POST", headers: { authorization: "Bearer sk-x" }, body: JSON.stringify({ model: "gpt-4o-mini", messages: [] }) })).json()) as {
      choices: Array<{ message: { content: string } }>;
      usage: { total_tokens: number };
    };
    expect(plain.choices[0]?.message.content).toBe("cloud says hi");
    expect(plain.usage.total_tokens).toBeGreaterThan(0);
    const sse = await (await fetch(`${c.url}/chat/completions`, { method: "POST", body: JSON.stringify({ model: "m", stream: true, stream_options: { include_usage: true } }) })).text();
    const events = sse.split("\n\n").filter(Boolean).map((e) => e.replace(/^data: /, ""));
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { choices: Array<{ delta: { content?: string } }>; usage?: unknown });
    expect(chunks.map((ch) => ch.choices[0]?.delta.content ?? "").join("")).toBe("cloud says hi");
    expect(chunks.at(-1)?.usage).toBeDefined();
    expect(c.modelCalls()).toHaveLength(2);
    expect(c.requests[1]?.headers.authorization).toBe("Bearer sk-x");
    c.clear();
    expect(c.requests).toHaveLength(0);
  });
});
