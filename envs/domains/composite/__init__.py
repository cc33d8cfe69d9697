"""Cross-domain tasks: one world made of two domains' worlds, and the union of their tools.

This folder holds the composition of domains and the registered composites in :mod:`.domain`;
their public names are importable from the package too.
"""

from __future__ import annotations

from nexgym.envs.domains.composite.domain import (
    CompositeDomain,
    CompositeWorld,
    EmailTravelDomain,
    SupportFinanceDomain,
)

__all__ = [
    "CompositeDomain",
    "CompositeWorld",
    "EmailTravelDomain",
    "SupportFinanceDomain",
]
