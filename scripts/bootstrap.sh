#!/usr/bin/env bash
# Makes a fresh clone runnable: installs npm dependencies when missing or stale and makes sure a
# Temporal CLI exists (found on PATH / TEMPORAL_CLI / .tools/bin, or built once, pinned, with Go).
# Skipped for Temporal when TEMPORAL_ADDRESS points at a running server.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "datapulse: installing npm dependencies (npm ci)..." >&2
  npm ci --no-audit --no-fund >&2
fi
if [ -z "${TEMPORAL_ADDRESS:-}" ] && [ -z "${DATAPULSE_TEST_TEMPORAL_ADDRESS:-}" ]; then
  node_modules/.bin/tsx infra/temporal-cli.ts >/dev/null
fi
