/**
 * Reaching the Docker Engine through dockerode (loaded lazily; never the `docker` CLI), with errors that say
 * which daemon was tried and what to do.
 */
import type Dockerode from "dockerode";
import { OperationError } from "../lib/errors.js";

/** The daemon address dockerode uses: DOCKER_HOST, else the default socket. */
export function dockerTarget(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST && env.DOCKER_HOST.trim() ? env.DOCKER_HOST.trim() : "unix:///var/run/docker.sock";
}

function unreachable(target: string, cause: unknown): OperationError {
  const e = cause as NodeJS.ErrnoException;
  const code = e?.code ?? "";
  const why =
    code === "ENOENT"
      ? "the socket does not exist"
      : code === "EACCES"
        ? "permission denied on the socket"
        : code === "ECONNREFUSED"
          ? "connection refused"
          : code === "ETIMEDOUT" || code === "TIMEOUT"
            ? "no answer"
            : (e?.message ?? String(cause));
  const hint =
    code === "EACCES"
      ? "run as a user in the docker group (or root), or point DOCKER_HOST at a socket you may use"
      : `start the Docker daemon (systemctl start docker), or set DOCKER_HOST to the daemon's socket (tried ${target}); ` +
        "for the tests: bash scripts/setup-docker.sh && export DOCKER_HOST=unix:///tmp/gw-docker.sock";
  return new OperationError(`cannot reach the Docker daemon at ${target} (DOCKER_HOST${process.env.DOCKER_HOST ? "" : " unset, so the default socket"}): ${why}`, {
    code: "DOCKER_UNREACHABLE",
    cause,
    hint,
  });
}

/** Connect and ping (5 s); throws OperationError naming the DOCKER_HOST that was tried. */
export async function connectDocker(pingTimeoutMs = 5_000): Promise<Dockerode> {
  const target = dockerTarget();
  const { default: Docker } = await import("dockerode");
  let docker: Dockerode;
  try {
    docker = new Docker();
  } catch (err) {
    throw unreachable(target, err);
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error("no answer within 5 s"), { code: "TIMEOUT" })), pingTimeoutMs);
      }),
    ]);
  } catch (err) {
    throw unreachable(target, err);
  } finally {
    if (timer) clearTimeout(timer);
  }
  return docker;
}

/** Whether a dockerode error is an HTTP 404 from the daemon. */
export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 404;
}

/** The daemon's message of a dockerode error, without dockerode's "(HTTP code 500) server error - " prefix. */
export function daemonMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  const m = e?.json?.message ?? e?.message ?? String(err);
  return m.replace(/^\(HTTP code \d+\) [a-z ]+ - /i, "").trim();
}
