#!/usr/bin/env bash
# Set up, then run the whole test suite (lint and types first).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check nexgym envs wrappers
.venv/bin/mypy
.venv/bin/python -m pytest -n 2 "$@"
