"""The domains: each module defines one :class:`~nexgym.envs.domains.base.Domain`.

Domains are looked up by name and imported lazily, so ``import nexgym`` stays cheap.
"""

from __future__ import annotations

import importlib
from functools import cache

from nexgym.envs.domains.base import Domain

from nexgym.error import UnknownNameError

__all__ = ["DOMAINS", "Domain", "domain_class", "get_domain", "list_domains"]

#: name -> "module:Class" (relative to this package). Add new domains here.
DOMAINS: dict[str, str] = {
    "files": "files:FilesDomain",
    "inventory": "inventory:InventoryDomain",
    "support": "support:SupportDomain",
    "home": "home:HomeDomain",
    "calendar": "calendar:CalendarDomain",
    "travel": "travel:TravelDomain",
    "sqldata": "sqldata:SqlDataDomain",
    "finance": "finance:FinanceDomain",
    "email": "email:EmailDomain",
    "research": "research:ResearchDomain",
    "email_travel": "composite:EmailTravelDomain",
    "support_finance": "composite:SupportFinanceDomain",
    "clock": "clock:ClockDomain",
    "gitrepo": "gitrepo:GitRepoDomain",
    "webresearch": "webresearch:WebResearchDomain",
}


@cache
def domain_class(name: str) -> type[Domain]:
    """The class of the domain called ``name``."""
    try:
        target = DOMAINS[name]
    except KeyError:
        raise UnknownNameError("domain", name, DOMAINS) from None
    module_name, class_name = target.split(":")
    module = importlib.import_module(f"{__name__}.{module_name}")
    cls: type[Domain] = getattr(module, class_name)
    return cls


def get_domain(name: str) -> Domain:
    """A new instance of the domain called ``name``."""
    return domain_class(name)()


def list_domains() -> list[str]:
    """Names of every domain."""
    return sorted(DOMAINS)
