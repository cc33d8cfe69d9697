"""The gitrepo domain's world: a repository on disk, and git run with a fixed identity.

Shared by the domain's tools (:mod:`nexgym.envs.domains.gitrepo`) and its task
generator (:mod:`nexgym.envs.domains.gitrepo.tasks`).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass

from nexgym.error import ToolError

__all__ = ["AGENT_IDENTITY", "ISOLATED_CONFIG", "GitWorld", "git"]

#: Who commits for the agent, and when (2024-04-01 09:00 UTC): fixed so that its
#: commit hashes are reproducible.
AGENT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Nex Agent",
    "GIT_AUTHOR_EMAIL": "agent@nexgym.test",
    "GIT_COMMITTER_NAME": "Nex Agent",
    "GIT_COMMITTER_EMAIL": "agent@nexgym.test",
    "GIT_AUTHOR_DATE": "1711962000 +0000",
    "GIT_COMMITTER_DATE": "1711962000 +0000",
}
#: Ignore the user's and the system's git configuration (colours, hooks, aliases).
ISOLATED_CONFIG = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


@dataclass
class GitWorld:
    """A repository on disk; ``path`` is its working tree."""

    path: str


def git(path: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``git -C path args`` with the isolated configuration; returns stdout.

    Raises:
        ToolError: if git fails (with its message).
    """
    full_env = {**os.environ, **ISOLATED_CONFIG, **AGENT_IDENTITY, **(env or {})}
    done = subprocess.run(
        ["git", "-C", path, *args], capture_output=True, text=True, env=full_env, check=False
    )
    if done.returncode != 0:
        raise ToolError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout
