"""nexgym.wrappers: noise sources, space conversion and recording.

:mod:`~nexgym.wrappers.noise` holds the noise sources (each one runtime middleware, for
the Gymnasium and PettingZoo views), :mod:`~nexgym.wrappers.spaces` the space
conversions, :mod:`~nexgym.wrappers.recording` the trajectory recorder.
"""

from nexgym.wrappers.noise import Latency, ObservationNoise, SchemaDrift, ToolBudget, ToolFaults
from nexgym.wrappers.recording import RecordTrajectories
from nexgym.wrappers.spaces import (
    DiscreteActions,
    HashedObservation,
    NumericRoles,
    Tokenizer,
    TokenObservation,
)

__all__ = [
    "DiscreteActions",
    "HashedObservation",
    "Latency",
    "NumericRoles",
    "ObservationNoise",
    "RecordTrajectories",
    "SchemaDrift",
    "TokenObservation",
    "Tokenizer",
    "ToolBudget",
    "ToolFaults",
]
