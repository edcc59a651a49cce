#!/usr/bin/env bash
# Installs schemathesis (API schema fuzzing, tests/schema_fuzz.rs) from PyPI if neither
# `st` nor `schemathesis` is on PATH: into its own virtual environment, with `st` linked
# into /usr/local/bin. Pinned: the CLI's options and check names changed between 3.x and
# 4.x, and tests/schema_fuzz.rs uses 4.x's. Exports nothing.
set -euo pipefail
SCHEMATHESIS_VERSION=4.32.5
VENV=/opt/ledger-schemathesis

if command -v st >/dev/null 2>&1 || command -v schemathesis >/dev/null 2>&1; then
  echo "CI: $( (command -v st >/dev/null 2>&1 && st --version) || schemathesis --version) already installed"
  exit 0
fi
if ! python3 -m venv --help >/dev/null 2>&1; then
  # Debian's python3 keeps venv (and ensurepip) in a package of its own.
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  "schemathesis==${SCHEMATHESIS_VERSION}"
ln -sf "$VENV/bin/st" /usr/local/bin/st
ln -sf "$VENV/bin/schemathesis" /usr/local/bin/schemathesis
echo "CI: $(st --version) installed in $VENV"
