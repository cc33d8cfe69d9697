"""Old name of :mod:`nexgym.envs.domains.webresearch.site`, kept for existing imports.

The old name is bound to the module itself, so the two names are one object: what is
set through one (a test's ``monkeypatch``) is seen through the other.
"""

from __future__ import annotations

import sys

from nexgym.envs.domains.webresearch import site as _module
from nexgym.envs.domains.webresearch.site import *  # noqa: F403  (its names, for type checkers)

sys.modules[__name__] = _module
