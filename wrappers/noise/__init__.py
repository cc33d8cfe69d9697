"""Noise sources: what real tools do to calls (latency, faults, drift, noisy results, budgets).

Each source is one runtime middleware (:class:`~nexgym.wrappers.noise.middleware.NoiseSource`)
that wraps every domain tool call, whichever role makes it. It applies to the
Gymnasium view through its wrapper (``ToolFaults(env, ...)``) and to the PettingZoo AEC
and Parallel views through :mod:`nexgym.wrappers.noise.pz`.
"""

from nexgym.wrappers.noise.budget import ToolBudget
from nexgym.wrappers.noise.faults import ToolFaults
from nexgym.wrappers.noise.latency import Latency
from nexgym.wrappers.noise.observation_noise import ObservationNoise
from nexgym.wrappers.noise.schema_drift import SchemaDrift

__all__ = ["Latency", "ObservationNoise", "SchemaDrift", "ToolBudget", "ToolFaults"]
