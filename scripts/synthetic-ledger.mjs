// A synthetic request ledger in the format templates/gatewayctl_ledger.py writes, for the benchmark of
// `gatewayctl report` (npm run bench). Records of the homelab example's aliases over the last `days` days, in time
// order, with local serves, cloud serves, cloud fallbacks, failures and refusals mixed in fixed proportions.
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

const ROUTES = [
  { alias: "secure-core", lane: "private", privacy: "local-only", primary: ["secure-core:llama", "llama", "local"] },
  { alias: "routine-router", lane: "routine", privacy: "local-first", primary: ["routine-router:llama", "llama", "local"], fallback: ["gw-fallback-mini:mini", "mini", "cloud", 0.15, 0.6] },
  { alias: "coding", lane: "coding", privacy: "local-first", primary: ["coding:coder", "coder", "local"], fallback: ["gw-fallback-mini:mini", "mini", "cloud", 0.15, 0.6] },
  { alias: "web-model", lane: "web", privacy: "cloud-allowed", primary: ["web-model:mini", "mini", "cloud", 0.15, 0.6], fallback: ["gw-fallback-sonnet:sonnet", "sonnet", "cloud", 3, 15] },
  { alias: "general-smart", lane: "premium", privacy: "cloud-allowed", primary: ["general-smart:sonnet", "sonnet", "cloud", 3, 15], fallback: ["gw-fallback-mini:mini", "mini", "cloud", 0.15, 0.6] },
];
const CLIENTS = ["openclaw", "openclaw-private", "scripts"];

/** Write `lines` records into `dir`/ledger.jsonl; resolves with the number of bytes written. */
export async function writeSyntheticLedger(dir, lines, { now = Date.now(), days = 7 } = {}) {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const out = createWriteStream(join(dir, "ledger.jsonl"), { mode: 0o600 });
  const start = now - days * 86_400_000;
  const step = (days * 86_400_000) / lines;
  let bytes = 0;
  let chunk = "";
  for (let i = 0; i < lines; i++) {
    const time = new Date(start + i * step).toISOString();
    const route = ROUTES[i % ROUTES.length];
    const client = CLIENTS[i % 3];
    const kind = i % 20; // 0: refused non-alias, 1: guard refusal, 2: failed, 3-4: fallback, else primary
    let r;
    if (kind === 0) r = { v: 1, time, client, requested: "gpt-4o", status: "refused", refusedBy: "guard", reason: `${client} may not use model 'gpt-4o'`, latencyMs: 3 };
    else if (kind === 1) r = { v: 1, time, client, alias: route.alias, lane: route.lane, privacy: route.privacy, status: "refused", refusedBy: "guard", reason: `${client} may not use model '${route.alias}'`, latencyMs: 2 };
    else if (kind === 2) r = { v: 1, time, client, alias: route.alias, lane: route.lane, privacy: route.privacy, status: "error", reason: "APIConnectionError", attempted: [route.alias], latencyMs: 900 };
    else {
      const useFallback = (kind === 3 || kind === 4) && route.fallback;
      const [deployment, model, location, pin = 0, pout = 0] = useFallback ? route.fallback : route.primary;
      const tokensIn = 200 + (i % 700);
      const tokensOut = 50 + (i % 300);
      r = {
        v: 1, time, client, alias: route.alias, lane: route.lane, privacy: route.privacy, deployment, model, location, status: "ok",
        servedBy: useFallback ? "fallback-1" : "primary", ...(useFallback ? { attempted: [route.alias], fallbackUsed: true } : {}),
        tokensIn, tokensOut, cost: Math.round(((tokensIn * pin + tokensOut * pout) / 1e6) * 1e10) / 1e10, costSource: "litellm", latencyMs: 40 + (i % 2000),
      };
    }
    chunk += `${JSON.stringify(r)}\n`;
    if (chunk.length > 1 << 20) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await new Promise((res) => out.once("drain", res));
      chunk = "";
    }
  }
  bytes += Buffer.byteLength(chunk);
  await new Promise((res, rej) => out.end(chunk, (err) => (err ? rej(err) : res())));
  return bytes;
}
