#!/usr/bin/env bash
# Creates .venv from the lock, requirements/test.txt: every package pinned and hash-checked (again only when the
# lock changed; `make lock` writes it from pyproject.toml), then the project itself.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
lock=requirements/test.txt
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ]; then
  # The lock holds every package (pip and setuptools too), so nothing is resolved again (--no-deps) and `pip check`
  # proves nothing is missing: resolving the packages' own requirements made pip 23 take one with an extra (pip-audit's
  # `CacheControl[filecache]>=0.13`) as unpinned once a newer release was out, and refuse the whole lock. The project is
  # built by the locked setuptools (no build isolation, which would fetch an unpinned one).
  # This machine's pip config lists local mirrors that may be absent: drop those warnings; setuptools warns on every
  # editable install about folders named like the package, and this project has no package
  { .venv/bin/pip install -q --require-hashes --no-deps -r "$lock" \
      && .venv/bin/pip check -q \
      && PYTHONWARNINGS=ignore::UserWarning .venv/bin/pip install -q --no-deps --no-build-isolation -e .; } 2>&1 \
    | { grep -v "^WARNING: Location 'file:" || true; }
  touch "$stamp"
fi
