/**
 * Small local images standing in for the LiteLLM image (no registry is reachable here): busybox's httpd serving
 * `/health/liveliness` and `/health/readiness` on port 4000. Built through dockerode's buildImage with a tar
 * context made here (no docker CLI). The entrypoint ignores the `--config ... --port 4000` arguments gatewayctl
 * passes, and prints them so a test can check what the container was given.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type Dockerode from "dockerode";

export const FAKE_LITELLM_IMAGE = "gatewayctl-test/fake-litellm:1";
/** Prints a line with the master key (to check redaction), then exits 1: a gateway that never becomes healthy. */
export const BROKEN_LITELLM_IMAGE = "gatewayctl-test/broken-litellm:1";

const BUSYBOX_CANDIDATES = ["/bin/busybox", "/usr/bin/busybox"];

/** A ustar archive of the given files (enough for a docker build context). */
export function tarArchive(files: Array<{ name: string; content: Buffer | string; mode?: number }>): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const body = Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content);
    const h = Buffer.alloc(512, 0);
    h.write(f.name, 0, 100, "utf8");
    h.write(`${(f.mode ?? 0o644).toString(8).padStart(7, "0")}\0`, 100, "ascii");
    h.write("0000000\0", 108, "ascii");
    h.write("0000000\0", 116, "ascii");
    h.write(`${body.length.toString(8).padStart(11, "0")}\0`, 124, "ascii");
    h.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, "0")}\0`, 136, "ascii");
    h.write("        ", 148, "ascii");
    h.write("0", 156, "ascii");
    h.write("ustar\0", 257, "ascii");
    h.write("00", 263, "ascii");
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512, 0));
  }
  blocks.push(Buffer.alloc(1024, 0));
  return Buffer.concat(blocks);
}

/** Whether an ELF64 executable asks for a dynamic loader (has a PT_INTERP program header). */
function hasInterpreter(elf: Buffer): boolean {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (elf.readUInt32LE(phoff + i * phentsize) === 3) return true;
  return false;
}

function busybox(): Buffer {
  const path = BUSYBOX_CANDIDATES.find((p) => existsSync(p));
  if (!path) throw new Error("busybox is not installed: apt-get install -y busybox-static (the test image needs its static binary)");
  const bin = readFileSync(path);
  // a dynamically linked busybox would not run in a FROM scratch image
  if (hasInterpreter(bin)) {
    throw new Error(`${path} is dynamically linked: install busybox-static (apt-get install -y busybox-static)`);
  }
  return bin;
}

const DOCKERFILE_BASE = [
  "FROM scratch",
  "COPY busybox /bin/busybox",
  'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
  "COPY www /www",
  "COPY entrypoint.sh /entrypoint.sh",
  'ENTRYPOINT ["/bin/sh", "/entrypoint.sh"]',
  "",
].join("\n");

const HEALTHY_ENTRYPOINT = [
  "#!/bin/sh",
  "# stands in for LiteLLM: ignores its arguments, serves the two health endpoints on 4000",
  'echo "fake-litellm: args: $*"',
  'echo "fake-litellm: config dir: $(ls /etc/gatewayctl/runtime 2>&1 | tr \'\\n\' \' \')"',
  "# PID 1 ignores SIGTERM unless it traps it: stop promptly, as LiteLLM does",
  "httpd -f -v -p 4000 -h /www &",
  "pid=$!",
  "trap 'kill $pid; exit 0' TERM INT",
  "wait $pid",
  "",
].join("\n");

const BROKEN_ENTRYPOINT = [
  "#!/bin/sh",
  'echo "broken-litellm: starting with master key $LITELLM_MASTER_KEY"',
  'echo "broken-litellm: fatal: cannot load the config" >&2',
  "exit 1",
  "",
].join("\n");

const CONTEXT_LABEL = "gatewayctl-test.context";

function contextHash(entrypoint: string): string {
  return createHash("sha256").update(DOCKERFILE_BASE).update("\0").update(entrypoint).digest("hex").slice(0, 16);
}

async function build(docker: Dockerode, tag: string, entrypoint: string): Promise<void> {
  const context = tarArchive([
    { name: "Dockerfile", content: `${DOCKERFILE_BASE}LABEL ${CONTEXT_LABEL}=${contextHash(entrypoint)}\n` },
    { name: "busybox", content: busybox(), mode: 0o755 },
    { name: "www/health/liveliness", content: "\"I'm alive!\"" },
    { name: "www/health/readiness", content: JSON.stringify({ status: "healthy", db: "Not connected", litellm_version: "fake" }) },
    { name: "entrypoint.sh", content: entrypoint, mode: 0o755 },
  ]);
  const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: tag, rm: true, forcerm: true });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
      const failed = err ?? out.find((o) => o.error);
      if (failed) reject(new Error(`building ${tag} failed: ${failed instanceof Error ? failed.message : failed.error}`));
      else resolve();
    });
  });
}

/** Connect to DOCKER_HOST; fail (never skip) with a clear message when no daemon answers. */
export async function testDocker(): Promise<Dockerode> {
  const { default: Docker } = await import("dockerode");
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(
      `no Docker daemon answers at ${process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock"} (${(err as Error).message}). ` +
        "These tests need the real Docker Engine: bash scripts/setup-docker.sh && export DOCKER_HOST=unix:///tmp/gw-docker.sock",
    );
  }
  return docker;
}

/** Build the fake LiteLLM images unless they already exist. */
export async function ensureTestImages(docker: Dockerode): Promise<void> {
  for (const [tag, entry] of [
    [FAKE_LITELLM_IMAGE, HEALTHY_ENTRYPOINT],
    [BROKEN_LITELLM_IMAGE, BROKEN_ENTRYPOINT],
  ] as const) {
    const existing = await docker
      .getImage(tag)
      .inspect()
      .catch(() => undefined);
    // rebuilt when missing or built from another version of this file
    if (existing?.Config?.Labels?.[CONTEXT_LABEL] !== contextHash(entry)) await build(docker, tag, entry);
  }
}

/** Remove every container gatewayctl created for a runtime directory (test cleanup). */
export async function removeGatewayContainers(docker: Dockerode, runtimeDir: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`gatewayctl.runtime-dir=${runtimeDir}`] } });
  for (const c of list) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
}
