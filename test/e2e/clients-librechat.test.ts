/**
 * LibreChat is a server application (MongoDB, Meilisearch) that cannot run here; its config schema ships in its npm
 * package librechat-data-provider (installed by scripts/setup-clients.sh). The generated librechat.yaml is parsed by
 * that schema: it must pass, and nothing gatewayctl wrote may be dropped (the schema strips unknown keys silently).
 */
import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli, tempDir } from "../support/cli.js";
import { LIBRECHAT_DATA_PROVIDER, requireClients } from "../support/clients.js";

type Schema = { safeParse(v: unknown): { success: boolean; data?: unknown; error?: { issues: unknown[] } } };
let configSchema: Schema;
let dir: string;
let cleanup: () => Promise<void>;
let generated: Record<string, any>;

/** Every key and value we wrote, present unchanged in what the schema returned. */
function dropped(ours: unknown, parsed: unknown, path = ""): string[] {
  if (typeof ours !== "object" || ours === null) return JSON.stringify(ours) === JSON.stringify(parsed) ? [] : [path];
  if (typeof parsed !== "object" || parsed === null) return [path];
  return Object.entries(ours).flatMap(([k, v]) => dropped(v, (parsed as Record<string, unknown>)[k], `${path}.${k}`));
}

beforeAll(async () => {
  requireClients();
  configSchema = (createRequire(import.meta.url)(LIBRECHAT_DATA_PROVIDER) as { configSchema: Schema }).configSchema;
  ({ dir, cleanup } = await tempDir("gatewayctl-librechat-"));
  const out = join(dir, "librechat.yaml");
  const r = await runCli(["clients", "librechat", "--policy", join(ROOT, "test/fixtures/clients/gateway.policy.yaml"), "--out", out]);
  expect(r.exitCode, r.stderr).toBe(0);
  generated = parseYaml(await readFile(out, "utf8")) as Record<string, any>;
});
afterAll(async () => cleanup?.());

describe("librechat.yaml against LibreChat's own config schema", () => {
  it("passes, with every key kept: one custom endpoint on the gateway, the aliases only, a local-only title model", () => {
    const r = configSchema.safeParse(generated);
    expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
    expect(dropped(generated, r.data)).toEqual([]);
    const endpoint = generated.endpoints.custom[0];
    expect(endpoint).toMatchObject({ name: "gatewayctl", baseURL: "http://127.0.0.1:4123/v1", apiKey: "${LITELLM_API_KEY}", titleModel: "secure-core" });
    expect(endpoint.models).toEqual({ default: ["routine-router", "secure-core", "private-coder", "coding", "general-smart"], fetch: false });
  });

  it("the check can fail: a mistyped key is dropped by the schema and reported, a wrong type is refused", () => {
    const typo = structuredClone(generated);
    typo.endpoints.custom[0].titelModel = "coding";
    const r = configSchema.safeParse(typo);
    expect(dropped(typo, r.data)).toEqual([".endpoints.custom.0.titelModel"]);
    const wrong = structuredClone(generated);
    wrong.endpoints.custom[0].models = "secure-core";
    expect(configSchema.safeParse(wrong).success).toBe(false);
  });
});
