#!/usr/bin/env bash
# Builds a real LiteLLM proxy image locally, without any container registry, as shared/ENVIRONMENT.md describes:
#   1. mmdebstrap: a Debian bookworm minbase root filesystem with python3, python3-venv and ca-certificates, from the
#      same Debian mirror the host's apt uses (/etc/apt/sources.list*);
#   2. docker import: that tarball becomes the base image gatewayctl-local/litellm-base:bookworm (kept and reused);
#   3. a container of the base creates the venv /opt/litellm and pip-installs litellm[proxy]==<pin> and prisma (the
#      Python package only; no `prisma generate`), with the host CA bundle bind-mounted for that step (TLS is
#      intercepted here);
#   4. docker commit with the official image's contract: WORKDIR /app, ENTRYPOINT litellm-entrypoint (exec litellm
#      "$@"), CMD ["--port","4000"], EXPOSE 4000, ENV LITELLM_LOCAL_MODEL_COST_MAP=True, plus the label
#      io.gatewayctl.litellm-version=<pin>.
# The version is the one gatewayctl pins (src/lib/versions.ts), overridable by LITELLM_VERSION; never 1.82.7, 1.82.8
# or 1.107.0. The image is gatewayctl-local/litellm:<version> unless GW_LITELLM_IMAGE gives the whole name:tag; it is
# never tagged with the official name (ghcr.io/berriai/litellm), which tests rely on being absent.
# Idempotent: an existing image carrying the right label is reused at once.
# Progress goes to stderr (prefixed "build-litellm-image: "); the image name is the last line on stdout.
# Needs a Docker daemon (scripts/setup-docker.sh starts one); DOCKER_HOST defaults to unix:///tmp/gw-docker.sock.
# Overridable: GW_DEBIAN_MIRROR (one Debian mirror URI for bookworm and bookworm-updates; then
# GW_DEBIAN_SECURITY_MIRROR for bookworm-security), GW_HOST_CA_BUNDLE (default /etc/ssl/certs/ca-certificates.crt).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${LITELLM_VERSION:-$(sed -n 's/^export const DEFAULT_LITELLM_VERSION = "\(.*\)";$/\1/p' src/lib/versions.ts)}"
case "$VERSION" in
  1.82.7|1.82.8|1.107.0) echo "build-litellm-image: refusing compromised litellm $VERSION" >&2; exit 2 ;;
  "") echo "build-litellm-image: could not read DEFAULT_LITELLM_VERSION from src/lib/versions.ts" >&2; exit 2 ;;
esac

IMAGE="${GW_LITELLM_IMAGE:-gatewayctl-local/litellm:$VERSION}"
case "$IMAGE" in
  ghcr.io/berriai/litellm|ghcr.io/berriai/litellm:*|ghcr.io/berriai/litellm@*)
    echo "build-litellm-image: refusing to tag the official name $IMAGE (tests rely on it being absent)" >&2; exit 2 ;;
esac
BASE_IMAGE=gatewayctl-local/litellm-base:bookworm
# Bump when the base recipe below changes, so an older cached base is rebuilt instead of reused.
BASE_RECIPE=1
LABEL_KEY=io.gatewayctl.litellm-version
VENV=/opt/litellm
IMAGE_PATH="$VENV/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HOST_CA="${GW_HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

export DOCKER_HOST="${DOCKER_HOST:-unix:///tmp/gw-docker.sock}"

START=$SECONDS
log() { echo "build-litellm-image: [$((SECONDS - START))s] $*" >&2; }

command -v docker >/dev/null 2>&1 || { log "the docker CLI is missing (bash scripts/setup-docker.sh installs it)"; exit 1; }
if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  log "no Docker daemon answers on $DOCKER_HOST (start one: bash scripts/setup-docker.sh)"; exit 1
fi

label_of() { docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }
image_is_current() { [ "$(label_of "$IMAGE" "$LABEL_KEY")" = "$VERSION" ]; }

if image_is_current; then
  log "$IMAGE already built (label $LABEL_KEY=$VERSION)"
  echo "$IMAGE"; exit 0
fi

# One build at a time on this machine: a second caller waits, then finds the image built.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/gatewayctl-build-litellm-image.lock"
  if ! flock -n 9; then
    log "another build is running; waiting for it"
    flock 9
  fi
  if image_is_current; then
    log "$IMAGE was built meanwhile"
    echo "$IMAGE"; exit 0
  fi
fi

WORK=""
BUILD_CONTAINER=""
cleanup() {
  if [ -n "$BUILD_CONTAINER" ]; then docker rm -f "$BUILD_CONTAINER" >/dev/null 2>&1 || true; fi
  if [ -n "$WORK" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

# host_debian_sources: the Debian mirror lines the host apt uses
. scripts/debian-sources.sh

build_base() {
  if ! command -v mmdebstrap >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then log "mmdebstrap is missing: apt-get install -y mmdebstrap, then run this again"; exit 1; fi
    log "installing mmdebstrap"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
  fi
  local sources=()
  if [ -n "${GW_DEBIAN_MIRROR:-}" ]; then
    sources=("deb $GW_DEBIAN_MIRROR bookworm main" "deb $GW_DEBIAN_MIRROR bookworm-updates main")
    [ -z "${GW_DEBIAN_SECURITY_MIRROR:-}" ] || sources+=("deb $GW_DEBIAN_SECURITY_MIRROR bookworm-security main")
  elif command -v python3 >/dev/null 2>&1; then
    mapfile -t sources < <(host_debian_sources)
  fi
  if [ "${#sources[@]}" -eq 0 ]; then
    sources=("deb http://deb.debian.org/debian bookworm main")
  fi
  log "mmdebstrap bookworm minbase from: $(printf '%s; ' "${sources[@]}")"
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/gw-litellm-rootfs.XXXXXX")"
  # No recommends, no docs/man pages/locales: the image only runs a Python venv.
  mmdebstrap --quiet --variant=minbase --format=tar \
    --include=python3,python3-venv,ca-certificates,tzdata \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/apt/* "$1"/var/log/dpkg.log "$1"/var/cache/debconf/*-old' \
    bookworm "$WORK/rootfs.tar" "${sources[@]}" >&2
  log "docker import -> $BASE_IMAGE ($(du -h "$WORK/rootfs.tar" | cut -f1) tarball)"
  docker import \
    --change "LABEL io.gatewayctl.base-recipe=$BASE_RECIPE" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    "$WORK/rootfs.tar" "$BASE_IMAGE" >/dev/null
  rm -rf "$WORK"; WORK=""
}

if [ "$(label_of "$BASE_IMAGE" io.gatewayctl.base-recipe)" = "$BASE_RECIPE" ]; then
  log "reusing base image $BASE_IMAGE"
else
  build_base
fi

[ -r "$HOST_CA" ] || { log "host CA bundle $HOST_CA is missing (pip in the container needs it)"; exit 1; }
BUILD_CONTAINER="gw-litellm-build-$$-$RANDOM"
log "pip install litellm[proxy]==$VERSION prisma into $VENV (container $BUILD_CONTAINER)"
# The CA bundle is bind-mounted over the image's own for this step only (a bind mount is not committed), and pip is
# pointed at it through its command line (a container's -e variables would be committed into the image).
docker run --name "$BUILD_CONTAINER" \
  -v "$HOST_CA:/etc/ssl/certs/ca-certificates.crt:ro" \
  "$BASE_IMAGE" /bin/sh -euc '
    python3 -m venv "$1"
    "$1/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check --no-input \
      --cert /etc/ssl/certs/ca-certificates.crt "litellm[proxy]==$2" prisma
    LITELLM_LOCAL_MODEL_COST_MAP=True "$1/bin/python" -c "
import importlib.metadata as m, sys
import litellm, prisma
v = m.version(\"litellm\")
sys.exit(0 if v == sys.argv[1] else \"litellm %s installed, %s wanted\" % (v, sys.argv[1]))
" "$2"
    mkdir -p /app
    printf "%s\n" "#!/bin/sh" "exec litellm \"\$@\"" > /usr/local/bin/litellm-entrypoint
    chmod 0755 /usr/local/bin/litellm-entrypoint
    rm -rf /root/.cache /tmp/* /var/tmp/*
  ' sh "$VENV" "$VERSION" >&2

log "docker commit -> $IMAGE"
docker commit \
  --change "ENV PATH=$IMAGE_PATH" \
  --change "ENV LITELLM_LOCAL_MODEL_COST_MAP=True" \
  --change "ENV PYTHONUNBUFFERED=1" \
  --change "WORKDIR /app" \
  --change "EXPOSE 4000" \
  --change 'ENTRYPOINT ["/usr/local/bin/litellm-entrypoint"]' \
  --change 'CMD ["--port","4000"]' \
  --change "LABEL $LABEL_KEY=$VERSION" \
  "$BUILD_CONTAINER" "$IMAGE" >/dev/null
docker rm -f "$BUILD_CONTAINER" >/dev/null 2>&1 || true
BUILD_CONTAINER=""

image_is_current || { log "$IMAGE lacks the label $LABEL_KEY=$VERSION after commit"; exit 1; }
log "built $IMAGE ($(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
echo "$IMAGE"
