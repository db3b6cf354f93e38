/**
 * The generated Deployment's container contract, run for real where no cluster can run: the real LiteLLM image in
 * Docker with what deployment.yaml says (args, working directory, user, read-only root filesystem, /tmp writable, the
 * ConfigMap's files mounted read-only at the mount path, every env entry), so the config path the Deployment passes
 * is the one LiteLLM reads, and the guard and front door load from the ConfigMap's copy.
 */
import { execa } from "execa";
import { chmod, copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT, runCli, tempDir } from "../support/cli.js";
import { LOCAL_LITELLM_IMAGE, requireLitellmImage, testDocker } from "../support/docker-image.js";
import { freePort } from "../support/net.js";

const POLICY = join(ROOT, "test", "fixtures", "scale", "scale.policy.yaml");
const NAME = `gatewayctl-k8s-pod-${process.pid}`;
const SECRETS: Record<string, string> = {
  GATEWAYCTL_SECRET_LITELLM_MASTER_KEY: "sk-k8s-pod-master-0123456789",
  GATEWAYCTL_SECRET_APP_GATEWAY_KEY: "sk-k8s-pod-app-0123456789",
  GATEWAYCTL_SECRET_OPENAI_API_KEY: "sk-not-used",
  GATEWAYCTL_SECRET_REDIS_PASSWORD: "k8s-pod-redis-pw",
};

type Manifest = Record<string, any>;
let docker: Dockerode;
let work: { dir: string; cleanup: () => Promise<void> };
let port: number;
let container: Manifest;
let volumes: Manifest[];
let configDir: string;

beforeAll(async () => {
  docker = await testDocker();
  await requireLitellmImage(docker);
  work = await tempDir("gatewayctl-k8s-pod-");
  await copyFile(POLICY, join(work.dir, "gateway.policy.yaml"));
  const built = await runCli(["build", "--policy", join(work.dir, "gateway.policy.yaml")]);
  expect(built.exitCode, built.stderr).toBe(0);
  const k8s = join(work.dir, "generated", "k8s");
  const deployment = parse(await readFile(join(k8s, "deployment.yaml"), "utf8")) as Manifest;
  const cm = parse(await readFile(join(k8s, "configmap.yaml"), "utf8")) as Manifest;
  container = deployment.spec.template.spec.containers[0];
  volumes = deployment.spec.template.spec.volumes;
  // the ConfigMap volume, as the kubelet would project it: one file a key
  configDir = join(work.dir, "configmap");
  await mkdir(configDir, { mode: 0o755 });
  for (const [file, text] of Object.entries(cm.data as Record<string, string>)) await writeFile(join(configDir, file), text, { mode: 0o644 });
  await chmod(configDir, 0o755);
  port = await freePort();
}, 60_000);

afterAll(async () => {
  await execa("docker", ["rm", "-f", NAME], { reject: false, env: { ...process.env, DOCKER_HOST: process.env.DOCKER_HOST ?? "unix:///tmp/gw-docker.sock" } });
  await work?.cleanup();
});

describe("the Deployment's container, run as the manifest says (real LiteLLM image)", () => {
  it("reads the config from the ConfigMap mount, non-root on a read-only root filesystem, and serves behind the front door", { timeout: 240_000 }, async () => {
    const sc = container.securityContext;
    expect(sc).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
    const configMount = container.volumeMounts.find((m: Manifest) => m.name === "config");
    expect(container.args[1].startsWith(`${configMount.mountPath}/`)).toBe(true);
    // every emptyDir (/tmp, the request ledger) as the kubelet gives it: an empty, writable directory
    const emptyDirs = (container.volumeMounts as Manifest[]).filter((m) => volumes.find((v) => v.name === m.name)?.emptyDir !== undefined);
    expect(emptyDirs.map((m) => m.name).sort()).toEqual(["ledger", "tmp"]);
    const env: string[] = [];
    for (const e of container.env as Manifest[]) {
      if (e.value !== undefined) env.push("-e", `${e.name}=${e.value}`);
      else {
        const value = SECRETS[e.valueFrom.secretKeyRef.key];
        expect(value, `a test value for ${e.valueFrom.secretKeyRef.key}`).toBeDefined();
        env.push("-e", `${e.name}=${value}`);
      }
    }
    const run = await execa(
      "docker",
      [
        "run", "-d", "--name", NAME,
        "--read-only", ...emptyDirs.flatMap((m) => ["--tmpfs", `${m.mountPath}:mode=1777`]),
        "--user", `${sc.runAsUser}:${sc.runAsGroup}`,
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "-w", container.workingDir,
        "-v", `${configDir}:${configMount.mountPath}:ro`,
        "-p", `127.0.0.1:${port}:${container.ports[0].containerPort}`,
        ...env,
        LOCAL_LITELLM_IMAGE,
        ...container.args,
      ],
      { reject: false, all: true, env: { ...process.env, DOCKER_HOST: process.env.DOCKER_HOST ?? "unix:///tmp/gw-docker.sock" } },
    );
    expect(run.exitCode, run.all).toBe(0);
    const ready = container.readinessProbe.httpGet.path as string;
    const until = Date.now() + 200_000;
    let ok = false;
    while (!ok && Date.now() < until) {
      ok = await fetch(`http://127.0.0.1:${port}${ready}`, { signal: AbortSignal.timeout(3_000) }).then((r) => r.ok, () => false);
      if (!ok) await new Promise((r) => setTimeout(r, 1_000));
    }
    const logs = ok ? "" : (await execa("docker", ["logs", "--tail", "40", NAME], { reject: false, all: true })).all;
    expect(ok, logs).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}${container.livenessProbe.httpGet.path}`)).status).toBe(200);
    // the front door loaded from the ConfigMap's copy: an unknown key is refused by it
    const stranger = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer sk-not-a-key", "content-type": "application/json" },
      body: JSON.stringify({ model: "secure-core", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(stranger.status).toBe(401);
    expect(await stranger.text()).toContain("gatewayctl front door");
    // and the guard: a request-borne fallback on a private route is refused before any backend
    const borne = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRETS.GATEWAYCTL_SECRET_APP_GATEWAY_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "secure-core", fallbacks: ["web-model"], messages: [{ role: "user", content: "hi" }] }),
    });
    expect(borne.status, await borne.clone().text()).toBe(403);
  });
});
