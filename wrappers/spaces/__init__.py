"""Space conversion: text actions and observations as the numeric spaces of RL libraries.

:class:`DiscreteActions` (admissible calls as ``Discrete`` with masks),
:class:`HashedObservation` and :class:`TokenObservation` (text as ``Box``) for the
Gymnasium view; :class:`NumericRoles` for every role of a PettingZoo Parallel view.
"""

from nexgym.wrappers.spaces.discrete import DiscreteActions
from nexgym.wrappers.spaces.numeric_roles import NumericRoles
from nexgym.wrappers.spaces.observations import HashedObservation, Tokenizer, TokenObservation

__all__ = ["DiscreteActions", "HashedObservation", "NumericRoles", "TokenObservation", "Tokenizer"]
