#!/usr/bin/env bash
# Builds the two images a scaled-out docker-compose.yml needs besides LiteLLM's, locally and without any registry
# (docker pull fails here, ENVIRONMENT.md): one Debian bookworm minbase root filesystem made by mmdebstrap with
# Debian's haproxy (2.6) and redis-server (7.0), from the same mirror the host's apt uses, imported once and tagged
#   gatewayctl-local/haproxy:2.6   (entrypoint: none; compose gives `haproxy -W -db -f ...`)
#   gatewayctl-local/redis:7.0     (compose starts redis-server through sh; redis-cli for the healthcheck)
# Policies point at them with scale.loadBalancer.image and scale.redis.image; the default names are the official
# haproxy:2.6 and redis:7.0, which are never tagged here.
# Idempotent: images carrying the current recipe label are reused at once. Progress on stderr; image names on stdout.
# Needs a Docker daemon (scripts/setup-docker.sh); DOCKER_HOST defaults to unix:///tmp/gw-docker.sock.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOCKER_HOST="${DOCKER_HOST:-unix:///tmp/gw-docker.sock}"
HAPROXY_IMAGE=gatewayctl-local/haproxy:2.6
REDIS_IMAGE=gatewayctl-local/redis:7.0
RECIPE=1
LABEL_KEY=io.gatewayctl.scale-recipe
START=$SECONDS
log() { echo "build-scale-images: [$((SECONDS - START))s] $*" >&2; }

label_of() { docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }
current() { [ "$(label_of "$HAPROXY_IMAGE" "$LABEL_KEY")" = "$RECIPE" ] && [ "$(label_of "$REDIS_IMAGE" "$LABEL_KEY")" = "$RECIPE" ]; }

command -v docker >/dev/null 2>&1 || { log "the docker CLI is missing (bash scripts/setup-docker.sh installs it)"; exit 1; }
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || { log "no Docker daemon answers on $DOCKER_HOST (bash scripts/setup-docker.sh)"; exit 1; }
if current; then log "$HAPROXY_IMAGE and $REDIS_IMAGE already built"; echo "$HAPROXY_IMAGE"; echo "$REDIS_IMAGE"; exit 0; fi

exec 9>"${TMPDIR:-/tmp}/gatewayctl-build-scale-images.lock"
flock 9
if current; then log "built meanwhile"; echo "$HAPROXY_IMAGE"; echo "$REDIS_IMAGE"; exit 0; fi

if ! command -v mmdebstrap >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || { log "mmdebstrap is missing: apt-get install -y mmdebstrap"; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
fi
. scripts/debian-sources.sh
mapfile -t sources < <(host_debian_sources)
[ "${#sources[@]}" -gt 0 ] || sources=("deb http://deb.debian.org/debian bookworm main")
WORK="$(mktemp -d "${TMPDIR:-/tmp}/gw-scale-rootfs.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
log "mmdebstrap bookworm minbase + haproxy redis-server from: $(printf '%s; ' "${sources[@]}")"
mmdebstrap --quiet --variant=minbase --format=tar \
  --include=haproxy,redis-server,redis-tools \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/apt/* "$1"/var/log/dpkg.log' \
  bookworm "$WORK/rootfs.tar" "${sources[@]}" >&2
log "docker import -> $HAPROXY_IMAGE, $REDIS_IMAGE"
docker import \
  --change "LABEL $LABEL_KEY=$RECIPE" \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "WORKDIR /" \
  "$WORK/rootfs.tar" "$HAPROXY_IMAGE" >/dev/null
docker tag "$HAPROXY_IMAGE" "$REDIS_IMAGE"
current || { log "images lack $LABEL_KEY=$RECIPE after import"; exit 1; }
log "built ($(docker image inspect --format '{{.Size}}' "$HAPROXY_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
echo "$HAPROXY_IMAGE"; echo "$REDIS_IMAGE"
