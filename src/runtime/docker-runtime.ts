/**
 * The Docker runtime: LiteLLM in a container named `gatewayctl-<port>`, created through dockerode (never the
 * `docker` CLI), from the one container specification the artifact module derives (the same one
 * docker-compose.yml renders).
 *
 * The runtime's generations directory is bind-mounted read-only, and LiteLLM reads its config through the
 * `current` link in it: a container that restarts (a reboot, restart policy unless-stopped) comes back on the
 * generation sync last made live, the last known-good one. LiteLLM reads its config only at start, so a sync
 * changes the config hash, and the next `gatewayctl start` recreates the container.
 *
 * The container is recreated only when the image, the config hash, the environment (a salted HMAC of names and
 * values, in a label; never the values) or the published address changed. After it is ready, the LiteLLM
 * version inside the image is read and judged like the process runtime's: a forbidden release is stopped.
 */
import { createHmac, randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { CONTAINER_CONFIG_PATH, CONTAINER_GENERATIONS_DIR, LABELS, containerName, containerSpec, gatewayBaseUrl, publishLabel, type ContainerSpec } from "../artifact/gateway.js";
import { OperationError } from "../lib/errors.js";
import { redact } from "../lib/output.js";
import { GATEWAYCTL_VERSION } from "../lib/version.js";
import { judgeLitellmVersion } from "../lib/versions.js";
import { connectDocker, daemonMessage, dockerTarget, isNotFound } from "./docker-connect.js";
import { demuxBuffer, LogLineDemuxer } from "./docker-logs.js";
import { HealthWaitError, probeHealth, waitForHealth } from "./health.js";
import { ensureStateDir, readDiskConfig, readState, removeState, writeState } from "./state.js";
import { syncCurrentLink } from "./sync-generations.js";
import type { GatewayRuntime, LogsRequest, RuntimeContext, RuntimeStatus, StartRequest, StartResult } from "./runtime.js";

export const DOCKER_STATE_FILE = "docker.json";
const SALT_FILE = "docker-env-salt";
const LOG_TAIL_ON_FAILURE = 30;
const STOP_TIMEOUT_SECONDS = 10;

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

/** The Engine's rendering of the spec's healthcheck (nanoseconds). */
function engineHealthcheck(spec: ContainerSpec): Dockerode.HealthConfig {
  const ns = (sec: number): number => sec * 1_000_000_000;
  const h = spec.healthcheck;
  return { Test: h.test, Interval: ns(h.intervalSeconds), Timeout: ns(h.timeoutSeconds), Retries: h.retries, StartPeriod: ns(h.startPeriodSeconds) };
}

/** The LiteLLM version installed in a running container (its Python package metadata), or undefined. */
async function containerLitellmVersion(docker: Dockerode, id: string): Promise<string | undefined> {
  try {
    const exec = await docker.getContainer(id).exec({
      Cmd: ["python3", "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolveP) => {
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => resolveP());
      stream.on("error", () => resolveP());
      setTimeout(resolveP, 20_000).unref();
    });
    const inspect = await exec.inspect();
    if (inspect.ExitCode !== 0) return undefined;
    const text = demuxBuffer(Buffer.concat(chunks)).trim();
    return /^\d+\.\d+/.test(text) ? text.split("\n").pop()!.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** A gateway container for this address that gatewayctl did not create (docker-compose up of the generated file). */
async function findByLabels(docker: Dockerode, ctx: RuntimeContext): Promise<Dockerode.ContainerInfo | undefined> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`, `${LABELS.publish}=${publishLabel(ctx.facts)}`] } });
  return list.sort((a, b) => (a.State === "running" ? -1 : 0) - (b.State === "running" ? -1 : 0))[0];
}

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
  litellmVersion?: string;
  startedAt: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(docker: Dockerode, id: string, req: StartRequest, baseUrl: string, progress: (l: string) => void): Promise<void> {
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
      await sleep(400);
    }
  })();
  try {
    await waitForHealth({ baseUrl, timeoutMs: req.timeoutMs, onProgress: progress, checkAborted: () => aborted });
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

/** Read the LiteLLM version in the container and judge it; a forbidden release is stopped and removed. */
async function judgeContainerVersion(docker: Dockerode, id: string, req: StartRequest, image: string, progress: (l: string) => void): Promise<string | undefined> {
  const version = await containerLitellmVersion(docker, id);
  if (!version) {
    progress(`warning: could not read the LiteLLM version inside ${image} (python3 importlib.metadata)`);
    return undefined;
  }
  const verdict = judgeLitellmVersion(version, req.facts.litellmVersion);
  if (verdict.refuse) {
    const c = docker.getContainer(id);
    await c.stop({ t: 2 }).catch(() => undefined);
    await c.remove({ force: true }).catch(() => undefined);
    await removeState(req.stateDir, DOCKER_STATE_FILE);
    throw new OperationError(`${verdict.refuse}: the image ${image} carries it; stopped and removed the container again`, {
      code: "LITELLM_FORBIDDEN_VERSION",
      hint: "use the pinned release's image (scripts/build-litellm-image.sh builds one locally), or set gateway.image to a safe one",
    });
  }
  for (const w of verdict.warnings) progress(`warning: ${w}`);
  return version;
}

export function createDockerRuntime(): GatewayRuntime {
  return {
    kind: "docker",

    async start(req: StartRequest): Promise<StartResult> {
      const progress = req.onProgress ?? (() => undefined);
      const docker = await connectDocker();
      const { facts } = req;
      const name = containerName(facts);
      const spec = containerSpec(facts, req.runtimeDir, `gatewayctl ${GATEWAYCTL_VERSION}`, req.image);
      const image = spec.image;
      const baseUrl = gatewayBaseUrl(facts.bind, facts.port);
      const publish = publishLabel(facts);
      const salt = await readSaltValue(req.stateDir);
      const eh = envHash(req.env, salt);
      // the container reads through D.generations/current: make sure it names the live generation
      await syncCurrentLink(req.runtimeDir);

      await removeStrays(docker, req.runtimeDir, name, progress);
      const existing = await findContainer(docker, name);
      const labels = labelsOf(existing);
      if (existing && labels[LABELS.creator] !== "gatewayctl") {
        throw new OperationError(`a container named ${name} exists and was not created by gatewayctl`, {
          code: "CONTAINER_CONFLICT",
          hint: `remove or rename it (it holds the name gatewayctl uses for port ${facts.port}), or change gateway.port`,
        });
      }
      if (existing && labels[LABELS.runtimeDir] && labels[LABELS.runtimeDir] !== req.runtimeDir) {
        throw new OperationError(`container ${name} belongs to another runtime directory (${labels[LABELS.runtimeDir]})`, {
          code: "CONTAINER_CONFLICT",
          hint: `two policies use port ${facts.port}: change gateway.port in one of them, or stop the other gateway first`,
        });
      }
      const other = existing ? undefined : await findByLabels(docker, req);
      if (other && other.State === "running") {
        throw new OperationError(`another gateway container (${(other.Names[0] ?? other.Id).replace(/^\//, "")}, started by docker-compose?) publishes ${publish}`, {
          code: "CONTAINER_CONFLICT",
          hint: "stop it first (docker-compose down in the build output), or run only one of the two",
        });
      }

      let localId = await localImageId(docker, image);
      let action: StartResult["action"] = existing ? "recreated" : "started";
      const state: DockerState = {
        kind: "docker",
        containerId: existing?.Id ?? "",
        name,
        image,
        baseUrl,
        configHash: req.configHash,
        ...(req.generation !== undefined ? { generation: req.generation } : {}),
        startedAt: existing?.State.StartedAt ?? new Date().toISOString(),
      };
      if (existing) {
        const reasons: string[] = [];
        if (labels[LABELS.image] !== image) reasons.push(`image ${labels[LABELS.image] ?? "?"} -> ${image}`);
        else if (localId && existing.Image !== localId) reasons.push(`image ${image} was updated`);
        if (labels[LABELS.configHash] !== req.configHash) reasons.push(`config ${(labels[LABELS.configHash] ?? "?").slice(0, 12)} -> ${req.configHash.slice(0, 12)}`);
        if (labels[LABELS.envHash] !== eh) reasons.push("environment (secrets) changed");
        if (labels[LABELS.publish] !== publish) reasons.push(`address ${labels[LABELS.publish] ?? "?"} -> ${publish}`);
        if (existing.Mounts?.find((m) => m.Destination === CONTAINER_GENERATIONS_DIR) === undefined) reasons.push("runtime mount changed");
        if (existing.Mounts?.find((m) => m.Destination === spec.stateMount.target) === undefined) reasons.push("no ledger mount yet");
        if (reasons.length === 0) {
          if (!existing.State.Running) {
            progress(`starting the existing container ${name} (${existing.Id.slice(0, 12)}), unchanged`);
            await docker.getContainer(existing.Id).start();
            action = "started";
          }
          await waitHealthy(docker, existing.Id, req, baseUrl, progress);
          const version = await judgeContainerVersion(docker, existing.Id, req, image, progress);
          await writeState(req.stateDir, DOCKER_STATE_FILE, { ...state, startedAt: existing.State.StartedAt, ...(version ? { litellmVersion: version } : {}) });
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

      // the ledger's directory: created here (0700) so the Engine does not create it for root
      await mkdir(spec.stateMount.source, { recursive: true, mode: 0o700 });
      const env = Object.entries({ ...spec.fixedEnv, ...req.env })
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}=${v}`);
      const port = `${spec.publish.containerPort}/tcp`;
      let container: Dockerode.Container;
      try {
        container = await docker.createContainer({
          name,
          Image: image,
          Cmd: spec.command,
          Env: env,
          Labels: {
            ...spec.labels,
            [LABELS.creator]: "gatewayctl",
            [LABELS.configHash]: req.configHash,
            [LABELS.envHash]: eh,
            [LABELS.generation]: req.generation !== undefined ? String(req.generation) : "",
            [LABELS.image]: image,
            [LABELS.runtimeDir]: req.runtimeDir,
          },
          ExposedPorts: { [port]: {} },
          Healthcheck: engineHealthcheck(spec),
          HostConfig: {
            Mounts: [
              { Type: "bind", Source: spec.mount.source, Target: spec.mount.target, ReadOnly: spec.mount.readOnly },
              { Type: "bind", Source: spec.stateMount.source, Target: spec.stateMount.target, ReadOnly: spec.stateMount.readOnly },
            ],
            PortBindings: { [port]: [{ HostIp: spec.publish.hostIp, HostPort: String(spec.publish.hostPort) }] },
            RestartPolicy: { Name: spec.restart },
            ExtraHosts: spec.extraHosts,
          },
        });
      } catch (err) {
        throw new OperationError(`cannot create container ${name} from ${image}: ${redact(daemonMessage(err))}`, {
          code: "DOCKER_FAILED",
          cause: new Error(redact(daemonMessage(err))),
          hint: "the Docker daemon refused the container; the message above says why",
        });
      }
      state.containerId = container.id;
      state.startedAt = new Date().toISOString();
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
      progress(`started container ${name} (${container.id.slice(0, 12)}) from ${image}, ${spec.mount.source} mounted read-only at ${spec.mount.target} (config ${CONTAINER_CONFIG_PATH})`);
      await waitHealthy(docker, container.id, req, baseUrl, progress);
      const version = await judgeContainerVersion(docker, container.id, req, image, progress);
      if (version) state.litellmVersion = version;
      await writeState(req.stateDir, DOCKER_STATE_FILE, state);
      return { action, baseUrl, id: container.id, configHash: req.configHash };
    },

    async stop(ctx: RuntimeContext): Promise<{ stopped: boolean; id?: string }> {
      const docker = await connectDocker();
      const name = containerName(ctx.facts);
      const info = await findContainer(docker, name);
      if (!info || labelsOf(info)[LABELS.creator] !== "gatewayctl") {
        await removeState(ctx.stateDir, DOCKER_STATE_FILE);
        const other = await findByLabels(docker, ctx);
        if (other?.State === "running") {
          ctx.onProgress?.(`container ${(other.Names[0] ?? other.Id).replace(/^\//, "")} serves this gateway but was started by docker-compose: stop it with docker-compose down`);
        }
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
      return { stopped: wasRunning, id: info.Id.slice(0, 12) };
    },

    async status(ctx: RuntimeContext): Promise<RuntimeStatus> {
      const docker = await connectDocker();
      const baseUrl = gatewayBaseUrl(ctx.facts.bind, ctx.facts.port);
      const disk = await readDiskConfig(ctx.runtimeDir);
      const diskPart = {
        ...(disk ? { diskConfigHash: disk.hash } : {}),
        ...(disk?.generation !== undefined ? { diskGeneration: disk.generation } : {}),
      };
      let info = await findContainer(docker, containerName(ctx.facts));
      let startedBy: "gatewayctl" | "docker-compose" = "gatewayctl";
      if (!info || labelsOf(info)[LABELS.creator] !== "gatewayctl") {
        const other = await findByLabels(docker, ctx);
        info = other ? await findContainer(docker, other.Id) : undefined;
        startedBy = "docker-compose";
      }
      if (!info) return { kind: "docker", state: "missing", baseUrl, ...diskPart };
      const labels = labelsOf(info);
      const gen = labels[LABELS.generation] ? Number(labels[LABELS.generation]) : undefined;
      const saved = startedBy === "gatewayctl" ? await readState<DockerState>(ctx.stateDir, DOCKER_STATE_FILE).catch(() => undefined) : undefined;
      const version = saved?.containerId === info.Id ? saved.litellmVersion : undefined;
      const common = {
        kind: "docker" as const,
        id: info.Id,
        baseUrl,
        startedBy,
        image: labels[LABELS.image] ?? info.Config.Image,
        ...(labels[LABELS.configHash] ? { runningConfigHash: labels[LABELS.configHash] } : {}),
        ...(gen !== undefined ? { runningGeneration: gen } : {}),
        ...diskPart,
        startedAt: info.State.StartedAt,
        ...(version ? { litellmVersion: version } : {}),
      };
      if (!info.State.Running) return { ...common, state: info.State.ExitCode === 0 ? "stopped" : "crashed", exitCode: info.State.ExitCode };
      const health = await probeHealth(baseUrl);
      const dockerHealth = info.State.Health?.Status;
      const state: RuntimeStatus["state"] =
        health.liveliness && health.readiness ? "running" : dockerHealth === "starting" || dockerHealth === undefined ? "starting" : "unhealthy";
      const reported = typeof health.readinessBody?.litellm_version === "string" ? health.readinessBody.litellm_version : undefined;
      // a scaled compose gateway: every replica container (the balancer answers on the address above)
      const members: RuntimeStatus["members"] = [];
      if (ctx.facts.scale && startedBy === "docker-compose") {
        const replicas = await docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`, `${LABELS.publish}=${publishLabel(ctx.facts)}`] } });
        for (const r of replicas.sort((a, b) => ((a.Names[0] ?? "") < (b.Names[0] ?? "") ? -1 : 1))) {
          const dockerState = /\((healthy|unhealthy|health: starting)\)/.exec(r.Status)?.[1];
          members.push({
            role: "replica",
            id: r.Id.slice(0, 12),
            address: (r.Names[0] ?? r.Id).replace(/^\//, ""),
            state: r.State === "running" ? "running" : "crashed",
            ...(dockerState ? { health: { liveliness: r.State === "running", readiness: dockerState === "healthy" } } : {}),
          });
        }
      }
      const allUp = members.every((m) => m.state === "running");
      return {
        ...common,
        state: state === "running" && !allUp ? "unhealthy" : state,
        health: { liveliness: health.liveliness, readiness: health.readiness },
        ...(reported ? { litellmVersion: reported } : {}),
        ...(members.length ? { members } : {}),
      };
    },

    async logs(req: LogsRequest): Promise<void> {
      const docker = await connectDocker();
      const name = containerName(req.facts);
      let info = await findContainer(docker, name);
      if (!info) {
        const other = await findByLabels(docker, req);
        info = other ? await findContainer(docker, other.Id) : undefined;
      }
      if (!info) {
        throw new OperationError(`there is no gateway container ${name}`, { code: "NOT_RUNNING", hint: "start it with gatewayctl start" });
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
