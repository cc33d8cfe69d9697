"""The domains: each folder defines one :class:`~nexgym.envs.domains.kit.base.Domain`.

Every hand-written domain is a folder (``calendar/``, ``gitrepo/``...) over the shared
:mod:`~nexgym.envs.domains.kit`. Domains are looked up by name and imported lazily, so
``import nexgym`` stays cheap.
Every domain, built-in, synthesized or third-party, enters through
:func:`register_domain`; :data:`DOMAINS` is the table it fills.
"""

from __future__ import annotations

import importlib
from functools import cache

from nexgym.envs.domains.kit.base import Domain

from nexgym.error import ConfigError, UnknownNameError

__all__ = ["DOMAINS", "Domain", "domain_class", "get_domain", "list_domains", "register_domain"]

#: name -> a Domain class, or "module:Class" (a domain folder of this package, or a dotted
#: module path) imported at first use. Fill it through :func:`register_domain`.
DOMAINS: dict[str, str | type[Domain]] = {}

_BUILT_IN: dict[str, str] = {
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


def register_domain(name: str, target: str | type[Domain], *, replace: bool = False) -> None:
    """Make a domain known by ``name`` to specs, envs, the MCP bridge and synthesis.

    Args:
        name: the name a :class:`~nexgym.spec.HierarchySpec` gives in ``domain:``.
        target: the :class:`Domain` subclass, or ``"package.module:Class"`` to import it
            at first use (``"module:Class"`` for a module of this package).
        replace: allow replacing a domain already registered under ``name``.

    Raises:
        ConfigError: ``name`` is taken (and ``replace`` is false), or ``target`` is
            neither a Domain subclass nor a ``"module:Class"`` string.
    """
    if not name or not name.replace("_", "").isalnum():
        raise ConfigError(f"domain name: expected letters, digits and '_', got {name!r}")
    if isinstance(target, str):
        if target.count(":") != 1:
            raise ConfigError(f"domain {name!r}: expected 'module:Class', got {target!r}")
    elif not (isinstance(target, type) and issubclass(target, Domain)):
        raise ConfigError(
            f"domain {name!r}: expected a Domain subclass or 'module:Class', got {target!r}"
        )
    if name in DOMAINS and not replace and DOMAINS[name] != target:
        raise ConfigError(f"domain {name!r} is registered already; pass replace=True to replace it")
    DOMAINS[name] = target
    domain_class.cache_clear()


@cache
def domain_class(name: str) -> type[Domain]:
    """The class of the domain called ``name``."""
    try:
        target = DOMAINS[name]
    except KeyError:
        raise UnknownNameError("domain", name, DOMAINS) from None
    if not isinstance(target, str):
        return target
    module_name, class_name = target.split(":")
    if "." not in module_name:
        module_name = f"{__name__}.{module_name}"
    module = importlib.import_module(module_name)
    cls: type[Domain] = getattr(module, class_name)
    return cls


def get_domain(name: str) -> Domain:
    """A new instance of the domain called ``name``."""
    return domain_class(name)()


def list_domains() -> list[str]:
    """Names of every domain."""
    return sorted(DOMAINS)


for _name, _target in _BUILT_IN.items():
    register_domain(_name, _target)

# Packaged world specs (envs/worlds/): registered from their file names alone, compiled
# by nexgym.envs.worlds.served at first use.
from nexgym.envs.worlds.packaged import packaged_world_names  # noqa: E402

for _name in packaged_world_names():
    register_domain(_name, f"nexgym.envs.worlds.served:{_name}")
