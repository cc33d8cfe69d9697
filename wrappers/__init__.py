"""nexgym.wrappers: noise, faults, budgets, space conversion and recording."""

from nexgym.wrappers.budget import ToolBudget
from nexgym.wrappers.faults import ToolFaults
from nexgym.wrappers.latency import Latency
from nexgym.wrappers.observation_noise import ObservationNoise
from nexgym.wrappers.recording import RecordTrajectories
from nexgym.wrappers.schema_drift import SchemaDrift

__all__ = [
    "Latency",
    "ObservationNoise",
    "RecordTrajectories",
    "SchemaDrift",
    "ToolBudget",
    "ToolFaults",
]
