import { Document, isMap, isPair, isScalar, type Pair, type YAMLMap } from "yaml";
import type { PolicyInput } from "../policy/schema.js";
import type { InitAnswers } from "./answers.js";
import {
  CLOUD,
  DEFAULT_INIT_CLIENTS,
  INIT_CLIENT_CHOICES,
  INIT_CLIENTS,
  LANES,
  MASTER_KEY_SECRET,
  type CloudProvider,
  type CloudModelTemplate,
  type InitClient,
  type InitClientChoice,
  type LaneKey,
} from "./catalog.js";

/**
 * Pure: the policy `init` writes, as data, then as a commented YAML document. Routes by lane:
 *   private  -> secure-core and local-model (local-only)
 *   routine  -> routine-router (local first; a cheap cloud model as fallback when the lane may leave the network)
 *   coding   -> coding (local first; a strong cloud model as fallback when the lane may leave)
 *   web      -> web-model (a cheap cloud model, the local one as fallback; local only when the lane stays home)
 *   premium  -> general-smart (the strongest allowed cloud model, then another provider's, then local)
 */

export const ROUTE_ALIASES: Record<LaneKey, string[]> = {
  private: ["secure-core", "local-model"],
  routine: ["routine-router"],
  coding: ["coding"],
  web: ["web-model"],
  premium: ["general-smart"],
};

/** A policy key (backends, models) from a model name: `llama3.1:8b` -> `llama3.1-8b`. */
export function keyFromName(name: string): string {
  const k = name
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .replace(/-+$/, "")
    .slice(0, 56);
  return k === "" ? "model" : k;
}

export function localModelKey(name: string): string {
  return `local-${keyFromName(name)}`;
}

export function cloudModelKey(provider: CloudProvider, model: CloudModelTemplate): string {
  return `${provider}-${keyFromName(model.name.replace(/^.*\//, ""))}`;
}

/** Does this lane send requests to the cloud under these answers? */
export function laneIsOpen(answers: InitAnswers, lane: LaneKey): boolean {
  return lane !== "private" && answers.cloud.length > 0 && answers.cloudLanes.includes(lane);
}

export function buildPolicy(answers: InitAnswers): PolicyInput {
  const backends: PolicyInput["backends"] = {
    local: {
      type: answers.local.type,
      url: answers.local.url,
      location: "local",
      description: answers.local.type === "ollama" ? "Ollama on this machine or network" : "OpenAI-compatible local server",
    },
  };
  const models: PolicyInput["models"] = {};
  const lanes: PolicyInput["lanes"] = {};
  const routes: PolicyInput["routes"] = {};

  const localModel = (lane: LaneKey): string => {
    const name = answers.laneModels[lane];
    if (!name) throw new Error(`no local model chosen for lane ${lane}`);
    const key = localModelKey(name);
    models[key] ??= { backend: "local", name };
    return key;
  };
  const cloudModel = (provider: CloudProvider, tier: "cheap" | "smart"): string => {
    const t = CLOUD[provider][tier];
    const key = cloudModelKey(provider, t);
    models[key] ??= {
      backend: provider,
      name: t.name,
      price: { ...t.price },
      contextWindow: t.contextWindow,
      maxTokens: t.maxTokens,
    };
    return key;
  };

  for (const provider of answers.cloud) {
    backends[provider] = {
      type: provider,
      location: "cloud",
      apiKey: { secret: CLOUD[provider].secret },
      description: `${CLOUD[provider].label} (cloud)`,
    };
  }
  const [first, second] = answers.cloud;

  for (const lane of answers.lanes) {
    const t = LANES[lane];
    const open = laneIsOpen(answers, lane);
    lanes[lane] = {
      privacy: open ? t.openPrivacy : "local-only",
      // the description must say what the lane does under its privacy: a closed lane has no cloud fallback
      description: open ? t.description : t.localDescription,
      ...(open && t.maxPrice ? { maxPrice: { ...t.maxPrice } } : {}),
    };
    const local = localModel(lane);
    switch (lane) {
      case "private":
        routes["secure-core"] = { lane, model: local, fallbacks: [], description: "Private work: local model only, no fallback." };
        routes["local-model"] = {
          lane,
          model: local,
          fallbacks: [],
          description: "The local model under a plain name, for tools that just need a local endpoint.",
        };
        break;
      case "routine":
        routes["routine-router"] = {
          lane,
          model: local,
          fallbacks: open && first ? [cloudModel(first, "cheap")] : [],
          description: open ? "Everyday tasks: local first, a cheap cloud model if the local one fails." : "Everyday tasks on the local model.",
        };
        break;
      case "coding":
        routes.coding = {
          lane,
          model: local,
          fallbacks: open && first ? [cloudModel(first, "smart")] : [],
          description: open ? "Code: local first, a strong cloud model if the local one fails." : "Code on the local model.",
        };
        break;
      case "web":
        routes["web-model"] = open && first
          ? { lane, model: cloudModel(first, "cheap"), fallbacks: [local], description: "Public web content: a cheap cloud model, local as fallback." }
          : { lane, model: local, fallbacks: [], description: "Public web content on the local model." };
        break;
      case "premium":
        routes["general-smart"] = open && first
          ? {
              lane,
              model: cloudModel(first, "smart"),
              fallbacks: [...(second ? [cloudModel(second, "smart")] : []), local],
              description: "Hard problems: the strongest allowed cloud model, then fallbacks.",
            }
          : { lane, model: local, fallbacks: [], description: "Hard problems on the local model." };
        break;
    }
  }

  const secrets: NonNullable<PolicyInput["secrets"]> = { provider: answers.secrets.provider };
  if (answers.secrets.provider === "env-file") secrets.file = answers.secrets.file;
  if (answers.secrets.provider === "command") secrets.command = answers.secrets.command;

  return {
    version: 1,
    gateway: {
      port: answers.port ?? 4000,
      bind: "127.0.0.1",
      runtime: answers.runtime,
      ...(answers.runtime === "docker" && answers.image ? { image: answers.image } : {}),
      masterKey: { secret: MASTER_KEY_SECRET },
    },
    secrets,
    backends,
    models,
    lanes,
    routes,
    clients: initClients(lanes, routes, answers.clients ?? [...DEFAULT_INIT_CLIENTS]),
  };
}

/**
 * Each chosen client its own key and aliases, by its scope (INIT_CLIENTS): OpenClaw's default agent every lane that
 * may leave the house, its private agent (when there are both kinds) the local-only lanes, scripts the everyday
 * route, coding tools the private and coding lanes, chat UIs and llm every lane.
 */
function initClients(
  lanes: NonNullable<PolicyInput["lanes"]>,
  routes: NonNullable<PolicyInput["routes"]>,
  chosen: readonly InitClientChoice[],
): NonNullable<PolicyInput["clients"]> {
  const all = Object.keys(lanes);
  const local = all.filter((k) => lanes[k]!.privacy === "local-only");
  const open = all.filter((k) => lanes[k]!.privacy !== "local-only");
  const coding = all.filter((k) => k === "private" || k === "coding");
  const scopes: Record<(typeof INIT_CLIENTS)[InitClient]["scope"], { lanes?: string[]; routes?: string[] }> = {
    open: { lanes: open.length ? open : local },
    local: { lanes: local },
    everyday: routes["routine-router"] ? { routes: ["routine-router"] } : { lanes: all },
    coding: { lanes: coding.length ? coding : all },
    all: { lanes: all },
  };
  const clients: NonNullable<PolicyInput["clients"]> = {};
  const add = (name: InitClient) => {
    clients[name] = { key: { secret: INIT_CLIENTS[name].secret }, ...scopes[INIT_CLIENTS[name].scope], description: INIT_CLIENTS[name].description };
  };
  for (const name of INIT_CLIENT_CHOICES.filter((c) => chosen.includes(c))) {
    add(name);
    if (name === "openclaw" && local.length && open.length) add("openclaw-private");
  }
  return clients;
}

/** Secret names of the clients the policy gets. */
export function clientSecretNames(answers: InitAnswers): string[] {
  return Object.values(buildPolicy(answers).clients ?? {}).map((c) => c.key.secret);
}

/** Cloud providers some route can reach (an allowed provider no lane may use needs no key yet). */
export function usedCloudProviders(answers: InitAnswers): CloudProvider[] {
  const models = Object.values(buildPolicy(answers).models);
  return answers.cloud.filter((c) => models.some((m) => m.backend === c));
}

/** Names of every secret the gateway needs at start, master key first, then the cloud keys, then the clients' keys. */
export function secretNames(answers: InitAnswers): string[] {
  return [MASTER_KEY_SECRET, ...usedCloudProviders(answers).map((c) => CLOUD[c].secret), ...clientSecretNames(answers)];
}

function pairOf(map: unknown, key: string): Pair | undefined {
  if (!isMap(map)) return undefined;
  return (map as YAMLMap).items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key) as Pair | undefined;
}

function commentKey(map: unknown, key: string, comment: string): void {
  const pair = pairOf(map, key);
  if (pair && isScalar(pair.key)) {
    pair.key.commentBefore = comment
      .split("\n")
      .map((l) => ` ${l}`)
      .join("\n");
    pair.key.spaceBefore = true;
  }
}

/** Pure: the policy as a commented YAML document. */
export function renderPolicyYaml(answers: InitAnswers): string {
  const doc = new Document(buildPolicy(answers));
  doc.commentBefore = [
    " gatewayctl policy: which models exist, which work lanes may use them, and where each route alias may send a request.",
    " Written by `gatewayctl init`. Check it with `gatewayctl build`, which proves that no local-only route can reach",
    " the cloud before it writes generated/ (commit generated/; it is what the gateway runs).",
    " Secret values never go in this file: only their names ({secret: NAME}), resolved when the gateway starts.",
  ].join("\n");
  const root = doc.contents;
  commentKey(
    root,
    "gateway",
    "The LiteLLM proxy. Clients use http://127.0.0.1:4000/v1 and send a route alias as `model`.\n" +
      "runtime docker: loopback backend URLs become host.docker.internal inside the container.",
  );
  commentKey(
    root,
    "secrets",
    answers.secrets.provider === "env-file"
      ? "Secret values come from this dotenv file (mode 0600, git-ignored), never from this policy."
      : answers.secrets.provider === "command"
        ? "Secret values come from this command ({name} is the secret name), run without a shell."
        : "Secret values come from the environment of `gatewayctl start`.",
  );
  commentKey(
    root,
    "backends",
    "Model servers. location says where requests go; gatewayctl checks it against the URL.\n" +
      (answers.cloud.length === 0 ? "No cloud provider: nothing in this policy can leave your network." : "Cloud keys are secret names, not values."),
  );
  commentKey(root, "models", "One entry per model on a backend. Cloud models carry a price (USD per 1M tokens): check current prices.");
  commentKey(
    root,
    "lanes",
    "Kinds of work. privacy: local-only (never leaves the network), local-first (local, cloud only as a listed\n" +
      "fallback), cloud-allowed. maxPrice caps every model a lane's routes can reach.",
  );
  commentKey(root, "routes", "Route aliases: what clients send as `model`. Fallbacks are tried in order when the primary fails.");
  commentKey(
    root,
    "clients",
    "Who may call the gateway: each client its own key (a secret name) and the aliases it may use. The gateway admits\n" +
      "only these keys, each with only its aliases; the master key is gatewayctl's alone. `gatewayctl clients <name>`\n" +
      "writes each client's config with its own key variable.",
  );
  return doc.toString({ lineWidth: 0 });
}
