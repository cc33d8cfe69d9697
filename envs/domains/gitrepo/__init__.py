"""Tasks on a real git repository, with tools served by ``mcp-server-git``.

This folder holds the tools and the Domain class in :mod:`.domain`, the repository world in
:mod:`.world`, its scratch folders in :mod:`.folders`, branch-name rules in :mod:`.refs`, git's
storage in :mod:`.store` and the task generator in :mod:`.tasks`; their public names are
importable from the package too.
"""

from __future__ import annotations

from nexgym.envs.domains.gitrepo.domain import (
    KEEP_WORLDS,
    MAX_SERVER_CHILDREN,
    TOOLS,
    GitRepoDomain,
    check_new_branch,
    git_add,
    git_branch,
    git_checkout,
    git_commit,
    git_create_branch,
    git_diff,
    git_diff_staged,
    git_diff_unstaged,
    git_log,
    git_reset,
    git_show,
    git_status,
)
from nexgym.envs.domains.gitrepo.folders import (
    ROOT_PREFIX,
    Trash,
    delete_root,
    remove_stale_roots,
    remove_tree,
    scratch_dir,
)
from nexgym.envs.domains.gitrepo.refs import branch_name_problem
from nexgym.envs.domains.gitrepo.store import init_repository
from nexgym.envs.domains.gitrepo.world import (
    AGENT_IDENTITY,
    ISOLATED_CONFIG,
    GitWorld,
    git,
)

__all__ = [
    "AGENT_IDENTITY",
    "ISOLATED_CONFIG",
    "KEEP_WORLDS",
    "MAX_SERVER_CHILDREN",
    "ROOT_PREFIX",
    "TOOLS",
    "GitRepoDomain",
    "GitWorld",
    "Trash",
    "branch_name_problem",
    "check_new_branch",
    "delete_root",
    "git",
    "git_add",
    "git_branch",
    "git_checkout",
    "git_commit",
    "git_create_branch",
    "git_diff",
    "git_diff_staged",
    "git_diff_unstaged",
    "git_log",
    "git_reset",
    "git_show",
    "git_status",
    "init_repository",
    "remove_stale_roots",
    "remove_tree",
    "scratch_dir",
]
