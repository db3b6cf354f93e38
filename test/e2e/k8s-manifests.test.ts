// Kubernetes manifests, statically: no cluster can run here (ENVIRONMENT.md), so every manifest of `gatewayctl build`
// goes through kubernetes-validate --strict (offline schemas) for the version the README names.
import { existsSync } from "node:fs";
import { copyFile, readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { KUBERNETES_VERSION } from "../../src/compile/kubernetes.js";
import { ROOT, runCli, tempDir } from "../support/cli.js";

const VALIDATE = join(ROOT, ".tools-kubernetes-validate", "bin", "kubernetes-validate");
const POLICY = join(ROOT, "test", "fixtures", "scale", "scale.policy.yaml");

function requireValidator(): void {
  if (!existsSync(VALIDATE)) throw new Error(`kubernetes-validate is not installed at ${VALIDATE}: run bash scripts/setup-kubernetes-validate.sh`);
}

async function validate(files: string[]): Promise<{ exitCode: number; output: string }> {
  const r = await execa(VALIDATE, ["--strict", "-k", KUBERNETES_VERSION, ...files], { reject: false, all: true });
  return { exitCode: r.exitCode ?? -1, output: r.all ?? "" };
}

async function manifestsIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(".yaml")).map((e) => join(e.parentPath, e.name)).sort();
}

describe("generated/k8s/ under kubernetes-validate --strict", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let k8s: string;

  beforeAll(async () => {
    requireValidator();
    ({ dir, cleanup } = await tempDir("gatewayctl-k8s-"));
    await copyFile(POLICY, join(dir, "gateway.policy.yaml"));
    const r = await runCli(["build", "--policy", join(dir, "gateway.policy.yaml")]);
    expect(r.exitCode, r.stderr).toBe(0);
    k8s = join(dir, "generated", "k8s");
  });
  afterAll(async () => cleanup?.());

  it(`every manifest passes for Kubernetes ${KUBERNETES_VERSION}`, async () => {
    const files = await manifestsIn(k8s);
    expect(files.map((f) => relative(k8s, f))).toEqual([
      "00-namespace.yaml",
      "configmap.yaml",
      "deployment.yaml",
      "horizontalpodautoscaler.yaml",
      "networkpolicy.yaml",
      "poddisruptionbudget.yaml",
      "redis-deployment.yaml",
      "redis-networkpolicy.yaml",
      "redis-service.yaml",
      "secret-keys/gatewayctl-secrets.yaml",
      "service.yaml",
    ]);
    const r = await validate(files);
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output.match(/passed for resource/g)).toHaveLength(files.length);
  });

  it("a deliberate typo in a manifest is caught (an unknown field, and a wrong type)", async () => {
    const deployment = await readFile(join(k8s, "deployment.yaml"), "utf8");
    const typo = join(dir, "typo.yaml");
    await writeFile(typo, deployment.replace("readinessProbe:", "readinesProbe:"));
    const r = await validate([typo]);
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toMatch(/readinesProbe/);
    const wrongType = join(dir, "wrong-type.yaml");
    await writeFile(wrongType, deployment.replace(/replicas: 2/, "replicas: two"));
    expect((await validate([wrongType])).exitCode).not.toBe(0);
  });

  it("the ConfigMap holds the built config.yaml byte for byte, the one the build proved", async () => {
    const cm = parse(await readFile(join(k8s, "configmap.yaml"), "utf8")) as { data: Record<string, string> };
    expect(cm.data["config.yaml"]).toBe(await readFile(join(dir, "generated", "config.yaml"), "utf8"));
    expect(cm.data["gatewayctl_guard.py"]).toBe(await readFile(join(dir, "generated", "gatewayctl_guard.py"), "utf8"));
  });

  it("k8s secrets: a Secret with the provider's values on a pipe, refused into a file", async () => {
    const env = {
      LITELLM_MASTER_KEY: "sk-k8s-master-0123456789abcdef",
      APP_GATEWAY_KEY: "sk-app-0123456789abcdef",
      OPENAI_API_KEY: "sk-openai-test",
      REDIS_PASSWORD: "redis-pw-0123456789",
    };
    const r = await runCli(["k8s", "secrets", "--policy", join(dir, "gateway.policy.yaml")], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    const secret = parse(r.stdout) as { kind: string; metadata: { namespace: string }; stringData: Record<string, string> };
    expect(secret.kind).toBe("Secret");
    expect(secret.metadata.namespace).toBe("ai-gateway");
    expect(secret.stringData.GATEWAYCTL_SECRET_REDIS_PASSWORD).toBe("redis-pw-0123456789");
    expect(secret.stringData.GATEWAYCTL_SECRET_LITELLM_MASTER_KEY).toBe(env.LITELLM_MASTER_KEY);
    const out = join(dir, "secret.yaml");
    await writeFile(out, r.stdout);
    expect((await validate([out])).exitCode).toBe(0);
    // into a file: refused, nothing written
    const file = join(dir, "leak.yaml");
    const toFile = await execa("sh", ["-c", `node ${JSON.stringify(join(ROOT, "dist", "cli.js"))} k8s secrets --policy ${JSON.stringify(join(dir, "gateway.policy.yaml"))} > ${JSON.stringify(file)}`], {
      reject: false,
      env: { ...process.env, ...env, NO_COLOR: "1" },
    });
    expect(toFile.exitCode).toBe(2);
    expect(toFile.stderr).toMatch(/refusing to write them into a file/);
    expect(await readFile(file, "utf8")).toBe("");
  });
});
