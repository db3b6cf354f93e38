#!/usr/bin/env bash
# Installs the real clients the client tests run against, into project-local, git-ignored directories under
# .tools-clients/: aider (PyPI aider-chat) in its own venv, llm (PyPI) in its own venv (it also brings the OpenAI
# Python SDK), and the OpenAI Node SDK plus Continue's `cn` CLI (npm) in .tools-clients/node.
# Idempotent: a pinned version already installed is kept. About 2-3 minutes and 900 MB on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
AIDER_VERSION="${AIDER_VERSION:-0.86.2}"
LLM_VERSION="${LLM_VERSION:-0.36}"
OPENAI_NODE_VERSION="${OPENAI_NODE_VERSION:-6.49.0}"
CONTINUE_CLI_VERSION="${CONTINUE_CLI_VERSION:-1.5.47}"
DIR=.tools-clients
mkdir -p "$DIR"

pip_version() { # $1 = venv, $2 = package
  "$1/bin/python" -c 'import importlib.metadata,sys; print(importlib.metadata.version(sys.argv[1]))' "$2" 2>/dev/null || true
}

venv_with() { # $1 = venv dir, $2 = package, $3 = version
  if [ -x "$1/bin/python" ] && [ "$(pip_version "$1" "$2")" = "$3" ]; then
    echo "$2 $3 already in $1"
    return
  fi
  [ -x "$1/bin/python" ] || python3 -m venv "$1"
  "$1/bin/pip" install --quiet --disable-pip-version-check "$2==$3"
  echo "installed $2 $(pip_version "$1" "$2") in $1"
}

venv_with "$DIR/aider" aider-chat "$AIDER_VERSION"
venv_with "$DIR/llm" llm "$LLM_VERSION"

node_version() { # $1 = package name
  [ -f "$DIR/node/node_modules/$1/package.json" ] && node -e 'process.stdout.write(require(process.argv[1]).version)' "$(realpath "$DIR/node/node_modules/$1/package.json")" 2>/dev/null || true
}
if [ "$(node_version openai)" = "$OPENAI_NODE_VERSION" ] && [ "$(node_version @continuedev/cli)" = "$CONTINUE_CLI_VERSION" ]; then
  echo "openai $OPENAI_NODE_VERSION and @continuedev/cli $CONTINUE_CLI_VERSION already in $DIR/node"
else
  mkdir -p "$DIR/node"
  echo '{"name":"gatewayctl-tools-clients","private":true}' > "$DIR/node/package.json"
  npm install --prefix "$DIR/node" --no-audit --no-fund --loglevel=error --save-exact \
    "openai@$OPENAI_NODE_VERSION" "@continuedev/cli@$CONTINUE_CLI_VERSION"
  echo "installed openai $(node_version openai), @continuedev/cli $(node_version @continuedev/cli) in $DIR/node"
fi
