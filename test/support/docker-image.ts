/**
 * Small local images standing in for the LiteLLM image (no registry is reachable here): busybox's httpd serving
 * `/health/liveliness` and `/health/readiness` on port 4000. Built through dockerode's buildImage with a tar
 * context made here (no docker CLI). The entrypoint ignores the `--config ... --port 4000` arguments gatewayctl
 * passes, and prints them so a test can check what the container was given.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type Dockerode from "dockerode";
import { DEFAULT_LITELLM_VERSION } from "../../src/lib/versions.js";

export const FAKE_LITELLM_IMAGE = "gatewayctl-test/fake-litellm:1";
/** Prints a line with the master key (to check redaction), then exits 1: a gateway that never becomes healthy. */
export const BROKEN_LITELLM_IMAGE = "gatewayctl-test/broken-litellm:1";
/** Healthy, but its python3 reports LiteLLM 1.82.7 (a compromised release): the version judge must stop it. */
export const FORBIDDEN_LITELLM_IMAGE = "gatewayctl-test/forbidden-litellm:1";

/**
 * The stand-ins' python3: gatewayctl's container healthcheck (python3 -c "...urlopen(.../health/liveliness)") and its
 * version probe (python3 -c "...importlib.metadata...") are the only python3 calls a LiteLLM container gets.
 */
function python3Shim(version: string): string {
  return [
    "#!/bin/sh",
    'case "$*" in',
    `  *importlib*) echo "${version}" ;;`,
    "  *) wget -q -O /dev/null http://127.0.0.1:4000/health/liveliness ;;",
    "esac",
    "",
  ].join("\n");
}

const BUSYBOX_CANDIDATES = ["/bin/busybox", "/usr/bin/busybox"];

/** A ustar archive of the given files (enough for a docker build context). */
export function tarArchive(files: Array<{ name: string; content: Buffer | string; mode?: number; symlinkTo?: string }>): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const body = f.symlinkTo !== undefined ? Buffer.alloc(0) : Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content);
    const h = Buffer.alloc(512, 0);
    h.write(f.name, 0, 100, "utf8");
    h.write(`${(f.mode ?? 0o644).toString(8).padStart(7, "0")}\0`, 100, "ascii");
    h.write("0000000\0", 108, "ascii");
    h.write("0000000\0", 116, "ascii");
    h.write(`${body.length.toString(8).padStart(11, "0")}\0`, 124, "ascii");
    h.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, "0")}\0`, 136, "ascii");
    h.write("        ", 148, "ascii");
    h.write(f.symlinkTo !== undefined ? "2" : "0", 156, "ascii");
    if (f.symlinkTo !== undefined) h.write(f.symlinkTo, 157, 100, "utf8");
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
  "COPY python3 /usr/bin/python3",
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
  'echo "broken-litellm: starting with master key $GATEWAYCTL_SECRET_LITELLM_MASTER_KEY"',
  'echo "broken-litellm: fatal: cannot load the config" >&2',
  "exit 1",
  "",
].join("\n");

const CONTEXT_LABEL = "gatewayctl-test.context";

function contextHash(entrypoint: string, version: string): string {
  return createHash("sha256").update(DOCKERFILE_BASE).update("\0").update(entrypoint).update("\0").update(python3Shim(version)).digest("hex").slice(0, 16);
}

async function build(docker: Dockerode, tag: string, entrypoint: string, version: string): Promise<void> {
  const context = tarArchive([
    { name: "Dockerfile", content: `${DOCKERFILE_BASE}LABEL ${CONTEXT_LABEL}=${contextHash(entrypoint, version)}\n` },
    { name: "busybox", content: busybox(), mode: 0o755 },
    { name: "python3", content: python3Shim(version), mode: 0o755 },
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
  for (const [tag, entry, version] of [
    [FAKE_LITELLM_IMAGE, HEALTHY_ENTRYPOINT, "1.108.7"],
    [BROKEN_LITELLM_IMAGE, BROKEN_ENTRYPOINT, "1.108.7"],
    [FORBIDDEN_LITELLM_IMAGE, HEALTHY_ENTRYPOINT, "1.82.7"],
  ] as const) {
    const existing = await docker
      .getImage(tag)
      .inspect()
      .catch(() => undefined);
    // rebuilt when missing or built from another version of this file
    if (existing?.Config?.Labels?.[CONTEXT_LABEL] !== contextHash(entry, version)) await build(docker, tag, entry, version);
  }
}

/** Remove every container gatewayctl created for a runtime directory (test cleanup). */
export async function removeGatewayContainers(docker: Dockerode, runtimeDir: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`io.gatewayctl.runtime-dir=${runtimeDir}`] } });
  for (const c of list) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
}

export interface LocalRegistry {
  /** host:port of the registry, for image references such as `${host}/gatewayctl-test/pulled:1` */
  host: string;
  /** every request it answered: `METHOD path` */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A stand-in for a container registry (none is reachable here), speaking just enough of the Registry HTTP API v2
 * for the Docker daemon to pull one image: the fake LiteLLM (busybox httpd) as two gzipped layers made here, one
 * of them unique to this call so the daemon really downloads it. Listens on 127.0.0.1 (Docker treats
 * 127.0.0.0/8 as an insecure registry).
 */
export async function startLocalRegistry(repository: string, tag: string): Promise<LocalRegistry> {
  const { createServer } = await import("node:http");
  const { gzipSync } = await import("node:zlib");
  const { randomBytes } = await import("node:crypto");
  const applets = ["sh", "httpd", "wget", "ls", "tr", "echo", "kill"];
  const base = tarArchive([
    { name: "bin/busybox", content: busybox(), mode: 0o755 },
    ...applets.map((a) => ({ name: `bin/${a}`, content: "", symlinkTo: "busybox" })),
    { name: "www/health/liveliness", content: "\"I'm alive!\"" },
    { name: "www/health/readiness", content: JSON.stringify({ status: "healthy", db: "Not connected", litellm_version: "fake" }) },
    { name: "entrypoint.sh", content: HEALTHY_ENTRYPOINT, mode: 0o755 },
    { name: "bin/python3", content: python3Shim("1.108.7"), mode: 0o755 },
  ]);
  const unique = tarArchive([{ name: "pulled-id", content: randomBytes(16).toString("hex") }]);
  const sha = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;
  const blobs = new Map<string, Buffer>();
  const layers = [base, unique].map((tar) => {
    const gz = gzipSync(tar);
    blobs.set(sha(gz), gz);
    return { mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: gz.length, digest: sha(gz) };
  });
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Entrypoint: ["/bin/sh", "/entrypoint.sh"], ExposedPorts: { "4000/tcp": {} }, Env: ["PATH=/bin"] },
      rootfs: { type: "layers", diff_ids: [sha(base), sha(unique)] },
      history: [{ created_by: "gatewayctl test registry: busybox" }, { created_by: "gatewayctl test registry: unique id" }],
    }),
  );
  blobs.set(sha(config), config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      config: { mediaType: "application/vnd.docker.container.image.v1+json", size: config.length, digest: sha(config) },
      layers,
    }),
  );
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? "";
    requests.push(`${req.method} ${url}`);
    res.setHeader("Docker-Distribution-API-Version", "registry/2.0");
    const send = (status: number, body: Buffer, type: string, digest?: string): void => {
      res.statusCode = status;
      res.setHeader("Content-Type", type);
      res.setHeader("Content-Length", String(body.length));
      if (digest) res.setHeader("Docker-Content-Digest", digest);
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (url === "/v2/" || url === "/v2") return send(200, Buffer.from("{}"), "application/json");
    if (url === `/v2/${repository}/manifests/${tag}` || url === `/v2/${repository}/manifests/${sha(manifest)}`) {
      return send(200, manifest, "application/vnd.docker.distribution.manifest.v2+json", sha(manifest));
    }
    const blob = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url);
    if (blob && blob[1] === repository && blobs.has(blob[2]!)) return send(200, blobs.get(blob[2]!)!, "application/octet-stream", blob[2]);
    send(404, Buffer.from(JSON.stringify({ errors: [{ code: "NAME_UNKNOWN", message: "not here" }] })), "application/json");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The real LiteLLM image scripts/build-litellm-image.sh builds (never under the official name: that stays absent). */
export const LOCAL_LITELLM_IMAGE = `gatewayctl-local/litellm:${DEFAULT_LITELLM_VERSION}`;

/** Fail (never skip) when the real LiteLLM image has not been built. */
export async function requireLitellmImage(docker: Dockerode): Promise<void> {
  const found = await docker
    .getImage(LOCAL_LITELLM_IMAGE)
    .inspect()
    .catch(() => undefined);
  if (!found) throw new Error(`the real LiteLLM image ${LOCAL_LITELLM_IMAGE} is missing: run bash scripts/build-litellm-image.sh (scripts/test.sh does)`);
}
