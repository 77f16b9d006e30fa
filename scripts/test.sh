#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine, then runs the whole suite.
# Services the tests use (redis-server, the BigQuery emulator) are installed here and started by the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
if ! command -v redis-server >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq redis-server >/dev/null
fi
bash scripts/setup_bq_emulator.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
