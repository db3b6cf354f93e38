#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs every real part the tests need
# (Debian packages, the Docker Engine, the pinned LiteLLM virtualenv, OpenClaw on Node 24, npm packages),
# then runs vitest. Idempotent: a second run reuses what is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
for p in docker.io iptables docker-compose pass gnupg rsync hyperfine busybox-static tmux systemd python3-venv mmdebstrap chromium haproxy redis-server; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "missing Debian packages: ${need_pkgs[*]} (run as root or install them)" >&2; exit 1; fi
  echo "==> installing Debian packages: ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

echo "==> Docker Engine"
bash scripts/setup-docker.sh
export DOCKER_HOST="${DOCKER_HOST:-unix:///tmp/gw-docker.sock}"

# The client installs (downloads, mostly) run beside the image builds (CPU and disk, mostly); each logs to its own
# file, shown when it ends, and the run stops if one failed.
mkdir -p .test-setup-logs
background=()
in_background() { # $1 = name, rest = command
  local name="$1"; shift
  echo "==> $name (in the background, log .test-setup-logs/$name.log)"
  "$@" > ".test-setup-logs/$name.log" 2>&1 & background+=("$name:$!")
}
in_background kubernetes-validate bash scripts/setup-kubernetes-validate.sh
in_background openclaw bash scripts/setup-openclaw.sh
# aider, llm, Open WebUI, the OpenAI Node SDK, Continue's cn, Codex, opencode, Claude Code, LibreChat's schema
in_background clients bash scripts/setup-clients.sh

echo "==> LiteLLM (pinned) in .venv-litellm"
bash scripts/setup-litellm.sh

echo "==> the real LiteLLM image (pinned), built locally"
bash scripts/build-litellm-image.sh

echo "==> HAProxy and Redis images for the scaled compose test, built locally from Debian's packages"
bash scripts/build-scale-images.sh

failed=0
for job in "${background[@]}"; do
  name="${job%%:*}"
  if wait "${job#*:}"; then echo "==> $name done:"; else echo "==> $name FAILED:" >&2; failed=1; fi
  tail -n 20 ".test-setup-logs/$name.log"
done
[ "$failed" -eq 0 ] || exit 1

echo "==> npm packages"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

echo "==> tests"
npm run build
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json=.test-results.json
status=$?
set -e
# the plain closing line CI reads: "N passed, N failed"
node -e 'const r = require("./.test-results.json"); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`)' || true
exit "$status"
