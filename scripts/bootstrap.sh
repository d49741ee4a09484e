#!/usr/bin/env bash
# Makes a fresh clone runnable: installs npm dependencies when missing or stale and makes sure a
# Temporal CLI exists (found on PATH / TEMPORAL_CLI / .tools/bin, or built once, pinned, with Go).
# Skipped for Temporal when TEMPORAL_ADDRESS points at a running server.
# With --browser (npm test, test:e2e, screenshots, bench:ui): also makes sure Debian's Chromium is
# installed for the browser tests (apt-get as root, as CI runs; otherwise it says what to run).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "datapulse: installing npm dependencies (npm ci)..." >&2
  npm ci --no-audit --no-fund >&2
fi
if [ -z "${TEMPORAL_ADDRESS:-}" ] && [ -z "${DATAPULSE_TEST_TEMPORAL_ADDRESS:-}" ]; then
  node_modules/.bin/tsx infra/temporal-cli.ts >/dev/null
fi
if [ "${1:-}" = "--browser" ]; then
  chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
  if [ ! -x "$chromium_path" ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
      echo "datapulse: installing Chromium for the browser tests (apt-get install chromium)..." >&2
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
    else
      echo "datapulse: no Chromium at $chromium_path; install it (sudo apt-get install -y chromium) or set CHROMIUM_PATH" >&2
      exit 1
    fi
  fi
fi
