#!/usr/bin/env bash
# Make the peers' venvs for benchmarks/peer_speed.py (they are not nexgym dependencies):
#   benchmarks/peers/.venv-are   Meta ARE (meta-agents-research-environments, Python 3.11)
#   benchmarks/peers/.venv-tau2  tau2-bench from a source checkout (it needs Python >= 3.12):
#                                TAU2_SRC=/path/to/tau2-bench PYTHON312=python3.12 bash setup.sh
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv-are/bin/python ]; then
  python3 -m venv .venv-are
  .venv-are/bin/python -m pip install -q --upgrade pip
  .venv-are/bin/python -m pip install -q -c ../../constraints.txt meta-agents-research-environments
fi
if [ -n "${TAU2_SRC:-}" ] && [ ! -x .venv-tau2/bin/python ]; then
  "${PYTHON312:-python3.12}" -m venv .venv-tau2
  .venv-tau2/bin/python -m pip install -q --upgrade pip
  .venv-tau2/bin/python -m pip install -q -e "$TAU2_SRC[gym]"
fi
echo "ARE:  $(pwd)/.venv-are/bin/python"
[ -x .venv-tau2/bin/python ] && echo "tau2: $(pwd)/.venv-tau2/bin/python (run from $TAU2_SRC)"
exit 0
