"""Synthesis of agent hierarchies from natural language (after NexA4A).

* :func:`synthesize`: description -> :class:`~nexgym.spec.HierarchySpec`, offline, no model.
* :class:`LLMSynthesizer`: the same with a local causal language model (transformers),
  validated and repaired until the spec holds.
* :func:`sample_specs`: diverse descriptions across domains, topologies, role splits,
  personas and difficulty.
* :func:`build_catalog`: sample, synthesize, check with the oracle and write the catalog.
"""

from __future__ import annotations

from typing import Any

from nexgym.synth.errors import SynthesisError
from nexgym.synth.offline import synthesize

__all__ = ["LLMSynthesizer", "SynthesisError", "build_catalog", "sample_specs", "synthesize"]

_LAZY = {
    "LLMSynthesizer": "nexgym.synth.llm",
    "sample_specs": "nexgym.synth.sampler",
    "build_catalog": "nexgym.synth.catalog",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nexgym.synth' has no attribute {name!r}")
