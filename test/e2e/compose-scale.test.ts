/**
 * `scale:` on docker-compose, for real: the generated docker-compose.yml runs two replicas of the real LiteLLM image
 * (scripts/build-litellm-image.sh), a bundled Redis and HAProxy (Debian's, in the images scripts/build-scale-images.sh
 * builds: no registry is reachable here), and a route answers through the balancer. The model server is a recording
 * Ollama stand-in on the host.
 */
import { execa } from "execa";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runCli, tempDir } from "../support/cli.js";
import { LOCAL_LITELLM_IMAGE, requireLitellmImage, testDocker } from "../support/docker-image.js";
import { freePort } from "../support/net.js";
import { startRecordingOllama, type RecordingBackend } from "../support/recording-backends.js";
import { writeFile } from "node:fs/promises";

const HAPROXY_IMAGE = "gatewayctl-local/haproxy:2.6";
const REDIS_IMAGE = "gatewayctl-local/redis:7.0";
const PROJECT = "gwscale";
const env = { LITELLM_MASTER_KEY: "sk-compose-scale-master-5e1c9a", REDIS_PASSWORD: "compose-redis-pw-8c2f41d0" };

let docker: Dockerode;
let work: { dir: string; cleanup: () => Promise<void> };
let ollama: RecordingBackend;
let port: number;
let policyFile: string;

const compose = (args: string[]) =>
  execa("docker-compose", ["-f", join(work.dir, "generated", "docker-compose.yml"), "-p", PROJECT, ...args], {
    reject: false,
    cwd: join(work.dir, "generated"),
    env: { ...process.env, ...env },
    all: true,
    timeout: 300_000,
  });

async function chat(model: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.LITELLM_MASTER_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "compose scale" }] }),
    signal: AbortSignal.timeout(60_000),
  });
}

beforeAll(async () => {
  docker = await testDocker();
  await requireLitellmImage(docker);
  for (const image of [HAPROXY_IMAGE, REDIS_IMAGE]) {
    const found = await docker.getImage(image).inspect().catch(() => undefined);
    if (!found) throw new Error(`the image ${image} is missing: run bash scripts/build-scale-images.sh (scripts/test.sh does)`);
  }
  work = await tempDir("gatewayctl-compose-scale-");
  ollama = await startRecordingOllama({ listenHost: "0.0.0.0" });
  port = await freePort();
  policyFile = join(work.dir, "gateway.policy.yaml");
  await writeFile(
    policyFile,
    stringify({
      version: 1,
      gateway: { port, bind: "127.0.0.1", runtime: "docker", image: LOCAL_LITELLM_IMAGE },
      secrets: { provider: "env" },
      runtime: { dir: join(work.dir, "state", "runtime") },
      backends: { ollama: { type: "ollama", url: ollama.url, location: "local" } },
      models: { llama: { backend: "ollama", name: "llama3.1:8b" } },
      lanes: { private: { privacy: "local-only", description: "Private records" } },
      routes: { "secure-core": { lane: "private", model: "llama" } },
      scale: {
        replicas: 2,
        redis: { bundled: true, password: { secret: "REDIS_PASSWORD" }, image: REDIS_IMAGE },
        loadBalancer: { image: HAPROXY_IMAGE },
      },
    }),
  );
  const built = await runCli(["build", "--policy", policyFile], { env });
  expect(built.exitCode, built.stderr).toBe(0);
  const synced = await runCli(["sync", "--policy", policyFile], { env });
  expect(synced.exitCode, synced.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  if (work) await compose(["down", "-t", "2"]);
  await ollama?.stop();
  await work?.cleanup();
}, 120_000);

describe("docker-compose with scale: replicas behind HAProxy, a bundled Redis (real images)", () => {
  it("docker-compose config accepts the file, and refuses it without the Redis password", async () => {
    const ok = await compose(["config", "-q"]);
    expect(ok.exitCode, ok.all).toBe(0);
    const missing = await execa("docker-compose", ["-f", join(work.dir, "generated", "docker-compose.yml"), "config", "-q"], {
      reject: false,
      all: true,
      env: { PATH: process.env.PATH, LITELLM_MASTER_KEY: env.LITELLM_MASTER_KEY },
    });
    expect(missing.exitCode).not.toBe(0);
    expect(missing.all).toMatch(/set REDIS_PASSWORD/);
  });

  it("the start of the gatewayctl Docker runtime refuses the scaled build and names compose", async () => {
    const r = await runCli(["start", "--policy", policyFile], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/2 replicas behind a load balancer/);
    expect(r.stderr).toMatch(/docker-compose up -d/);
  });

  it("up runs two replicas behind the balancer; a route answers through it; only the balancer is published", { timeout: 420_000 }, async () => {
    const up = await compose(["up", "-d"]);
    expect(up.exitCode, up.all).toBe(0);
    const until = Date.now() + 240_000;
    let ready = false;
    while (!ready && Date.now() < until) {
      ready = await fetch(`http://127.0.0.1:${port}/health/readiness`, { signal: AbortSignal.timeout(3_000) }).then((r) => r.ok, () => false);
      if (!ready) await new Promise((r) => setTimeout(r, 1_000));
    }
    const logs = ready ? "" : (await compose(["logs", "--tail", "30"])).all;
    expect(ready, logs).toBe(true);
    const res = await chat("secure-core");
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get("x-litellm-model-id")).toBe("secure-core:llama");
    expect(ollama.modelCalls().length).toBeGreaterThanOrEqual(1);

    const ps = await compose(["ps", "-q", "litellm"]);
    const ids = ps.stdout.split("\n").filter(Boolean);
    expect(ids).toHaveLength(2);
    for (const id of ids) {
      const info = await docker.getContainer(id).inspect();
      expect(info.HostConfig.PortBindings ?? {}).toEqual({});
    }
    const redisId = (await compose(["ps", "-q", "gatewayctl-redis"])).stdout.trim();
    const redis = await docker.getContainer(redisId).inspect();
    expect(redis.HostConfig.PortBindings ?? {}).toEqual({});
    expect(redis.State.Health?.Status).toBe("healthy");
    // Redis answers only with the password
    const dockerEnv = { ...process.env, DOCKER_HOST: process.env.DOCKER_HOST ?? "unix:///tmp/gw-docker.sock" };
    const noAuth = await execa("docker", ["exec", "-e", "REDISCLI_AUTH=", redisId, "redis-cli", "ping"], { reject: false, all: true, env: dockerEnv });
    expect(noAuth.all).toMatch(/NOAUTH/);
    const withAuth = await execa("docker", ["exec", redisId, "redis-cli", "ping"], { reject: false, all: true, env: dockerEnv });
    expect(withAuth.all).toMatch(/PONG/);
    const haproxyId = (await compose(["ps", "-q", "haproxy"])).stdout.trim();
    const haproxy = await docker.getContainer(haproxyId).inspect();
    expect(Object.keys(haproxy.HostConfig.PortBindings ?? {})).toEqual(["4000/tcp"]);
    // status finds the compose gateway and lists both replica containers
    const status = await runCli(["status", "--policy", policyFile, "--json"], { env });
    expect(status.exitCode, status.stdout).toBe(0);
    const st = JSON.parse(status.stdout) as { state: string; startedBy: string; members: Array<{ role: string; state: string }> };
    expect(st).toMatchObject({ state: "running", startedBy: "docker-compose" });
    expect(st.members.map((m) => [m.role, m.state])).toEqual([["replica", "running"], ["replica", "running"]]);
    // a second request also answers: the balancer reaches both replicas (each is health-checked on /health/readiness)
    for (let i = 0; i < 4; i++) expect((await chat("secure-core")).status).toBe(200);
  });
});
