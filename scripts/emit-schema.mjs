// Writes schema/gateway.policy.schema.json from the compiled zod schema (run by `npm run build` after tsc).
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { policyJsonSchemaText, POLICY_SCHEMA_FILE } = await import(
  pathToFileURL(join(root, "dist", "policy", "json-schema.js")).href
);
const target = join(root, POLICY_SCHEMA_FILE);
await mkdir(dirname(target), { recursive: true });
await writeFile(target, policyJsonSchemaText());
