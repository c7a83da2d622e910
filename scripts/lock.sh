#!/usr/bin/env bash
# Writes the lock files setup.sh installs (requirements/*.txt: every package pinned, with its hashes) from
# pyproject.toml's dependencies and extras, which stay the source of truth. Versions already locked stay while
# pyproject.toml allows them; `make lock ARGS=--upgrade` takes the newest allowed, `ARGS='--upgrade-package NAME'`
# one package's.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
# pip-compile resolves for the interpreter it runs on, and the lock is Python 3.11's on Linux (what CI runs): another
# minor would drop or add packages that only some Python versions need
if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) or sys.platform != "linux")'; then
  echo "make lock needs Python 3.11 on Linux: PYTHON=python3.11 make lock" >&2
  exit 2
fi
venv=.venv-lock
if [ ! -x "$venv/bin/pip-compile" ]; then
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q 'pip-tools==7.6.2'
fi
# PyPI alone: a machine's pip config may add local indexes or wheel folders, whose files must not land in the lock
export PIP_CONFIG_FILE=/dev/null
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_CONSTRAINT
export CUSTOM_COMPILE_COMMAND='make lock'
compile() {
  # --allow-unsafe and --build-deps-for editable pin pip and setuptools too, so that `pip install --no-deps
  # --no-build-isolation -e .` builds the project with the locked setuptools
  "$venv/bin/pip-compile" -q --generate-hashes --allow-unsafe --strip-extras --build-deps-for editable \
    --no-emit-index-url --no-emit-find-links "$@" pyproject.toml
}
# test.txt first: the runtime and Redis locks are held to its versions, so production runs what the tests ran; it
# has Redis too (tests/multiprocess runs several portals on it)
compile --extra test --extra redis -o requirements/test.txt ${ARGS:-}
compile -c requirements/test.txt -o requirements/main.txt ${ARGS:-}
compile --extra redis -c requirements/test.txt -o requirements/redis.txt ${ARGS:-}
