/** Cloud vendors gatewayctl knows as backend types (a module without zod, so the CLI can list them cheaply). */
export const CLOUD_VENDOR_TYPES = ["openai", "anthropic", "openrouter"] as const;
export type CloudVendorType = (typeof CLOUD_VENDOR_TYPES)[number];

/** Whether a backend type is a cloud vendor's API (always `location: cloud`). */
export function isCloudVendorType(type: string): type is CloudVendorType {
  return (CLOUD_VENDOR_TYPES as readonly string[]).includes(type);
}
