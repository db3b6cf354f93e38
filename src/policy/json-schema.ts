/**
 * The JSON Schema of the policy file, generated from the zod schema so editors (yaml-language-server) complete
 * and check the file. `npm run build` writes it to schema/gateway.policy.schema.json; a test keeps the
 * committed file equal to what this produces.
 */
import { z } from "zod";
import { PolicySchema } from "./schema.js";

export const POLICY_SCHEMA_ID = "urn:gatewayctl:schema:gateway-policy:v1";
export const POLICY_SCHEMA_FILE = "schema/gateway.policy.schema.json";

/** The schema as an object: draft-07 (the widest editor support), input shape (keys with defaults are optional). */
export function policyJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(PolicySchema, { io: "input", target: "draft-7", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: POLICY_SCHEMA_ID,
    title: "gatewayctl policy (version 1)",
    ...rest,
  };
}

/** The file's exact text: two-space JSON with a final newline, identical for the same schema. */
export function policyJsonSchemaText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}
