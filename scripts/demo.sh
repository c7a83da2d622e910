#!/usr/bin/env bash
# A newcomer's portal: embedded SQLite, demo billing data, SMS printed to the console,
# mail shown at /demo/mail (or sent to PORTAL_SMTP_HOST if you set one).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PORTAL_DEMO=${PORTAL_DEMO:-true}
# a made-up contact centre, so the demo shows where customers find it; the portal's own default is none
export PORTAL_SUPPORT_PHONE=${PORTAL_SUPPORT_PHONE-8 800 000-00-00}
export PORTAL_SUPPORT_HOURS=${PORTAL_SUPPORT_HOURS-пн–пт 8:00–20:00}
.venv/bin/python main.py demo
url=${PORTAL_BASE_URL:-http://${PORTAL_HOST:-127.0.0.1}:${PORTAL_PORT:-8080}}
echo
echo "Портал: $url  (профиль ${PORTAL_PROFILE:-default}; PORTAL_PROFILE=atom или volga — другие профили)"
echo "Письма и SMS демо-режима: $url/demo/mail (SMS также печатаются в этой консоли)"
exec .venv/bin/python main.py
