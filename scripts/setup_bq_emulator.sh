#!/usr/bin/env bash
# Creates the virtual environment of the local BigQuery emulator used by the `bigquery` tests.
#
# Usage: bash scripts/setup_bq_emulator.sh [VENV_DIR]      (default: .venv-bqemu in the repository root)
#
# The emulator lives in its own environment because it pins sqlglot and DuckDB versions that differ from the
# project's, and its pytest plugin breaks pytest wherever it is installed. At start it runs DuckDB's
# `INSTALL spatial`, which would download; the extension is placed beforehand from its PyPI wheel, under a HOME
# that belongs to the environment (tests/support/bq_emulator.py starts the server with the same HOME).
# Running it again is cheap: a complete environment is left as it is.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$repo_root/.venv-bqemu}"
python="${PYTHON:-python3}"
home="$venv/home"
marker="$venv/.bqemu-ready"

packages=(
    "bqemulator==1.4.0"
    "duckdb==1.5.5"
    "duckdb-extension-spatial==1.5.5"
    "duckdb-extensions==1.5.5"
    # bqemulator imports numpy without declaring it.
    "numpy"
)

if [[ -f "$marker" && -x "$venv/bin/bqemulator" ]]; then
    echo "BigQuery emulator already set up in $venv"
    exit 0
fi

echo "Setting up the BigQuery emulator in $venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -qq --disable-pip-version-check "${packages[@]}"

mkdir -p "$home"
HOME="$home" "$venv/bin/python" - <<'PY'
import duckdb
import duckdb_extensions

duckdb_extensions.import_extension("spatial")
# Loading proves the extension sits where the server's own `INSTALL spatial` looks for it.
duckdb.connect().execute("LOAD spatial")
PY

touch "$marker"
echo "BigQuery emulator ready: $venv/bin/bqemulator (HOME=$home)"
