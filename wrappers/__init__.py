"""nexgym.wrappers: noise, faults, budgets, space conversion and recording."""

from nexgym.wrappers.budget import ToolBudget
from nexgym.wrappers.discrete import DiscreteActions
from nexgym.wrappers.faults import ToolFaults
from nexgym.wrappers.latency import Latency
from nexgym.wrappers.numeric_roles import NumericRoles
from nexgym.wrappers.observation_noise import ObservationNoise
from nexgym.wrappers.observations import HashedObservation, Tokenizer, TokenObservation
from nexgym.wrappers.recording import RecordTrajectories
from nexgym.wrappers.schema_drift import SchemaDrift

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
