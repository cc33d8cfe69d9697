"""Noise sources: what real tools do to calls (latency, faults, drift, noisy results, budgets).

Each source is one runtime middleware (a
:class:`~nexgym.wrappers.noise.middleware.NoiseSource`: ``ToolFaultsSource``,
``LatencySource``, ...) that wraps every domain tool call, whichever role makes it. It
applies to the Gymnasium view through its wrapper (``ToolFaults(env, ...)``) and to
the PettingZoo AEC and Parallel views through :mod:`nexgym.wrappers.noise.pz`
(``NoiseParallel(env, ToolFaultsSource(...))``).
"""

from nexgym.wrappers.noise.budget import ToolBudget, ToolBudgetSource
from nexgym.wrappers.noise.faults import ToolFaults, ToolFaultsSource
from nexgym.wrappers.noise.latency import Latency, LatencySource
from nexgym.wrappers.noise.middleware import NoiseSource, ToolCallWrapper
from nexgym.wrappers.noise.observation_noise import ObservationNoise, ObservationNoiseSource
from nexgym.wrappers.noise.schema_drift import SchemaDrift, SchemaDriftSource

__all__ = [
    "Latency",
    "LatencySource",
    "NoiseSource",
    "ObservationNoise",
    "ObservationNoiseSource",
    "SchemaDrift",
    "SchemaDriftSource",
    "ToolBudget",
    "ToolBudgetSource",
    "ToolCallWrapper",
    "ToolFaults",
    "ToolFaultsSource",
]
