#!/usr/bin/env bash
# The language-model benchmarks on one GPU machine, within a wall-clock budget.
#
#   bash benchmarks/llm_gpu.sh check
#       imports, CUDA, and two SFT steps of a tiny model built on the spot (a minute)
#   bash benchmarks/llm_gpu.sh run OUT BASE [SECONDS]
#       llm_baselines.py (zero-shot, SFT, after SFT) then grpo_curve.py from its SFT
#       model, and generalization.py alongside them (its runs in parallel processes on
#       the same GPU); results, logs and plots go to OUT. BASE: a checkpoint folder or
#       a known model name (smollm2). SECONDS (default 540) bounds the whole run: each
#       script writes its results as it goes, so what was finished is kept.
#       PRESET=smoke (or cpu) picks the scripts' smaller presets, to try this script out.
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1

case "${1:-}" in
check)
    python3 - <<'EOF'
import time
import torch, transformers, trl, datasets, pyarrow, nexgym
print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(),
      "transformers", transformers.__version__, "trl", trl.__version__,
      "datasets", datasets.__version__, "pyarrow", pyarrow.__version__,
      "envs", len(nexgym.list_envs()))
from nexgym.training.data import oracle_examples
from nexgym.training.sft import SFTSettings, train_sft
from nexgym.training.tiny import build_tiny_checkpoint
started = time.perf_counter()
examples = oracle_examples("nex/FileOps-v0", episodes=4, control="root", roles="controlled")
path = build_tiny_checkpoint("/tmp/nexgym-tiny", examples)
train_sft(examples, path, "/tmp/nexgym-tiny-sft", SFTSettings(max_steps=2, batch_size=2))
print(f"check ok: tiny SFT in {time.perf_counter() - started:.1f}s")
EOF
    ;;
run)
    out=${2:?OUT folder}
    base=${3:?BASE checkpoint}
    budget=${4:-540}
    runs=/tmp/nexgym-runs
    mkdir -p "$out" "$runs"
    start=$SECONDS
    preset=()
    grpo_preset=()
    if [ -n "${PRESET:-}" ]; then
        preset=(--preset "$PRESET")
        grpo_preset=(--preset cpu --any-task)
    fi
    (
        timeout $((budget / 2)) python3 llm_baselines.py "${preset[@]}" --base "$base" \
            --results "$out/llm_baselines" --out "$runs/llm_baselines" \
            >"$out/llm_baselines.log" 2>&1
        echo "llm_baselines exit $? at $((SECONDS - start))s" >>"$out/llm_baselines.log"
        left=$((budget - (SECONDS - start) - 15))
        if [ -d "$runs/llm_baselines/sft" ] && [ "$left" -gt 60 ]; then
            timeout "$left" python3 grpo_curve.py "${grpo_preset[@]}" \
                --model "$runs/llm_baselines/sft" \
                --results "$out/grpo_curve" --out "$runs/grpo_curve" >"$out/grpo_curve.log" 2>&1
            echo "grpo_curve exit $? at $((SECONDS - start))s" >>"$out/grpo_curve.log"
        fi
    ) &
    timeout $((budget - 10)) python3 generalization.py "${preset[@]}" --base "$base" \
        --budget-s $((budget / 2)) --results "$out/generalization" \
        --out "$runs/generalization" >"$out/generalization.log" 2>&1
    echo "generalization exit $? at $((SECONDS - start))s" >>"$out/generalization.log"
    wait
    ;;
*)
    echo "usage: $0 check | run OUT BASE [SECONDS]" >&2
    exit 2
    ;;
esac
