/**
 * The Docker runtime: LiteLLM in a container named `gatewayctl-<port>`, created through dockerode (never the
 * `docker` CLI).
 *
 * The runtime directory's *current generation* (the directory the `runtime` symlink resolves to when the
 * container is created) is bind-mounted read-only at /etc/gatewayctl/runtime. LiteLLM reads its config only at
 * start, so a container keeps the generation it started with; a sync changes the config hash, and the next
 * `gatewayctl start` recreates the container on the new generation. The mounted generation is pinned
 * (D.state/pins/docker.json) so sync's retention never deletes it while the container may restart on it (after a
 * reboot, with restart policy unless-stopped).
 *
 * The container is recreated only when the image, the config hash, the environment (a salted HMAC of names and
 * values, in a label; never the values) or the published address changed.
 */
import { createHmac, randomBytes } from "node:crypto";
import { readFile, realpath } from "node:fs/promises";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { CONTAINER_RUNTIME_DIR } from "../compile/types.js";
import { OperationError } from "../lib/errors.js";
import { redact } from "../lib/output.js";
import { GATEWAYCTL_VERSION } from "../lib/version.js";
import { LITELLM_IMAGE } from "../lib/versions.js";
import type { Policy } from "../policy/schema.js";
import { connectDocker, daemonMessage, dockerTarget, isNotFound } from "./docker-connect.js";
import { demuxBuffer, LogLineDemuxer } from "./docker-logs.js";
import { HealthWaitError, fetchLitellmVersion, probeHealth, waitForHealth } from "./health.js";
import { ensureStateDir, readDiskConfig, removeState, writeState } from "./state.js";
import { pinGeneration, unpinGeneration } from "./sync-generations.js";
import type { GatewayRuntime, LogsRequest, RuntimeContext, RuntimeStatus, StartRequest, StartResult } from "./runtime.js";

export const DOCKER_STATE_FILE = "docker.json";
const SALT_FILE = "docker-env-salt";
const CONTAINER_PORT = 4000;
const LOG_TAIL_ON_FAILURE = 30;
const STOP_TIMEOUT_SECONDS = 10;

export const LABELS = {
  managed: "gatewayctl.managed",
  configHash: "gatewayctl.config-hash",
  envHash: "gatewayctl.env-hash",
  version: "gatewayctl.version",
  generation: "gatewayctl.generation",
  image: "gatewayctl.image",
  publish: "gatewayctl.publish",
  runtimeDir: "gatewayctl.runtime-dir",
} as const;

export function containerName(policy: Policy): string {
  return `gatewayctl-${policy.gateway.port}`;
}

/** The image to run: the override, else the policy's gateway.image, else the pinned official image. */
export function gatewayImage(policy: Policy, override?: string): string {
  const image = override ?? policy.gateway.image ?? `${LITELLM_IMAGE}:${policy.gateway.litellmVersion}`;
  // without a tag the Engine would pull every tag of the repository: name `latest` explicitly
  const last = image.slice(image.lastIndexOf("/") + 1);
  return last.includes(":") || last.includes("@") ? image : `${image}:latest`;
}

export function baseUrlFor(policy: Policy): string {
  const bind = policy.gateway.bind;
  const host = bind === "0.0.0.0" || bind === "" ? "127.0.0.1" : bind === "::" ? "::1" : bind;
  return `http://${host.includes(":") ? `[${host}]` : host}:${policy.gateway.port}`;
}

/** HMAC-SHA256 of the sorted `NAME=value` pairs with a per-install salt: tells a changed environment, reveals nothing. */
export function envHash(env: Record<string, string>, salt: string): string {
  const h = createHmac("sha256", salt);
  for (const k of Object.keys(env).sort()) h.update(`${k}\0${env[k]}\0`);
  return h.digest("hex");
}

async function readSalt(stateDir: string): Promise<string> {
  try {
    const s = (await readFile(join(stateDir, SALT_FILE), "utf8")).trim();
    if (s.length >= 32) return s;
  } catch {
    // first start
  }
  const salt = randomBytes(32).toString("hex");
  await ensureStateDir(stateDir);
  await writeState(stateDir, SALT_FILE, salt);
  return salt;
}

async function readSaltValue(stateDir: string): Promise<string> {
  const raw = await readSalt(stateDir);
  // writeState stores JSON; accept both a JSON string and a bare value
  try {
    const v = JSON.parse(raw) as unknown;
    return typeof v === "string" ? v : raw;
  } catch {
    return raw;
  }
}

/** Healthcheck that works in the LiteLLM image (wget or python3) and in a busybox image (wget). */
export const HEALTHCHECK = {
  Test: [
    "CMD-SHELL",
    `wget -q -O /dev/null http://127.0.0.1:${CONTAINER_PORT}/health/liveliness || ` +
      `python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${CONTAINER_PORT}/health/liveliness', timeout=4)" || exit 1`,
  ],
  Interval: 5_000_000_000,
  Timeout: 5_000_000_000,
  Retries: 3,
  StartPeriod: 60_000_000_000,
};

async function findContainer(docker: Dockerode, name: string): Promise<Dockerode.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new OperationError(`cannot inspect container ${name}: ${daemonMessage(err)}`, { code: "DOCKER_FAILED", cause: err, hint: `the Docker daemon at ${dockerTarget()} refused the request` });
  }
}

async function localImageId(docker: Dockerode, image: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(image).inspect()).Id;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new OperationError(`cannot inspect image ${image}: ${daemonMessage(err)}`, { code: "DOCKER_FAILED", cause: err, hint: `the Docker daemon at ${dockerTarget()} refused the request` });
  }
}

/** Pull an image with a progress line a layer and status (at most one "Downloading" line a layer every 2 s). */
async function pullImage(docker: Dockerode, image: string, progress: (l: string) => void): Promise<void> {
  progress(`image ${image} is not present locally: pulling it`);
  const fail = (err: unknown): OperationError =>
    new OperationError(`cannot pull image ${image}: ${daemonMessage(err)}`, {
      code: "IMAGE_PULL_FAILED",
      cause: err,
      hint:
        "the registry did not answer or refused the image. Check the network (or a proxy for the Docker daemon), or load the image " +
        "from a file (docker load -i image.tar), or set gateway.image / pass --image with an image that is present locally",
    });
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(image);
  } catch (err) {
    throw fail(err);
  }
  const last = new Map<string, { status: string; at: number }>();
  await new Promise<void>((resolvePromise, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        const failed = err ?? output.find((o) => o.error || o.errorDetail);
        if (failed) reject(fail(failed instanceof Error ? failed : new Error((failed as { error?: string }).error ?? "pull failed")));
        else resolvePromise();
      },
      (event: { id?: string; status?: string; progress?: string }) => {
        const id = event.id ?? "";
        const status = event.status ?? "";
        const prev = last.get(id);
        const now = Date.now();
        if (prev && prev.status === status && now - prev.at < 2_000) return;
        last.set(id, { status, at: now });
        progress(`  ${id ? `${id}: ` : ""}${status}${event.progress ? ` ${event.progress}` : ""}`);
      },
    );
  });
  progress(`pulled ${image}`);
}

async function containerLogTail(docker: Dockerode, id: string, lines: number): Promise<string[]> {
  try {
    const buf = (await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return demuxBuffer(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)))
      .split("\n")
      .filter((l) => l.length > 0)
      .slice(-lines)
      .map((l) => redact(l));
  } catch {
    return [];
  }
}

function labelsOf(info: Dockerode.ContainerInspectInfo | undefined): Record<string, string> {
  return info?.Config?.Labels ?? {};
}

/** Remove containers of this runtime directory other than `keepName` (left behind by a port change). */
async function removeStrays(docker: Dockerode, runtimeDir: string, keepName: string, progress: (l: string) => void): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABELS.runtimeDir}=${runtimeDir}`] } });
  for (const c of list) {
    const name = (c.Names[0] ?? "").replace(/^\//, "");
    if (name === keepName) continue;
    progress(`removing container ${name} (same runtime directory, old address)`);
    const ct = docker.getContainer(c.Id);
    await ct.stop({ t: STOP_TIMEOUT_SECONDS }).catch(() => undefined);
    await ct.remove().catch(() => undefined);
  }
}

interface DockerState {
  kind: "docker";
  containerId: string;
  name: string;
  image: string;
  baseUrl: string;
  configHash: string;
  generation?: number;
  mountedDir: string;
  startedAt: string;
}

async function waitHealthy(
  docker: Dockerode,
  id: string,
  req: StartRequest,
  baseUrl: string,
  progress: (l: string) => void,
): Promise<string | undefined> {
  let aborted: string | undefined;
  let done = false;
  // a container that restarted once last month is fine; one that restarts while we wait is not
  const restartsBefore = await docker
    .getContainer(id)
    .inspect()
    .then((i) => i.RestartCount ?? 0)
    .catch(() => 0);
  const watcher = (async () => {
    while (!done) {
      try {
        const info = await docker.getContainer(id).inspect();
        const st = info.State;
        const restarts = (info.RestartCount ?? 0) - restartsBefore;
        if (st.Status === "exited" || st.Status === "dead" || st.Restarting || restarts > 0) {
          aborted = `the container exited (exit code ${st.ExitCode}${restarts > 0 ? `, restarted ${restarts} time${restarts === 1 ? "" : "s"} while starting` : ""})`;
        } else if (st.Health?.Status === "unhealthy") {
          aborted = "Docker reports the container unhealthy";
        }
      } catch (err) {
        aborted = `the container disappeared (${daemonMessage(err)})`;
      }
      await new Promise((r) => setTimeout(r, 400));
    }
  })();
  try {
    const health = await waitForHealth({ baseUrl, timeoutMs: req.timeoutMs, onProgress: progress, checkAborted: () => aborted });
    return await fetchLitellmVersion(baseUrl, req.env[req.policy.gateway.masterKey.secret], health.readinessBody);
  } catch (err) {
    if (!(err instanceof HealthWaitError)) throw err;
    const tail = await containerLogTail(docker, id, LOG_TAIL_ON_FAILURE);
    // stop it (keeping it, and its log, for `gatewayctl logs`) instead of letting the restart policy loop
    await docker
      .getContainer(id)
      .stop({ t: 2 })
      .catch(() => undefined);
    throw new OperationError(`${err.message} (container ${id.slice(0, 12)}); last ${tail.length} log lines:\n${tail.map((l) => `  | ${l}`).join("\n")}`, {
      code: err.code,
      hint:
        err.reason === "timeout"
          ? "LiteLLM may need longer on a slow machine (--timeout SEC); otherwise the log lines say what it waits for (gatewayctl logs shows more)"
          : "the log lines say why LiteLLM stopped; fix the runtime config or the policy, then run gatewayctl start again",
    });
  } finally {
    done = true;
    await watcher;
  }
}

export function createDockerRuntime(): GatewayRuntime {
  return {
    kind: "docker",

    async start(req: StartRequest): Promise<StartResult> {
      const progress = req.onProgress ?? (() => undefined);
      const docker = await connectDocker();
      const policy = req.policy;
      const name = containerName(policy);
      const image = gatewayImage(policy, req.image);
      const baseUrl = baseUrlFor(policy);
      const publish = `${policy.gateway.bind}:${policy.gateway.port}`;
      const salt = await readSaltValue(req.stateDir);
      const eh = envHash(req.env, salt);
      let mountedDir: string;
      try {
        mountedDir = await realpath(req.runtimeDir);
      } catch (err) {
        throw new OperationError(`the runtime directory ${req.runtimeDir} does not exist`, { code: "RUNTIME_EMPTY", cause: err, hint: "run gatewayctl sync (or gatewayctl build) first" });
      }

      await removeStrays(docker, req.runtimeDir, name, progress);
      const existing = await findContainer(docker, name);
      const labels = labelsOf(existing);
      if (existing && labels[LABELS.managed] !== "true") {
        throw new OperationError(`a container named ${name} exists and was not created by gatewayctl`, {
          code: "CONTAINER_CONFLICT",
          hint: `remove or rename it (it holds the name gatewayctl uses for port ${policy.gateway.port}), or change gateway.port`,
        });
      }
      if (existing && labels[LABELS.runtimeDir] && labels[LABELS.runtimeDir] !== req.runtimeDir) {
        throw new OperationError(`container ${name} belongs to another runtime directory (${labels[LABELS.runtimeDir]})`, {
          code: "CONTAINER_CONFLICT",
          hint: `two policies use port ${policy.gateway.port}: change gateway.port in one of them, or stop the other gateway first`,
        });
      }

      let localId = await localImageId(docker, image);
      let action: StartResult["action"] = existing ? "recreated" : "started";
      if (existing) {
        const reasons: string[] = [];
        if (labels[LABELS.image] !== image) reasons.push(`image ${labels[LABELS.image] ?? "?"} -> ${image}`);
        else if (localId && existing.Image !== localId) reasons.push(`image ${image} was updated`);
        if (labels[LABELS.configHash] !== req.configHash) reasons.push(`config ${(labels[LABELS.configHash] ?? "?").slice(0, 12)} -> ${req.configHash.slice(0, 12)}`);
        if (labels[LABELS.envHash] !== eh) reasons.push("environment (secrets) changed");
        if (labels[LABELS.publish] !== publish) reasons.push(`address ${labels[LABELS.publish] ?? "?"} -> ${publish}`);
        if (reasons.length === 0) {
          if (!existing.State.Running) {
            progress(`starting the existing container ${name} (${existing.Id.slice(0, 12)}), unchanged`);
            await docker.getContainer(existing.Id).start();
            action = "started";
          }
          const version = await waitHealthy(docker, existing.Id, req, baseUrl, progress);
          if (labels[LABELS.generation]) await pinGeneration(req.runtimeDir, "docker", Number(labels[LABELS.generation]));
          await writeState(req.stateDir, DOCKER_STATE_FILE, {
            kind: "docker",
            containerId: existing.Id,
            name,
            image,
            baseUrl,
            configHash: req.configHash,
            ...(labels[LABELS.generation] ? { generation: Number(labels[LABELS.generation]) } : {}),
            mountedDir: existing.Mounts?.find((m) => m.Destination === CONTAINER_RUNTIME_DIR)?.Source ?? mountedDir,
            startedAt: existing.State.StartedAt,
            ...(version ? { litellmVersion: version } : {}),
          });
          return { action: action === "started" ? "started" : "unchanged", baseUrl, id: existing.Id, configHash: req.configHash };
        }
        progress(`recreating container ${name}: ${reasons.join("; ")}`);
      }

      if (!localId) {
        await pullImage(docker, image, progress);
        localId = await localImageId(docker, image);
      }

      if (existing) {
        const old = docker.getContainer(existing.Id);
        await old.stop({ t: STOP_TIMEOUT_SECONDS }).catch(() => undefined);
        await old.remove().catch((err: unknown) => {
          if (!isNotFound(err)) throw new OperationError(`cannot remove the old container ${name}: ${daemonMessage(err)}`, { code: "DOCKER_FAILED", cause: err, hint: "remove it by hand, then run gatewayctl start again" });
        });
      }

      const env = Object.entries(req.env)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}=${v}`);
      let container: Dockerode.Container;
      try {
        container = await docker.createContainer({
          name,
          Image: image,
          Cmd: ["--config", `${CONTAINER_RUNTIME_DIR}/config.yaml`, "--port", String(CONTAINER_PORT)],
          Env: env,
          Labels: {
            [LABELS.managed]: "true",
            [LABELS.configHash]: req.configHash,
            [LABELS.envHash]: eh,
            [LABELS.version]: GATEWAYCTL_VERSION,
            [LABELS.generation]: req.generation !== undefined ? String(req.generation) : "",
            [LABELS.image]: image,
            [LABELS.publish]: publish,
            [LABELS.runtimeDir]: req.runtimeDir,
          },
          ExposedPorts: { [`${CONTAINER_PORT}/tcp`]: {} },
          Healthcheck: HEALTHCHECK,
          HostConfig: {
            Mounts: [{ Type: "bind", Source: mountedDir, Target: CONTAINER_RUNTIME_DIR, ReadOnly: true }],
            PortBindings: { [`${CONTAINER_PORT}/tcp`]: [{ HostIp: policy.gateway.bind, HostPort: String(policy.gateway.port) }] },
            RestartPolicy: { Name: "unless-stopped" },
            ExtraHosts: ["host.docker.internal:host-gateway"],
          },
        });
      } catch (err) {
        throw new OperationError(`cannot create container ${name} from ${image}: ${redact(daemonMessage(err))}`, {
          code: "DOCKER_FAILED",
          cause: new Error(redact(daemonMessage(err))),
          hint: "the Docker daemon refused the container; the message above says why",
        });
      }
      if (req.generation !== undefined) await pinGeneration(req.runtimeDir, "docker", req.generation);
      const state: DockerState & { litellmVersion?: string } = {
        kind: "docker",
        containerId: container.id,
        name,
        image,
        baseUrl,
        configHash: req.configHash,
        ...(req.generation !== undefined ? { generation: req.generation } : {}),
        mountedDir,
        startedAt: new Date().toISOString(),
      };
      await writeState(req.stateDir, DOCKER_STATE_FILE, state);
      try {
        await container.start();
      } catch (err) {
        const msg = redact(daemonMessage(err));
        throw new OperationError(`cannot start container ${name}: ${msg}`, {
          code: "DOCKER_FAILED",
          cause: new Error(msg),
          hint: /address already in use|port is already allocated/i.test(msg)
            ? `another program listens on ${publish}: stop it or change gateway.port`
            : "the Docker daemon refused to start the container; the message above says why",
        });
      }
      progress(`started container ${name} (${container.id.slice(0, 12)}) from ${image}, runtime ${mountedDir} mounted read-only at ${CONTAINER_RUNTIME_DIR}`);
      const version = await waitHealthy(docker, container.id, req, baseUrl, progress);
      if (version) state.litellmVersion = version;
      await writeState(req.stateDir, DOCKER_STATE_FILE, state);
      return { action, baseUrl, id: container.id, configHash: req.configHash };
    },

    async stop(ctx: RuntimeContext): Promise<{ stopped: boolean; id?: string }> {
      const docker = await connectDocker();
      const name = containerName(ctx.policy);
      const info = await findContainer(docker, name);
      if (!info || labelsOf(info)[LABELS.managed] !== "true") {
        await removeState(ctx.stateDir, DOCKER_STATE_FILE);
        await unpinGeneration(ctx.runtimeDir, "docker");
        return { stopped: false };
      }
      const c = docker.getContainer(info.Id);
      const wasRunning = info.State.Running;
      if (wasRunning) {
        ctx.onProgress?.(`stopping container ${name} (${info.Id.slice(0, 12)})`);
        await c.stop({ t: STOP_TIMEOUT_SECONDS }).catch((err: unknown) => {
          if ((err as { statusCode?: number }).statusCode !== 304) throw new OperationError(`cannot stop container ${name}: ${daemonMessage(err)}`, { code: "DOCKER_FAILED", cause: err, hint: "try again; the container keeps running" });
        });
      }
      // the stopped container only: no volumes (v: false), never the image or the runtime directory
      await c.remove({ v: false }).catch((err: unknown) => {
        if (!isNotFound(err)) throw new OperationError(`cannot remove the stopped container ${name}: ${daemonMessage(err)}`, { code: "DOCKER_FAILED", cause: err, hint: "remove it by hand" });
      });
      await removeState(ctx.stateDir, DOCKER_STATE_FILE);
      await unpinGeneration(ctx.runtimeDir, "docker");
      return { stopped: wasRunning, id: info.Id.slice(0, 12) };
    },

    async status(ctx: RuntimeContext): Promise<RuntimeStatus> {
      const docker = await connectDocker();
      const name = containerName(ctx.policy);
      const baseUrl = baseUrlFor(ctx.policy);
      const disk = await readDiskConfig(ctx.runtimeDir);
      const diskPart = {
        ...(disk ? { diskConfigHash: disk.hash } : {}),
        ...(disk?.generation !== undefined ? { diskGeneration: disk.generation } : {}),
      };
      const info = await findContainer(docker, name);
      if (!info || labelsOf(info)[LABELS.managed] !== "true") return { kind: "docker", state: "missing", baseUrl, ...diskPart };
      const labels = labelsOf(info);
      const gen = labels[LABELS.generation] ? Number(labels[LABELS.generation]) : undefined;
      const common = {
        kind: "docker" as const,
        id: info.Id,
        baseUrl,
        image: labels[LABELS.image] ?? info.Config.Image,
        ...(labels[LABELS.configHash] ? { runningConfigHash: labels[LABELS.configHash] } : {}),
        ...(gen !== undefined ? { runningGeneration: gen } : {}),
        ...diskPart,
        startedAt: info.State.StartedAt,
      };
      if (!info.State.Running) return { ...common, state: "stopped" };
      const health = await probeHealth(baseUrl);
      const dockerHealth = info.State.Health?.Status;
      const state: RuntimeStatus["state"] =
        health.liveliness && health.readiness ? "running" : dockerHealth === "starting" || dockerHealth === undefined ? "starting" : "unhealthy";
      const version = typeof health.readinessBody?.litellm_version === "string" ? health.readinessBody.litellm_version : undefined;
      return { ...common, state, health: { liveliness: health.liveliness, readiness: health.readiness }, ...(version ? { litellmVersion: version } : {}) };
    },

    async logs(req: LogsRequest): Promise<void> {
      const docker = await connectDocker();
      const name = containerName(req.policy);
      const info = await findContainer(docker, name);
      if (!info) {
        throw new OperationError(`there is no gateway container ${name}`, { code: "NOT_RUNNING", hint: "start it with gatewayctl start --runtime docker" });
      }
      const c = docker.getContainer(info.Id);
      const tail = req.tail !== undefined ? { tail: req.tail } : {};
      if (!req.follow) {
        const buf = (await c.logs({ stdout: true, stderr: true, follow: false, ...tail })) as unknown as Buffer;
        const text = demuxBuffer(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
        for (const line of text.split("\n")) if (line) req.write(line);
        return;
      }
      const stream = (await c.logs({ stdout: true, stderr: true, follow: true, ...tail })) as unknown as NodeJS.ReadableStream & { destroy?: () => void };
      const demux = new LogLineDemuxer((line) => req.write(line));
      await new Promise<void>((resolvePromise, reject) => {
        const finish = (): void => {
          demux.end();
          resolvePromise();
        };
        stream.on("data", (c: Buffer) => demux.push(c));
        stream.on("end", finish);
        stream.on("close", finish);
        stream.on("error", (err) => (req.signal?.aborted ? finish() : reject(err)));
        req.signal?.addEventListener("abort", () => {
          stream.destroy?.();
          finish();
        });
      });
    },
  };
}
