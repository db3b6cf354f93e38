import type { Command } from "commander";

export function registerK8s(program: Command): void {
  const k8s = program.command("k8s").description("Kubernetes: the manifests are written by build into generated/k8s/");
  k8s
    .command("secrets")
    .description("print the Secret the gateway pods read, with values from the secrets provider, for `kubectl apply -f -` (never to a file or a terminal)")
    .option("--policy <file>", "policy file", "gateway.policy.yaml")
    .option("--build <dir>", "the build whose secrets to render (default: <policy dir>/generated)")
    .action(async (raw: Record<string, unknown>) => {
      const { z } = await import("zod");
      const { parseFlags } = await import("./flags.js");
      const flags = parseFlags(z.object({ policy: z.string().min(1), build: z.string().min(1).optional() }), raw);
      const { fstatSync } = await import("node:fs");
      const { InputError } = await import("../lib/errors.js");
      // the values go to kubectl through a pipe, never into a file or onto a screen
      const out = fstatSync(1);
      if (process.stdout.isTTY || out.isFile()) {
        throw new InputError(`gatewayctl k8s secrets prints secret values: refusing to write them ${out.isFile() ? "into a file" : "to a terminal"}`, {
          code: "SECRETS_NOT_PIPED",
          hint: "pipe it into kubectl: gatewayctl k8s secrets | kubectl apply -f -",
        });
      }
      const { join, resolve } = await import("node:path");
      const { loadPolicy } = await import("../policy/load-policy.js");
      const { readArtifact } = await import("../artifact/read.js");
      const { resolveSecrets } = await import("../runtime/secrets.js");
      const { secretManifest } = await import("../compile/kubernetes.js");
      const { toYaml } = await import("../artifact/yaml.js");
      const { DEFAULT_OUT_DIR } = await import("../artifact/gateway.js");
      const loaded = await loadPolicy(flags.policy);
      const k = loaded.policy.scale?.kubernetes;
      if (!k) {
        throw new InputError(`${loaded.file} has no scale.kubernetes section: build writes no Kubernetes manifests for it`, {
          code: "NO_KUBERNETES",
          hint: "add scale: { kubernetes: {} } (and redis) to the policy and run gatewayctl build",
        });
      }
      const artifact = await readArtifact(flags.build ? resolve(flags.build) : join(loaded.dir, DEFAULT_OUT_DIR));
      const facts = artifact.routeMap.gateway;
      const values = await resolveSecrets(loaded.policy, facts.secretNames, { policyDir: loaded.dir });
      // raw write: lib/output redacts every resolved value, and here the values are the point
      process.stdout.write(toYaml(secretManifest(facts, k.namespace, values)));
    });
}
