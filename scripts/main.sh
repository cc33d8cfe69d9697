#!/usr/bin/env bash
# The main job: set up, then evaluate the baseline policies across the whole catalog.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/nexgym rollout --envs 'nex/*' --policy oracle,random --episodes 3 "$@"
