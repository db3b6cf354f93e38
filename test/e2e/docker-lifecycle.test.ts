/**
 * The Docker runtime end to end through the gatewayctl CLI against the real Docker Engine (DOCKER_HOST; CI starts it
 * with scripts/setup-docker.sh). The gateway image is a small local busybox image standing in for LiteLLM (no
 * registry is reachable here), built by test/support/docker-image.ts.
 */
import { existsSync, realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { CLI, runCli, tempDir } from "../support/cli.js";
import { BROKEN_LITELLM_IMAGE, FAKE_LITELLM_IMAGE, ensureTestImages, removeGatewayContainers, startLocalRegistry, testDocker } from "../support/docker-image.js";
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

describe("gatewayctl start/status/logs/stop --runtime docker", () => {
  let firstId = "";

  it("starts a container with the runtime generation mounted read-only, secrets as env, labels and a healthcheck", async () => {
    const r = await runCli(["start", "--policy", policyFile, "--runtime", "docker", "--image", FAKE_LITELLM_IMAGE, "--timeout", "60", "--json"], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { action: string; id: string; baseUrl: string; generation: number; configHash: string };
    expect(report.action).toBe("started");
    expect(report.generation).toBe(1);
    expect(report.baseUrl).toBe(`http://127.0.0.1:${port}`);
    firstId = report.id;

    const live = await fetch(`${report.baseUrl}/health/liveliness`);
    expect(live.status).toBe(200);

    const info = await inspect(firstId);
    expect(info.Name).toBe(`/gatewayctl-${port}`);
    expect(info.State.Running).toBe(true);
    expect(info.Config.Cmd).toEqual(["--config", "/etc/gatewayctl/runtime/config.yaml", "--port", "4000"]);
    const mount = info.Mounts.find((m) => m.Destination === "/etc/gatewayctl/runtime");
    expect(mount?.Type).toBe("bind");
    expect(mount?.RW).toBe(false);
    // the resolved generation directory, not the symlink and not the NAS
    expect(mount?.Source).toBe(realpathSync(runtimeDir));
    expect(mount?.Source).toMatch(/runtime\.generations\/gen-000001$/);
    expect(info.Config.Env).toContain(`LITELLM_MASTER_KEY=${key}`);
    expect(info.Config.Env).toContain("LITELLM_LOCAL_MODEL_COST_MAP=True");
    expect(info.Config.Env).toContain("LITELLM_MODE=PRODUCTION");
    expect(info.HostConfig.RestartPolicy?.Name).toBe("unless-stopped");
    expect(info.HostConfig.ExtraHosts).toEqual(["host.docker.internal:host-gateway"]);
    expect(info.HostConfig.PortBindings?.["4000/tcp"]).toEqual([{ HostIp: "127.0.0.1", HostPort: String(port) }]);
    expect((info.Config as unknown as { Healthcheck: { Test: string[] } }).Healthcheck.Test.join(" ")).toContain("/health/liveliness");
    const labels = info.Config.Labels;
    expect(labels["gatewayctl.config-hash"]).toBe(report.configHash);
    expect(labels["gatewayctl.generation"]).toBe("1");
    expect(labels["gatewayctl.image"]).toBe(FAKE_LITELLM_IMAGE);
    expect(labels["gatewayctl.version"]).toMatch(/^\d+\.\d+\.\d+/);
    expect(labels["gatewayctl.env-hash"]).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(labels)).not.toContain(key);
  });

  it("status reports the container, its health, image and generation running vs on disk", async () => {
    const r = await runCli(["status", "--policy", policyFile, "--runtime", "docker", "--json"], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(s.state).toBe("running");
    expect(s.id).toBe(firstId);
    expect(s.image).toBe(FAKE_LITELLM_IMAGE);
    expect(s.health).toEqual({ liveliness: true, readiness: true });
    expect(s.runningGeneration).toBe(1);
    expect(s.diskGeneration).toBe(1);
    expect(s.upToDate).toBe(true);
  });

  it("leaves the running container alone when nothing changed (same container id)", async () => {
    const r = await runCli(["start", "--policy", policyFile, "--runtime", "docker", "--image", FAKE_LITELLM_IMAGE, "--json"], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { action: string; id: string };
    expect(report.action).toBe("unchanged");
    expect(report.id).toBe(firstId);
    expect((await inspect(firstId)).State.Running).toBe(true);
  });

  it("recreates the container when a new secret value changes the environment", async () => {
    const r = await runCli(["start", "--policy", policyFile, "--runtime", "docker", "--image", FAKE_LITELLM_IMAGE, "--json"], {
      env: { LITELLM_MASTER_KEY: `${key}-rotated` },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { action: string; id: string };
    expect(report.action).toBe("recreated");
    expect(report.id).not.toBe(firstId);
    expect(r.stderr).toContain("environment (secrets) changed");
    expect(r.stderr).not.toContain(key);
    firstId = report.id;
  });

  it("recreates the container on the new generation after a config change; the old one is gone", async () => {
    writePolicy(work.dir, { port, runtimeDir, extraRoutes: { "code-private": { lane: "private", model: "coder" } } });
    await build(policyFile);
    const status = await runCli(["status", "--policy", policyFile, "--runtime", "docker", "--json"], { env });
    // the new build is not synced yet: disk still holds generation 1
    expect((JSON.parse(status.stdout) as { diskGeneration: number }).diskGeneration).toBe(1);

    const r = await runCli(["start", "--policy", policyFile, "--runtime", "docker", "--image", FAKE_LITELLM_IMAGE, "--json"], {
      env: { LITELLM_MASTER_KEY: `${key}-rotated` },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { action: string; id: string; generation: number };
    expect(report.action).toBe("recreated");
    expect(report.generation).toBe(2);
    expect(report.id).not.toBe(firstId);
    expect(r.stderr).toMatch(/recreating container gatewayctl-\d+: config [0-9a-f]{12} -> [0-9a-f]{12}/);
    await expect(inspect(firstId)).rejects.toMatchObject({ statusCode: 404 });
    const info = await inspect(report.id);
    expect(info.Mounts.find((m) => m.Destination === "/etc/gatewayctl/runtime")?.Source).toMatch(/gen-000002$/);
    expect(info.Config.Labels["gatewayctl.generation"]).toBe("2");
    firstId = report.id;
  });

  it("logs prints the container's output (demultiplexed), including the arguments gatewayctl passed", async () => {
    const r = await runCli(["logs", "--policy", policyFile, "--runtime", "docker", "--tail", "50"], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("fake-litellm: args: --config /etc/gatewayctl/runtime/config.yaml --port 4000");
    expect(r.stdout).toMatch(/config dir: .*config\.yaml/);
    // no multiplexing header bytes leak into the text
    expect(r.stdout).not.toMatch(/[\u0000-\u0008]/);
  });

  it("logs -f follows new lines until interrupted", async () => {
    const child = spawn(process.execPath, [CLI, "logs", "--policy", policyFile, "--runtime", "docker", "-f", "--tail", "0"], {
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
  });

  it("stop stops and removes the container only: image and runtime directory stay", async () => {
    const r = await runCli(["stop", "--policy", policyFile, "--runtime", "docker", "--json"], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stopped: true });
    await expect(inspect(firstId)).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker.getImage(FAKE_LITELLM_IMAGE).inspect()).resolves.toBeTruthy();
    expect(existsSync(join(runtimeDir, "config.yaml"))).toBe(true);

    const s = await runCli(["status", "--policy", policyFile, "--runtime", "docker", "--json"], { env });
    expect(JSON.parse(s.stdout)).toMatchObject({ state: "missing", diskGeneration: 2 });
    const again = await runCli(["stop", "--policy", policyFile, "--runtime", "docker", "--json"], { env });
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ stopped: false });
  });

  it("a missing image is pulled with a progress display (from a registry stand-in on 127.0.0.1), then started", async () => {
    const registry = await startLocalRegistry("gatewayctl-test/pulled", "1");
    const image = `${registry.host}/gatewayctl-test/pulled:1`;
    try {
      const r = await runCli(["start", "--policy", policyFile, "--runtime", "docker", "--image", image, "--timeout", "60", "--json"], { env });
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
      expect((await inspect(report.id)).Config.Labels["gatewayctl.image"]).toBe(image);
      expect((await fetch(`http://127.0.0.1:${port}/health/liveliness`)).status).toBe(200);
    } finally {
      await registry.close();
      await runCli(["stop", "--policy", policyFile, "--runtime", "docker"], { env });
      await docker.getImage(image).remove({ force: true }).catch(() => undefined);
    }
  });

  it("a missing image that cannot be pulled is reported clearly (exit 1)", async () => {
    const image = "gatewayctl-test/does-not-exist:1";
    const r = await runCli(["start", "--policy", policyFile, "--runtime", "docker", "--image", image], { env });
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
    expect(await docker.listContainers({ all: true, filters: { label: [`gatewayctl.runtime-dir=${runtimeDir}`] } })).toEqual([]);
  });

  it("a gateway that never becomes healthy: exit 1 with its last log lines, secrets redacted", async () => {
    const r = await runCli(["start", "--policy", policyFile, "--runtime", "docker", "--image", BROKEN_LITELLM_IMAGE, "--timeout", "30"], { env });
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
      const r = await runCli([cmd, "--policy", policyFile, "--runtime", "docker", ...(cmd === "start" ? ["--image", FAKE_LITELLM_IMAGE] : [])], {
        env: { ...env, DOCKER_HOST: `unix://${sock}` },
      });
      expect(r.exitCode, cmd).toBe(1);
      expect(r.stderr).toContain(`error: cannot reach the Docker daemon at unix://${sock}`);
      expect(r.stderr).toContain("the socket does not exist");
      expect(r.stderr).toMatch(/hint: start the Docker daemon/);
    }
  });

  it("boots on the last known-good generation when the source (NAS) is missing", async () => {
    const nas = join(work.dir, "nas");
    // the source of truth is a NAS path; it was synced once, then it is gone at boot
    writePolicy(work.dir, { port, runtimeDir, source: nas });
    await build(policyFile, nas);
    const sync = await runCli(["sync", "--policy", policyFile, "--json"], { env });
    expect(sync.exitCode, sync.stderr).toBe(0);
    const synced = JSON.parse(sync.stdout) as { generation: number };
    rmSync(nas, { recursive: true, force: true });

    const bootSync = await runCli(["sync", "--policy", policyFile], { env });
    expect(bootSync.exitCode).toBe(1);
    expect(bootSync.stderr).toContain(`the source ${nas} does not exist`);
    expect(bootSync.stderr).toContain(`the gateway keeps running on generation ${synced.generation}`);

    const r = await runCli(["start", "--policy", policyFile, "--runtime", "docker", "--image", FAKE_LITELLM_IMAGE, "--json"], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { action: string; generation: number; sync: { action: string } };
    expect(report.sync.action).toBe("source-unavailable");
    expect(report.generation).toBe(synced.generation);
    expect(r.stderr).toContain(`starting on last known-good generation ${synced.generation}`);
    expect((await fetch(`http://127.0.0.1:${port}/health/liveliness`)).status).toBe(200);
    await runCli(["stop", "--policy", policyFile, "--runtime", "docker"], { env });
  });
});
