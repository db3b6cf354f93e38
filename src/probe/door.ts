/**
 * test-routes' checks of the front door: every client key sees exactly its aliases and is refused any other; an
 * unknown key is refused; a sample of every endpoint class the door keeps shut answers 401/403/404, for a client
 * key and for the master key alike. The endpoint lists and the clients come from the artifact's route map.
 */
import type { RouteMap } from "../artifact/types.js";
import { errorMessage, requestGateway, type GatewayRequest } from "./http.js";
import { promptBody } from "./probe-routes.js";
import type { CheckResult, GatewayResponse } from "./types.js";

/** One request of each class the door keeps shut (reference §3b): none of them may reach a handler. */
export const SHUT_ENDPOINTS: ReadonlyArray<{ name: string; req: Omit<GatewayRequest, "key" | "timeoutMs"> }> = [
  { name: "queue", req: { method: "POST", path: "/queue/chat/completions", body: { model: "x", messages: [{ role: "user", content: "probe" }] } } },
  { name: "provider pass-through", req: { method: "POST", path: "/openai/v1/chat/completions", body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "probe" }] } } },
  { name: "files", req: { method: "POST", path: "/v1/files", body: {} } },
  { name: "batches", req: { method: "GET", path: "/v1/batches" } },
  { name: "usage chat", req: { method: "POST", path: "/usage/ai/chat", body: { messages: [{ role: "user", content: "probe" }] } } },
  { name: "policy templates", req: { method: "GET", path: "/policy/templates/list" } },
  { name: "key management", req: { method: "POST", path: "/key/generate", body: {} } },
  { name: "model management", req: { method: "GET", path: "/model/info" } },
  { name: "path model", req: { method: "POST", path: "/engines/x/chat/completions", body: { messages: [{ role: "user", content: "probe" }] } } },
];

const shut = (res: GatewayResponse): boolean => res.error === undefined && [401, 403, 404, 405].includes(res.status);

function ids(res: GatewayResponse): string[] | undefined {
  try {
    return ((JSON.parse(res.text) as { data?: Array<{ id?: unknown }> }).data ?? []).map((m) => String(m.id)).sort();
  } catch {
    return undefined;
  }
}

export interface DoorProbeOptions {
  baseUrl: string;
  masterKey: string;
  /** client name → its key value (a client whose key is missing is reported, not probed) */
  clientKeys: Map<string, string | undefined>;
  map: RouteMap;
  timeoutMs: number;
}

export async function probeFrontDoor(o: DoorProbeOptions): Promise<CheckResult[]> {
  const { baseUrl, map, timeoutMs } = o;
  const base = { kind: "door" as const };
  const checks: CheckResult[] = [];
  const ask = (key: string | undefined, req: Omit<GatewayRequest, "key" | "timeoutMs">) => requestGateway(baseUrl, { ...req, ...(key ? { key } : {}), timeoutMs });

  const unknown = await ask("sk-gatewayctl-probe-unknown-key-0000000000", { path: "/v1/models" });
  checks.push(
    unknown.status === 401 || unknown.status === 403
      ? { ...base, name: "door unknown key", status: "pass", httpStatus: unknown.status, message: `an unknown key is refused (HTTP ${unknown.status})` }
      : { ...base, name: "door unknown key", status: "fail", ...(unknown.status ? { httpStatus: unknown.status } : {}), message: `an unknown key was not refused: ${unknown.error ?? `HTTP ${unknown.status}: ${errorMessage(unknown.text)}`}` },
  );

  for (const client of map.frontDoor.clients) {
    const key = o.clientKeys.get(client.name);
    if (!key) {
      checks.push({ ...base, name: `door client ${client.name}`, status: "fail", message: `client ${client.name}'s key ${client.keySecret} is not in the secrets provider: its door was not tested` });
      continue;
    }
    const listed = await ask(key, { path: "/v1/models" });
    const got = ids(listed);
    checks.push(
      got && JSON.stringify(got) === JSON.stringify(client.aliases)
        ? { ...base, name: `door client ${client.name} models`, status: "pass", httpStatus: listed.status, message: `/v1/models lists exactly its ${client.aliases.length} aliases` }
        : { ...base, name: `door client ${client.name} models`, status: "fail", ...(listed.status ? { httpStatus: listed.status } : {}), message: `/v1/models for ${client.name} lists ${got ? got.join(", ") || "nothing" : `no list (${listed.error ?? `HTTP ${listed.status}`})`}, expected ${client.aliases.join(", ")}` },
    );
    const outside = map.routes.find((r) => !client.aliases.includes(r.alias));
    if (outside) {
      const res = await ask(key, { path: "/v1/chat/completions", body: promptBody(outside.alias) });
      checks.push(
        res.status === 403
          ? { ...base, name: `door client ${client.name} outside alias`, route: outside.alias, status: "pass", httpStatus: 403, message: `${client.name} is refused ${outside.alias}, which is not among its aliases` }
          : { ...base, name: `door client ${client.name} outside alias`, route: outside.alias, status: "fail", ...(res.status ? { httpStatus: res.status } : {}), message: `${client.name} asked for ${outside.alias} (not its alias) and got ${res.error ?? `HTTP ${res.status}`}${res.status >= 200 && res.status < 300 ? ": the key is not limited to its aliases" : ""}` },
      );
    }
  }

  const keys: Array<[string, string]> = [["master key", o.masterKey]];
  const firstClient = map.frontDoor.clients.find((c) => o.clientKeys.get(c.name));
  if (firstClient) keys.push([`client ${firstClient.name}`, o.clientKeys.get(firstClient.name)!]);
  for (const [who, key] of keys) {
    for (const e of SHUT_ENDPOINTS) {
      const res = await ask(key, e.req);
      checks.push(
        shut(res)
          ? { ...base, name: `door ${who} ${e.name}`, status: "pass", httpStatus: res.status, message: `${e.req.path} is shut for the ${who} (HTTP ${res.status})` }
          : { ...base, name: `door ${who} ${e.name}`, status: "fail", ...(res.status ? { httpStatus: res.status } : {}), message: `${e.req.path} answered the ${who} with ${res.error ?? `HTTP ${res.status}: ${errorMessage(res.text)}`}: the front door does not keep it shut` },
      );
    }
  }
  return checks;
}
