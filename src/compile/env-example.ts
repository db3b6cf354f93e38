import type { Policy } from "../policy/schema.js";
import type { GeneratedMeta } from "./header.js";
import { hashHeader } from "./header.js";
import type { GatewayPlan } from "./route-map.js";

/** Every secret name the gateway needs, each with what it is for; never a value. */
export function renderEnvExample(policy: Policy, plan: GatewayPlan, meta: GeneratedMeta): string {
  const where =
    policy.secrets.provider === "env-file"
      ? `Put the values in ${policy.secrets.file ?? "the secrets file"} (mode 0600), never in the runtime directory or Git.`
      : policy.secrets.provider === "command"
        ? `Values come from the secrets command (${policy.secrets.command ?? "secrets.command"}), one name at a time.`
        : "Values come from the environment of the process that runs gatewayctl.";
  const purpose = new Map<string, string[]>();
  const add = (name: string, why: string): void => {
    purpose.set(name, [...(purpose.get(name) ?? []), why]);
  };
  add(policy.gateway.masterKey.secret, "LiteLLM proxy master key: gatewayctl's own (test-routes, the drill), never a client's; must start with sk-");
  for (const [backend, name] of Object.entries(plan.backendSecrets).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const type = policy.backends[backend]?.type ?? "backend";
    add(name, `API key of backend "${backend}" (${type})`);
  }
  for (const [client, c] of Object.entries(policy.clients).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    add(c.key.secret, `gateway key of client "${client}" (give that client this value; any long random string)`);
  }
  const redis = policy.scale?.redis;
  if (redis) {
    add(redis.password.secret, `password of the Redis the replicas share router state through${redis.bundled ? " (gatewayctl's bundled one: any long random string)" : ""}`);
    if (redis.host) add(redis.host.secret, "host of the existing Redis the replicas share router state through");
    if (typeof redis.port === "object") add(redis.port.secret, "port of the existing Redis the replicas share router state through");
  }
  const lines = [hashHeader(meta, `Secret names the gateway needs. ${where}`).trimEnd()];
  for (const name of [...purpose.keys()].sort()) {
    lines.push("", `# ${(purpose.get(name) ?? ["secret"]).join("; ")}`, `${name}=`);
  }
  return `${lines.join("\n")}\n`;
}
