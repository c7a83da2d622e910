#!/usr/bin/env bash
# The whole suite: the dependency audit, lint, service tests, page stories, browser tests — on SQLite, then again on
# PostgreSQL when a server answers (PORTAL_TEST_POSTGRES, default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian's Chromium for the browser tests…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Browser tests need Chromium: sudo apt-get install chromium" >&2
  fi
fi
if [ "${CI:-}" = true ] && { [ ! -x /usr/sbin/nginx ] || [ ! -x /usr/bin/redis-server ]; }; then
  # tests/multiprocess/ runs two portal processes behind Debian's nginx with a Redis server of its own
  echo "Installing nginx and redis-server for the multi-process test…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx redis-server >/dev/null
fi
bash scripts/setup.sh

postgres=${PORTAL_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
pg_up() { .venv/bin/python scripts/pg_ready.py "$postgres"; }
if [ "${CI:-}" = true ] && ! pg_up; then
  # CI runs the suite on PostgreSQL too: start (or install) the local server
  if ! ls /etc/postgresql >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 30); do pg_up && break; sleep 1; done
fi

# the locked packages against known vulnerabilities (scripts/audit.py: what happens when that data is out of reach)
.venv/bin/python scripts/audit.py
.venv/bin/ruff check .
echo "== SQLite =="
.venv/bin/python -m pytest -q -p no:cacheprovider
if pg_up; then
  echo "== PostgreSQL ($postgres) =="
  PORTAL_TEST_POSTGRES=$postgres .venv/bin/python -m pytest -q -p no:cacheprovider
elif [ "${CI:-}" = true ]; then
  echo "PostgreSQL is not reachable at $postgres" >&2
  exit 1
else
  echo "No PostgreSQL at $postgres: ran on SQLite only."
fi
