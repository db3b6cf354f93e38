#!/usr/bin/env bash
# Installs (if missing) and starts a Docker Engine for the tests, as shared/ENVIRONMENT.md describes:
#   dockerd --storage-driver=overlay2 --data-root /tmp/gw-docker --host unix:///tmp/gw-docker.sock --pidfile /tmp/gw-docker.pid
# overlay2 first (a container of the 885 MB LiteLLM image is created in about a second; with vfs every container
# is a full copy, 30-60 s); vfs when the kernel refuses overlay2.
# Idempotent: does nothing when a daemon already answers on the socket. Waits until the daemon answers.
# Afterwards: export DOCKER_HOST=unix:///tmp/gw-docker.sock
# Overridable: GW_DOCKER_SOCK, GW_DOCKER_ROOT, GW_DOCKER_PID, GW_DOCKER_LOG, GW_DOCKER_WAIT (seconds, default 60).
set -euo pipefail

SOCK="${GW_DOCKER_SOCK:-/tmp/gw-docker.sock}"
ROOT="${GW_DOCKER_ROOT:-/tmp/gw-docker-overlay2}"
PIDFILE="${GW_DOCKER_PID:-/tmp/gw-docker.pid}"
LOG="${GW_DOCKER_LOG:-/tmp/gw-docker.log}"
WAIT="${GW_DOCKER_WAIT:-60}"

log() { echo "setup-docker: $*" >&2; }

# Answers when GET /_ping on the socket returns OK. Uses curl when present, else node (always present here).
ping_daemon() {
  [ -S "$SOCK" ] || return 1
  if command -v curl >/dev/null 2>&1; then
    [ "$(curl -s --max-time 2 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null)" = "OK" ]
  else
    node -e '
      const req = require("http").get({ socketPath: process.argv[1], path: "/_ping", timeout: 2000 }, (res) => {
        let b = ""; res.on("data", (c) => (b += c)); res.on("end", () => process.exit(b === "OK" ? 0 : 1));
      });
      req.on("error", () => process.exit(1)); req.on("timeout", () => { req.destroy(); process.exit(1); });
    ' "$SOCK"
  fi
}

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    log "not root: install ${need[*]} (apt-get install -y ${need[*]}) and run this script again"
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ping_daemon; then
  log "dockerd already answers on unix://$SOCK"
  echo "export DOCKER_HOST=unix://$SOCK"
  exit 0
fi

# A stale pidfile or socket from a daemon that died would make dockerd refuse to start.
if [ -f "$PIDFILE" ]; then
  oldpid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if [ -n "$oldpid" ] && kill -0 "$oldpid" 2>/dev/null; then
    log "dockerd (pid $oldpid) is running but not answering yet; waiting for it"
  else
    rm -f "$PIDFILE"
  fi
fi
if [ ! -f "$PIDFILE" ]; then
  rm -f "$SOCK"
  mkdir -p "$ROOT"
  DRIVER="${GW_DOCKER_DRIVER:-overlay2}"
  log "starting dockerd (storage driver $DRIVER, data root $ROOT, log $LOG)"
  # setsid + nohup: the daemon outlives this script and the shell that ran it.
  setsid nohup dockerd --storage-driver="$DRIVER" --data-root "$ROOT" \
    --host "unix://$SOCK" --pidfile "$PIDFILE" >"$LOG" 2>&1 </dev/null &
  # a kernel without overlay2 makes dockerd exit at once: fall back to vfs (slow, but always works)
  sleep 2
  if [ "$DRIVER" = overlay2 ] && ! ping_daemon && grep -qi "overlay" "$LOG" && ! pgrep -F "$PIDFILE" >/dev/null 2>&1; then
    log "overlay2 is not usable here; starting dockerd with vfs"
    rm -f "$PIDFILE" "$SOCK"
    setsid nohup dockerd --storage-driver=vfs --data-root "${ROOT%-overlay2}-vfs" \
      --host "unix://$SOCK" --pidfile "$PIDFILE" >"$LOG" 2>&1 </dev/null &
  fi
fi

for _ in $(seq 1 $((WAIT * 4))); do
  if ping_daemon; then
    log "dockerd answers on unix://$SOCK"
    echo "export DOCKER_HOST=unix://$SOCK"
    exit 0
  fi
  sleep 0.25
done
log "dockerd did not answer on unix://$SOCK within ${WAIT}s; last lines of $LOG:"
tail -n 30 "$LOG" >&2 || true
exit 1
