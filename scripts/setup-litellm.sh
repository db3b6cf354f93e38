#!/usr/bin/env bash
# Installs the pinned LiteLLM proxy into a project-local, git-ignored virtualenv (.venv-litellm).
# The version is the one gatewayctl pins (src/lib/versions.ts); never 1.82.7, 1.82.8 or 1.107.0.
# Also installs the `prisma` Python package (no `prisma generate`): LiteLLM's error handler imports it, and without it a
# request LiteLLM itself rejects (e.g. one carrying api_base) comes back as a 500 instead of the official image's 401.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${LITELLM_VERSION:-$(sed -n 's/^export const DEFAULT_LITELLM_VERSION = "\(.*\)";$/\1/p' src/lib/versions.ts)}"
case "$VERSION" in
  1.82.7|1.82.8|1.107.0) echo "refusing compromised litellm $VERSION" >&2; exit 2 ;;
  "") echo "could not read DEFAULT_LITELLM_VERSION from src/lib/versions.ts" >&2; exit 2 ;;
esac
VENV=.venv-litellm
if [ -x "$VENV/bin/litellm" ] && "$VENV/bin/python" -c "import importlib.metadata as m,sys; sys.exit(0 if m.version('litellm')=='$VERSION' else 1)" 2>/dev/null \
   && "$VENV/bin/python" -c 'import prisma' 2>/dev/null; then
  echo "litellm $VERSION (with prisma) already in $VENV"; exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "litellm[proxy]==$VERSION" prisma
"$VENV/bin/python" -c "import importlib.metadata as m, prisma; print('installed litellm', m.version('litellm'), 'with prisma', m.version('prisma'))"
