"""The old home of :mod:`nexgym.wrappers.noise.schema_drift`.

Kept so that earlier imports and saved env specs (wrapper entry points) still work.
"""

from __future__ import annotations

from nexgym.wrappers.noise.schema_drift import (
    DRIFT_STREAM,
    PREFIXES,
    SUFFIXES,
    TEMPLATES,
    VERB_SYNONYMS,
    WORD_SYNONYMS,
    SchemaDrift,
    drift_name,
    paraphrase,
)

__all__ = [
    "DRIFT_STREAM",
    "PREFIXES",
    "SUFFIXES",
    "TEMPLATES",
    "VERB_SYNONYMS",
    "WORD_SYNONYMS",
    "SchemaDrift",
    "drift_name",
    "paraphrase",
]
