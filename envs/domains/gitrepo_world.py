"""Old name of :mod:`nexgym.envs.domains.gitrepo.world`, kept for existing imports.

The old name is bound to the module itself, so the two names are one object: what is
set through one (a test's ``monkeypatch``) is seen through the other.
"""

from __future__ import annotations

import sys

from nexgym.envs.domains.gitrepo import world as _module
from nexgym.envs.domains.gitrepo.world import *  # noqa: F403  (its names, for type checkers)

sys.modules[__name__] = _module
