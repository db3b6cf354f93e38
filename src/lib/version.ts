/** gatewayctl's own version, written into generated-file headers and container labels. Keep in step with package.json. */
export const GATEWAYCTL_VERSION = "0.1.0";
