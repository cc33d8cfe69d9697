"""Research tasks over a generated web site, fetched with ``mcp-server-fetch``.

This folder holds the tools and the Domain class in :mod:`.domain`, the generated site in
:mod:`.site`; their public names are importable from the package too.
"""

from __future__ import annotations

from nexgym.envs.domains.webresearch.domain import (
    FETCH_TIMEOUT,
    KEEP_SITES,
    MARKDOWN,
    OFFLINE,
    OFFLINE_STATUS,
    WebResearchDomain,
    WebWorld,
    fetch,
    search_page,
)
from nexgym.envs.domains.webresearch.site import SITE

__all__ = [
    "FETCH_TIMEOUT",
    "KEEP_SITES",
    "MARKDOWN",
    "OFFLINE",
    "OFFLINE_STATUS",
    "SITE",
    "WebResearchDomain",
    "WebWorld",
    "fetch",
    "search_page",
]
