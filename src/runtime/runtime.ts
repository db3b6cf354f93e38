import type { GatewayFacts, RuntimeKind } from "../artifact/types.js";

export type { RuntimeKind } from "../artifact/types.js";

/** One interface, two implementations: the Docker Engine (dockerode) and a local process. */
export interface RuntimeContext {
  /** the gateway as the runtime artifact describes it (address, image, master key name, pinned version) */
  facts: GatewayFacts;
  /** absolute path of the live runtime directory (contains config.yaml) */
  runtimeDir: string;
  /** absolute path of the state directory (runtimePaths(dir).stateDir) */
  stateDir: string;
  /** progress lines for a person (stderr) */
  onProgress?: (line: string) => void;
}

export interface StartRequest extends RuntimeContext {
  /** resolved secrets, passed as environment only; never written anywhere */
  env: Record<string, string>;
  /** sha256 of the runtime directory's content (manifest hash) */
  configHash: string;
  /** generation number of the runtime directory, when sync knows it */
  generation?: number;
  timeoutMs: number;
  /** docker: image override (default: the artifact's image); process: path of the litellm executable */
  image?: string;
  litellmBin?: string;
}

export interface StartResult {
  /** "started" a new gateway, "unchanged" the running one already matched, "recreated" after a change */
  action: "started" | "unchanged" | "recreated";
  baseUrl: string;
  /** pid for process, container id for docker */
  id: string;
  configHash: string;
}

export interface RuntimeStatus {
  kind: RuntimeKind;
  /** crashed: it exited with an error (killed, OOM, LiteLLM died) rather than being stopped */
  state: "running" | "stopped" | "crashed" | "unhealthy" | "starting" | "missing";
  exitCode?: number;
  /** docker: who created the container */
  startedBy?: "gatewayctl" | "docker-compose";
  id?: string;
  baseUrl: string;
  health?: { liveliness: boolean; readiness: boolean };
  image?: string;
  litellmVersion?: string;
  /** config hash / generation running vs on disk */
  runningConfigHash?: string;
  diskConfigHash?: string;
  runningGeneration?: number;
  diskGeneration?: number;
  startedAt?: string;
  /** a scaled-out gateway: each process behind (and in front of) the balancer */
  members?: Array<{ role: "replica" | "balancer" | "redis"; id: string; address: string; state: "running" | "crashed"; health?: { liveliness: boolean; readiness: boolean } }>;
}

export interface LogsRequest extends RuntimeContext {
  follow: boolean;
  tail?: number;
  write: (chunk: string) => void;
  signal?: AbortSignal;
}

export interface GatewayRuntime {
  readonly kind: RuntimeKind;
  start(req: StartRequest): Promise<StartResult>;
  stop(ctx: RuntimeContext): Promise<{ stopped: boolean; id?: string }>;
  status(ctx: RuntimeContext): Promise<RuntimeStatus>;
  logs(req: LogsRequest): Promise<void>;
}

/** Loads the implementation lazily so commands that do not start anything never load dockerode. */
export async function getRuntime(kind: RuntimeKind): Promise<GatewayRuntime> {
  if (kind === "docker") {
    const { createDockerRuntime } = await import("./docker-runtime.js");
    return createDockerRuntime();
  }
  const { createProcessRuntime } = await import("./process-runtime.js");
  return createProcessRuntime();
}
