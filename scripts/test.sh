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

echo "==> LiteLLM (pinned) in .venv-litellm"
bash scripts/setup-litellm.sh

echo "==> the real LiteLLM image (pinned), built locally"
bash scripts/build-litellm-image.sh

echo "==> HAProxy and Redis images for the scaled compose test, built locally from Debian's packages"
bash scripts/build-scale-images.sh

echo "==> kubernetes-validate (PyPI) in .tools-kubernetes-validate"
bash scripts/setup-kubernetes-validate.sh

echo "==> OpenClaw on Node 24 in .tools/openclaw"
bash scripts/setup-openclaw.sh

echo "==> the other real clients (aider, llm, the OpenAI SDKs, Continue's cn) in .tools-clients"
bash scripts/setup-clients.sh

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
