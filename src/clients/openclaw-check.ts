/**
 * `gatewayctl clients openclaw --check [FILE]`: can the OpenClaw agents run where OpenClaw runs? OpenClaw's sandbox
 * (`sandbox.mode: "all"` or `"non-main"`) runs tools in a Docker container through the `docker` CLI: it needs the CLI,
 * a daemon it reaches (DOCKER_HOST or /var/run/docker.sock) and the sandbox image, else every turn of a sandboxed
 * agent fails with SandboxProvisioningError. gatewayctl's private agent needs none of it (no tool to sandbox); an
 * agent of the user's own file that is sandboxed does. I/O: runs `docker`, reads the file.
 */
import { readFile } from "node:fs/promises";
import JSON5 from "json5";

/** OpenClaw 2026.9's default sandbox image. */
export const OPENCLAW_SANDBOX_IMAGE = "openclaw-sandbox:bookworm-slim";

export interface OpenClawCheck {
  docker: { cli: boolean; daemon: boolean; host: string; detail?: string };
  image: { name: string; present: boolean };
  /** agents in the file whose sandbox mode needs Docker (id and mode) */
  sandboxedAgents: Array<{ id: string; mode: string }>;
  /** agents that cannot run a turn here */
  blocked: string[];
  file?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Agents whose effective sandbox mode is not "off" (an entry's own mode, else agents.defaults'). */
export function sandboxedAgents(config: unknown): Array<{ id: string; mode: string; image: string }> {
  const agents = isObj(config) && isObj(config.agents) ? config.agents : {};
  const defaults = isObj(agents.defaults) && isObj(agents.defaults.sandbox) ? agents.defaults.sandbox : {};
  const imageOf = (s: Obj): string => (isObj(s.docker) && typeof s.docker.image === "string" ? s.docker.image : undefined) ?? (isObj(defaults.docker) && typeof defaults.docker.image === "string" ? defaults.docker.image : OPENCLAW_SANDBOX_IMAGE);
  const entries = isObj(agents.entries) ? agents.entries : {};
  const ids = Object.keys(entries).length > 0 ? Object.keys(entries) : ["main"];
  const out: Array<{ id: string; mode: string; image: string }> = [];
  for (const id of ids) {
    const entry = isObj(entries[id]) ? entries[id] : {};
    const own = isObj(entry.sandbox) ? entry.sandbox : {};
    const mode = typeof own.mode === "string" ? own.mode : typeof defaults.mode === "string" ? defaults.mode : "off";
    if (mode !== "off") out.push({ id, mode, image: imageOf(own) });
  }
  return out;
}

export async function checkOpenClaw(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): Promise<OpenClawCheck> {
  const env = options.env ?? process.env;
  const { execa } = await import("execa");
  const host = env.DOCKER_HOST?.trim() || "unix:///var/run/docker.sock";
  const docker = async (args: string[]) => execa("docker", args, { env, reject: false, timeout: 15_000 });
  let config: unknown = {};
  if (options.file) {
    const text = await readFile(options.file, "utf8").catch(() => undefined);
    if (text !== undefined) {
      try {
        config = JSON5.parse(text);
      } catch {
        config = {};
      }
    }
  }
  const sandboxed = sandboxedAgents(config);
  const images = [...new Set([OPENCLAW_SANDBOX_IMAGE, ...sandboxed.map((a) => a.image)])];
  const version = await docker(["version", "--format", "{{.Server.Version}}"]).catch((err: Error) => ({ exitCode: 127, stdout: "", stderr: err.message, failed: true }));
  const cli = !(version as { code?: string }).code && version.exitCode !== 127;
  const daemon = cli && version.exitCode === 0;
  const detail = daemon ? `server ${version.stdout.trim()}` : (version.stderr || "").split("\n").find((l) => l.trim() !== "")?.trim();
  const present = new Map<string, boolean>();
  for (const image of images) present.set(image, daemon && (await docker(["image", "inspect", image])).exitCode === 0);
  const blocked = sandboxed.filter((a) => !daemon || !present.get(a.image)).map((a) => a.id);
  return {
    docker: { cli, daemon, host, ...(detail ? { detail } : {}) },
    image: { name: OPENCLAW_SANDBOX_IMAGE, present: present.get(OPENCLAW_SANDBOX_IMAGE) ?? false },
    sandboxedAgents: sandboxed.map(({ id, mode }) => ({ id, mode })),
    blocked,
    ...(options.file ? { file: options.file } : {}),
  };
}

/** Lines for people. */
export function renderOpenClawCheck(c: OpenClawCheck): string[] {
  const lines = [
    `docker CLI: ${c.docker.cli ? "found" : "not found on PATH"}`,
    `docker daemon (${c.docker.host}): ${c.docker.daemon ? `reachable${c.docker.detail ? `, ${c.docker.detail}` : ""}` : `not reachable${c.docker.detail ? ` (${c.docker.detail})` : ""}`}`,
    `sandbox image ${c.image.name}: ${c.image.present ? "present" : "missing"}`,
    "gatewayctl's private agent needs no sandbox: none of its tools runs commands, touches files or reaches the network.",
  ];
  if (c.file) {
    if (c.sandboxedAgents.length === 0) lines.push(`${c.file}: no agent is sandboxed`);
    for (const a of c.sandboxedAgents) {
      lines.push(`${c.file}: agent "${a.id}" has sandbox.mode "${a.mode}": ${c.blocked.includes(a.id) ? "its turns FAIL here (SandboxProvisioningError)" : "can run here"}`);
    }
  }
  if (c.blocked.length > 0 || !c.docker.daemon || !c.image.present) {
    lines.push(
      "to sandbox an agent: start Docker where OpenClaw runs (or set DOCKER_HOST for it) and build the image as OpenClaw's docs say " +
        "(docs/gateway/sandboxing/images-and-setup.md: docker build -t openclaw-sandbox:bookworm-slim from debian:bookworm-slim); or set that agent's sandbox.mode to \"off\"",
    );
  }
  return lines;
}
