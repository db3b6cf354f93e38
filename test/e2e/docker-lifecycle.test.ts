/**
 * The Docker runtime's failure cases through the gatewayctl CLI against the real Docker Engine (DOCKER_HOST; CI
 * starts it with scripts/setup-docker.sh), with small busybox images standing in for what the real LiteLLM image
 * cannot show: a pull from a registry (none is reachable here), a gateway that never comes up, a forbidden
 * release, an unreachable daemon. The real LiteLLM in a container is tested in docker-litellm.test.ts.
 */
import { join } from "node:path";
import type Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { CLI, runCli, tempDir } from "../support/cli.js";
import { BROKEN_LITELLM_IMAGE, FAKE_LITELLM_IMAGE, FORBIDDEN_LITELLM_IMAGE, ensureTestImages, removeGatewayContainers, startLocalRegistry, testDocker } from "../support/docker-image.js";
import { build, freePort, masterKey, writePolicy } from "../fixtures/sync/setup.js";

let docker: Dockerode;
let work: { dir: string; cleanup: () => Promise<void> };
let policyFile: string;
let runtimeDir: string;
let port: number;
const key = masterKey();
const env = { LITELLM_MASTER_KEY: key };

beforeAll(async () => {
  docker = await testDocker();
  await ensureTestImages(docker);
  work = await tempDir("gatewayctl-docker-");
  port = await freePort();
  runtimeDir = join(work.dir, "state", "runtime");
  policyFile = writePolicy(work.dir, { port, runtimeDir });
  await build(policyFile);
});

afterAll(async () => {
  if (docker && runtimeDir) await removeGatewayContainers(docker, runtimeDir);
  await work?.cleanup();
});

async function inspect(id: string): Promise<Dockerode.ContainerInspectInfo> {
  return docker.getContainer(id).inspect();
}

describe("gatewayctl start --runtime docker with stand-in images", () => {
  it("recreates the container when a new secret value changes the environment, never printing it", async () => {
    const first = await runCli(["start", "--policy", policyFile, "--image", FAKE_LITELLM_IMAGE, "--timeout", "60", "--json"], { env });
    expect(first.exitCode, first.stderr).toBe(0);
    const firstId = (JSON.parse(first.stdout) as { id: string }).id;
    const r = await runCli(["start", "--policy", policyFile, "--image", FAKE_LITELLM_IMAGE, "--json"], {
      env: { LITELLM_MASTER_KEY: `${key}-rotated` },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { action: string; id: string };
    expect(report.action).toBe("recreated");
    expect(report.id).not.toBe(firstId);
    expect(r.stderr).toContain("environment (secrets) changed");
    expect(r.stderr).not.toContain(key);
    await expect(inspect(firstId)).rejects.toMatchObject({ statusCode: 404 });
  });

  it("logs -f follows new lines until interrupted", async () => {
    const child = spawn(process.execPath, [CLI, "logs", "--policy", policyFile, "-f", "--tail", "0"], {
      env: { ...process.env, ...env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      // busybox httpd -v logs a line for every request it answers: requests made now must show up (--tail 0: only new lines)
      const deadline = Date.now() + 20_000;
      while (!/response:200/.test(out) && Date.now() < deadline) {
        await fetch(`http://127.0.0.1:${port}/health/readiness`).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(out).toMatch(/^\[[^\]]+\]:\d+: response:200$/m);
      expect(out).not.toContain("fake-litellm: args");
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toBe(0);
    await runCli(["stop", "--policy", policyFile], { env });
  });

  it("an image whose LiteLLM is a forbidden release is stopped and removed again: exit 1", async () => {
    const r = await runCli(["start", "--policy", policyFile, "--image", FORBIDDEN_LITELLM_IMAGE, "--timeout", "60"], { env });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`error: LiteLLM 1.82.7 must never be run: that release is known to be compromised: the image ${FORBIDDEN_LITELLM_IMAGE} carries it`);
    expect(await docker.listContainers({ all: true, filters: { label: [`io.gatewayctl.runtime-dir=${runtimeDir}`] } })).toEqual([]);
    const s = await runCli(["status", "--policy", policyFile, "--json"], { env });
    expect(JSON.parse(s.stdout)).toMatchObject({ kind: "docker", state: "missing" });
  });

  it("a missing image is pulled with a progress display (from a registry stand-in on 127.0.0.1), then started", async () => {
    const registry = await startLocalRegistry("gatewayctl-test/pulled", "1");
    const image = `${registry.host}/gatewayctl-test/pulled:1`;
    try {
      const r = await runCli(["start", "--policy", policyFile, "--image", image, "--timeout", "60", "--json"], { env });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain(`image ${image} is not present locally: pulling it`);
      // one line a layer and status: every layer reaches "Pull complete"
      const complete = r.stderr.split("\n").filter((l) => /^ {2}[0-9a-f]{12}: Pull complete$/.test(l));
      expect(complete).toHaveLength(2);
      expect(r.stderr.match(/^ {2}[0-9a-f]{12}: Pulling fs layer$/gm)).toHaveLength(2);
      expect(r.stderr).toMatch(/^ {2}[0-9a-f]{12}: Downloading \[=*>? *\] +[\d.]+k?B\/[\d.]+[kM]?B$/m);
      expect(r.stderr).toContain(`pulled ${image}`);
      expect(registry.requests.some((q) => q.startsWith("GET /v2/gatewayctl-test/pulled/blobs/sha256:"))).toBe(true);
      const report = JSON.parse(r.stdout) as { action: string; id: string };
      expect(report.action).toBe("started");
      expect((await inspect(report.id)).Config.Labels["io.gatewayctl.image"]).toBe(image);
      expect((await fetch(`http://127.0.0.1:${port}/health/liveliness`)).status).toBe(200);
    } finally {
      await registry.close();
      await runCli(["stop", "--policy", policyFile, "--runtime", "docker"], { env });
      await docker.getImage(image).remove({ force: true }).catch(() => undefined);
    }
  });

  it("a missing image that cannot be pulled is reported clearly (exit 1)", async () => {
    const image = "gatewayctl-test/does-not-exist:1";
    const r = await runCli(["start", "--policy", policyFile, "--image", image], { env });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`image ${image} is not present locally: pulling it`);
    expect(r.stderr).toContain(`error: cannot pull image ${image}`);
    expect(r.stderr).toMatch(/hint: .*docker load/);
  });

  it("pulling the pinned official LiteLLM image fails clearly when no registry is reachable", async () => {
    const r = await runCli(["start", "--policy", policyFile, "--runtime", "docker"], { env });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("error: cannot pull image ghcr.io/berriai/litellm:1.108.7");
    expect(r.stderr).toMatch(/ghcr\.io/);
    expect(r.stderr).toContain("hint: the registry did not answer");
    expect(await docker.listContainers({ all: true, filters: { label: [`io.gatewayctl.runtime-dir=${runtimeDir}`] } })).toEqual([]);
  });

  it("a gateway that never becomes healthy: exit 1 with its last log lines, secrets redacted", async () => {
    const r = await runCli(["start", "--policy", policyFile, "--image", BROKEN_LITELLM_IMAGE, "--timeout", "30"], { env });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("broken-litellm: fatal: cannot load the config");
    expect(r.stderr).toContain("broken-litellm: starting with master key ***");
    expect(r.stderr).not.toContain(key);
    expect(r.stderr).toMatch(/error: the container exited \(exit code \d+/);
    await runCli(["stop", "--policy", policyFile, "--runtime", "docker"], { env });
  });

  it("an unreachable daemon is reported with the DOCKER_HOST that was tried", async () => {
    const sock = join(work.dir, "no-such-docker.sock");
    for (const cmd of ["start", "status", "stop"]) {
      const r = await runCli([cmd, "--policy", policyFile, ...(cmd === "start" ? ["--image", FAKE_LITELLM_IMAGE] : [])], {
        env: { ...env, DOCKER_HOST: `unix://${sock}` },
      });
      expect(r.exitCode, cmd).toBe(1);
      expect(r.stderr).toContain(`error: cannot reach the Docker daemon at unix://${sock}`);
      expect(r.stderr).toContain("the socket does not exist");
      expect(r.stderr).toMatch(/hint: start the Docker daemon/);
    }
  });
});
