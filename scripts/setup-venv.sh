#!/usr/bin/env bash
# Create .venv with Python 3.11 and install the project (editable, with test extras) at the exact
# versions the tests pass with (constraints.txt; pyproject.toml holds the compatible ranges).
#   scripts/setup-venv.sh STAMP   — touches STAMP when done (the Makefile reinstalls when
#   pyproject.toml, constraints.txt or setup.py is newer than STAMP).
set -euo pipefail
stamp=${1:-.venv/.nrmc-installed}

py=""
for cand in "${PYTHON:-}" python3.11 python3; do
  [ -n "$cand" ] || continue
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' 2>/dev/null; then
    py=$cand; break
  fi
done
if [ -z "$py" ]; then
  echo "Python 3.11 or newer is needed (Debian 12: sudo apt-get install python3 python3-venv)." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' 2>/dev/null; then
  rm -rf .venv
  if ! "$py" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    # Debian ships venv's ensurepip separately.
    scripts/setup-system.sh python3-venv
    "$py" -m venv .venv
  fi
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
touch "$stamp"
