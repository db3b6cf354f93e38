#!/usr/bin/env bash
# Installs kubernetes-validate (PyPI; bundled offline schemas for Kubernetes 1.25 to 1.37) into its own git-ignored
# virtualenv, .tools-kubernetes-validate, for the tests that validate generated/k8s/ strictly.
# Idempotent: does nothing when the pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${KUBERNETES_VALIDATE_VERSION:-1.37.0}"
VENV=.tools-kubernetes-validate
if [ -x "$VENV/bin/kubernetes-validate" ] && "$VENV/bin/python" -c "import importlib.metadata as m,sys; sys.exit(0 if m.version('kubernetes-validate')=='$VERSION' else 1)" 2>/dev/null; then
  echo "kubernetes-validate $VERSION already in $VENV"; exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$VERSION"
"$VENV/bin/kubernetes-validate" --version
