#!/usr/bin/env bash
# Creates .venv with the pinned dependencies (again only when pyproject.toml changed).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  # this machine's pip config lists local mirrors that may be absent: drop those warnings
  { .venv/bin/pip install -q --upgrade pip && .venv/bin/pip install -q -e '.[test]'; } 2>&1 \
    | { grep -v "^WARNING: Location 'file:" || true; }
  touch "$stamp"
fi
