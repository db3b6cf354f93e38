#!/usr/bin/env bash
# Installs the real clients the client tests run against, into project-local, git-ignored directories under
# .tools-clients/: aider (PyPI aider-chat) in its own venv, llm (PyPI) in its own venv (it also brings the OpenAI
# Python SDK), and from npm into .tools-clients/node: the OpenAI Node SDK, Continue's `cn`, the Codex CLI, opencode
# and Claude Code (the last three ship their native binaries inside npm packages), and LibreChat's config schema;
# Open WebUI (PyPI open-webui) in its own venv, as its slim build runs (see open_webui_slim below).
# Idempotent: a pinned version already installed is kept. About 4 minutes and 2.8 GB on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
AIDER_VERSION="${AIDER_VERSION:-0.86.2}"
LLM_VERSION="${LLM_VERSION:-0.36}"
OPENAI_NODE_VERSION="${OPENAI_NODE_VERSION:-6.49.0}"
CONTINUE_CLI_VERSION="${CONTINUE_CLI_VERSION:-1.5.47}"
CODEX_VERSION="${CODEX_VERSION:-0.171.0}"
OPENCODE_VERSION="${OPENCODE_VERSION:-1.18.33}"
CLAUDE_CODE_VERSION="${CLAUDE_CODE_VERSION:-2.1.332}"
# LibreChat is a server app with a database; its config schema ships in this npm package (the tests validate against it)
LIBRECHAT_DP_VERSION="${LIBRECHAT_DP_VERSION:-0.8.524}"
OPEN_WEBUI_VERSION="${OPEN_WEBUI_VERSION:-0.12.4}"
# the CLI library Open WebUI's entry point imports; in a full install it comes with huggingface_hub
TYPER_VERSION="${TYPER_VERSION:-0.29.2}"
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

# Open WebUI as its slim build runs it (USE_SLIM_DOCKER=true): its own pinned requirements, without the packages that
# only its local machine-learning features import (local embeddings and reranking, speech to text, OCR, and the
# bundled Chroma vector store: torch and CUDA alone are over 2 GB). The slim code path never imports them; the
# tests use Open WebUI's connections, model list, chats and task model, which go through the gateway.
OPEN_WEBUI_SKIPPED='^(accelerate|sentence-transformers|transformers|faster-whisper|onnxruntime|opencv-python-headless|rapidocr|chromadb|einops)[=[]'
open_webui_slim() { # $1 = venv dir
  if [ -x "$1/bin/open-webui" ] && [ "$(pip_version "$1" open-webui)" = "$OPEN_WEBUI_VERSION" ] && [ "$(pip_version "$1" typer)" = "$TYPER_VERSION" ]; then
    echo "open-webui $OPEN_WEBUI_VERSION (slim) already in $1"
    return
  fi
  [ -x "$1/bin/python" ] || python3 -m venv "$1"
  local wheels; wheels="$(mktemp -d)"
  "$1/bin/pip" download --quiet --disable-pip-version-check --no-deps "open-webui==$OPEN_WEBUI_VERSION" -d "$wheels"
  "$1/bin/python" - "$wheels"/open_webui-*.whl "$OPEN_WEBUI_SKIPPED" > "$wheels/requirements.txt" <<'PY'
import re, sys, zipfile
wheel, skipped = sys.argv[1], re.compile(sys.argv[2])
with zipfile.ZipFile(wheel) as z:
    meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    for line in z.read(meta).decode().splitlines():
        if line.startswith("Requires-Dist: ") and "extra ==" not in line:
            req = line[len("Requires-Dist: "):]
            if not skipped.match(req):
                print(req)
PY
  "$1/bin/pip" install --quiet --disable-pip-version-check --no-deps "$wheels"/open_webui-*.whl
  "$1/bin/pip" install --quiet --disable-pip-version-check -r "$wheels/requirements.txt" "typer==$TYPER_VERSION"
  rm -rf "$wheels"
  echo "(pip's \"open-webui requires ..., which is not installed\" lines name the packages left out on purpose, above)"
  echo "installed open-webui $(pip_version "$1" open-webui) (slim, without its local ML packages) in $1"
}

node_version() { # $1 = package name
  [ -f "$DIR/node/node_modules/$1/package.json" ] && node -e 'process.stdout.write(require(process.argv[1]).version)' "$(realpath "$DIR/node/node_modules/$1/package.json")" 2>/dev/null || true
}
node_clients() {
NODE_PKGS=("openai@$OPENAI_NODE_VERSION" "@continuedev/cli@$CONTINUE_CLI_VERSION" "@openai/codex@$CODEX_VERSION" "opencode-ai@$OPENCODE_VERSION" "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" "librechat-data-provider@$LIBRECHAT_DP_VERSION")
missing=()
for spec in "${NODE_PKGS[@]}"; do
  name="${spec%@*}"; version="${spec##*@}"
  [ "$(node_version "$name")" = "$version" ] || missing+=("$spec")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "npm clients already in $DIR/node: ${NODE_PKGS[*]}"
else
  mkdir -p "$DIR/node"
  [ -f "$DIR/node/package.json" ] || echo '{"name":"gatewayctl-tools-clients","private":true}' > "$DIR/node/package.json"
  npm install --prefix "$DIR/node" --no-audit --no-fund --loglevel=error --save-exact "${NODE_PKGS[@]}"
  for spec in "${NODE_PKGS[@]}"; do echo "installed ${spec%@*} $(node_version "${spec%@*}")"; done
fi
}

# the four installs are independent (mostly download and unpack): run them side by side, fail if any fails
venv_with "$DIR/aider" aider-chat "$AIDER_VERSION" > "$DIR/.aider-install.log" 2>&1 & aider_pid=$!
venv_with "$DIR/llm" llm "$LLM_VERSION" > "$DIR/.llm-install.log" 2>&1 & llm_pid=$!
node_clients > "$DIR/.node-install.log" 2>&1 & node_pid=$!
open_webui_slim "$DIR/open-webui" > "$DIR/.open-webui-install.log" 2>&1 & open_webui_pid=$!
status=0
for job in "aider:$aider_pid" "llm:$llm_pid" "node:$node_pid" "open-webui:$open_webui_pid"; do
  if ! wait "${job#*:}"; then echo "installing ${job%%:*} failed:" >&2; cat "$DIR/.${job%%:*}-install.log" >&2; status=1; fi
done
cat "$DIR/.aider-install.log" "$DIR/.llm-install.log" "$DIR/.node-install.log" "$DIR/.open-webui-install.log"
exit "$status"
