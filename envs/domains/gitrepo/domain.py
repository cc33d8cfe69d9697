"""Tasks on a real git repository, with tools served by ``mcp-server-git``.

Each task builds a small project repository in a temporary folder (in memory-backed
``/dev/shm`` where it is writable; ``NEXGYM_TMPDIR`` chooses another), from the seed,
with fixed authors and dates (so commit hashes are the same on every run): a history
on ``main`` with tags, a ``release`` and a feature branch, uncommitted edits and an
untracked file. The tools are those of the third-party ``mcp-server-git`` (same
names, arguments and answers, without ``repo_path``: the env adds it). With
``backend="mcp"`` that server runs as it is, confined to the domain's folder; with
``backend="inproc"`` the same functions of the ``mcp_server_git`` package run in
process. The verifier inspects the repository with the ``git`` command line.

Needs ``git`` on ``PATH`` and ``pip install "nexgym[mcp]"``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

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
from nexgym.envs.domains.gitrepo.world import AGENT_IDENTITY, ISOLATED_CONFIG, GitWorld, git
from nexgym.envs.domains.kit.base import Domain, Task
from nexgym.envs.domains.kit.draws import numpy_rng
from nexgym.envs.domains.kit.tool_server import ToolServer, python_module_command

from nexgym.error import ConfigError, ToolError, require
from nexgym.tools import ToolCall, tool

__all__ = [
    "AGENT_IDENTITY",
    "ROOT_PREFIX",
    "GitRepoDomain",
    "GitWorld",
    "git",
    "remove_stale_roots",
    "remove_tree",
    "scratch_dir",
]

#: The most processes under a running mcp-server-git (its watchdog and ``git cat-file``
#: processes) before the backend replaces it at a reset. The server opens a GitPython
#: ``Repo`` per call and never closes it; ``git_log``, ``git_show`` and ``git_diff``
#: leave it in a reference cycle (through its configuration reader), so its two
#: ``cat-file`` processes live until Python's cycle collector runs: 1 to 37 over
#: 10,000 steps, with 8 to 113 open files, unbounded in principle.
MAX_SERVER_CHILDREN = 24
#: Worlds kept on disk per domain instance (older ones are deleted).
KEEP_WORLDS = 8
_ENV_LOCK = threading.Lock()


@contextlib.contextmanager
def _agent_environment() -> Iterator[None]:
    """Make in-process GitPython calls commit as the agent, like the server does.

    GitPython reads the author, committer and dates from ``os.environ``; the
    variables are set for the duration of one tool call and restored after it.
    """
    with _ENV_LOCK:
        saved = {k: os.environ.get(k) for k in (*AGENT_IDENTITY, *ISOLATED_CONFIG)}
        os.environ.update({**AGENT_IDENTITY, **ISOLATED_CONFIG})
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _run(name: str, world: GitWorld, fn_name: str, *args: Any, prefix: str = "") -> str:
    """Call ``mcp_server_git.server.<fn_name>`` on the world's repository, as the server does."""
    server = require("mcp_server_git.server", "mcp", "the gitrepo domain")
    import git as gitpython

    with (
        _agent_environment(),
        server._GIT_LOCK,
        contextlib.closing(gitpython.Repo(world.path)) as repo,
    ):
        try:
            value = getattr(server, fn_name)(repo, *args)
        except server.ANTICIPATED_ERRORS as e:
            raise ToolError(_hide_paths(f"Error executing tool {name}: {e}", world)) from None
        except Exception:  # the server hides a crash's text too
            raise ToolError(f"Error executing tool {name}") from None
    if isinstance(value, list):
        value = "\n".join(value)
    return _hide_paths(f"{prefix}{value}", world)


def check_new_branch(name: str) -> None:
    """Refuse a name git refuses (the server would create it: see :mod:`.gitrepo_refs`).

    Raises:
        ToolError: naming the rule the name breaks.
    """
    problem = branch_name_problem(name)
    if problem is not None:
        raise ToolError(
            f"Error executing tool git_create_branch: {name!r} is not a valid branch name "
            f"({problem}); git check-ref-format --branch accepts names like 'feature/login'"
        )


def _hide_paths(text: str, world: GitWorld) -> str:
    """Show the repository as ``.``: its temporary folder differs between env instances."""
    return text.replace(world.path, ".").replace(os.path.dirname(world.path), ".")


@tool
def git_status(world: GitWorld) -> str:
    """Shows the working tree status."""
    return _run("git_status", world, "git_status", prefix="Repository status:\n")


@tool
def git_diff_unstaged(world: GitWorld, context_lines: int = 3) -> str:
    """Shows changes in the working directory that are not yet staged.

    Args:
        context_lines: lines of context around each change.
    """
    return _run(
        "git_diff_unstaged", world, "git_diff_unstaged", context_lines, prefix="Unstaged changes:\n"
    )


@tool
def git_diff_staged(world: GitWorld, context_lines: int = 3) -> str:
    """Shows changes that are staged for commit.

    Args:
        context_lines: lines of context around each change.
    """
    return _run(
        "git_diff_staged", world, "git_diff_staged", context_lines, prefix="Staged changes:\n"
    )


@tool
def git_diff(world: GitWorld, target: str, context_lines: int = 3) -> str:
    """Shows differences between branches or commits.

    Args:
        target: the branch, tag or commit to compare the working tree with.
        context_lines: lines of context around each change.
    """
    return _run(
        "git_diff", world, "git_diff", target, context_lines, prefix=f"Diff with {target}:\n"
    )


@tool(mutates=True)
def git_commit(world: GitWorld, message: str) -> str:
    """Records changes to the repository.

    Args:
        message: the commit message.
    """
    return _run("git_commit", world, "git_commit", message)


@tool(mutates=True)
def git_add(world: GitWorld, files: list[str]) -> str:
    """Adds file contents to the staging area.

    Args:
        files: paths relative to the repository root, or ["."] for everything.
    """
    return _run("git_add", world, "git_add", files)


@tool(mutates=True)
def git_reset(world: GitWorld) -> str:
    """Unstages all staged changes."""
    return _run("git_reset", world, "git_reset")


@tool
def git_log(world: GitWorld, max_count: int = 10) -> str:
    """Shows the commit logs.

    Args:
        max_count: the most commits to show, newest first.
    """
    return _run("git_log", world, "git_log", max_count, prefix="Commit history:\n")


@tool(mutates=True)
def git_create_branch(world: GitWorld, branch_name: str, base_branch: str | None = None) -> str:
    """Creates a new branch from an optional base branch.

    Args:
        branch_name: the new branch's name.
        base_branch: the branch to start from (the current branch if omitted).
    """
    check_new_branch(branch_name)
    return _run("git_create_branch", world, "git_create_branch", branch_name, base_branch)


@tool(mutates=True)
def git_checkout(world: GitWorld, branch_name: str) -> str:
    """Switches branches.

    Args:
        branch_name: the branch to switch to.
    """
    return _run("git_checkout", world, "git_checkout", branch_name)


@tool
def git_show(world: GitWorld, revision: str) -> str:
    """Shows the contents of a commit, or of a file or directory given as <revision>:<path>.

    Args:
        revision: a commit, branch or tag, or "<revision>:<path>" for a file at that revision.
    """
    return _run("git_show", world, "git_show", revision)


@tool
def git_branch(world: GitWorld, branch_type: str) -> str:
    """List Git branches.

    Args:
        branch_type: 'local', 'remote' or 'all'.
    """
    return _run("git_branch", world, "git_branch", branch_type)


TOOLS = (
    git_status,
    git_diff_unstaged,
    git_diff_staged,
    git_diff,
    git_commit,
    git_add,
    git_reset,
    git_log,
    git_create_branch,
    git_checkout,
    git_show,
    git_branch,
)


class GitRepoDomain(Domain):
    """Version-control tasks on a real repository, served by ``mcp-server-git``."""

    name = "gitrepo"
    rng = staticmethod(numpy_rng)
    description = (
        "Git tools on a real project repository: status, diffs, staging, commits, "
        "branches, history and file contents at any revision."
    )
    tools = TOOLS

    def __init__(self) -> None:
        super().__init__()
        self._root: Path | None = None
        self._worlds: list[Path] = []
        #: what was made in each world's folder (see :func:`remove_tree`)
        self.made: dict[Path, Sequence[str]] = {}
        self._count = 0
        self._cleanup: weakref.finalize | None = None
        self._trash: Trash | None = None

    @property
    def root(self) -> Path:
        """The folder holding this instance's repositories.

        It is a git repository itself, so that ``mcp-server-git --repository`` can be
        confined to it. Its name holds this process's id; making it first deletes the
        folders of processes that are gone (see :func:`remove_stale_roots`).
        """
        if self._root is None:
            if shutil.which("git") is None:
                raise ConfigError("the gitrepo domain needs the git command; install git")
            folder = scratch_dir()
            remove_stale_roots(folder)
            # the owner's pid in the name: a later process can tell a leftover (see above)
            prefix = f"{ROOT_PREFIX}{os.getpid()}-"
            self._root = Path(tempfile.mkdtemp(prefix=prefix, dir=folder))
            self._trash = Trash(self._root)
            self._cleanup = weakref.finalize(self, delete_root, self._root, self._trash)
            init_repository(str(self._root))
            # the tools run the server's code: import it with the first world (up to a
            # second on a loaded machine), not in the first call, which is an agent's step
            require("mcp_server_git.server", "mcp", "the gitrepo domain")
            require("git", "mcp", "the gitrepo domain")
        return self._root

    def new_world_path(self) -> Path:
        """A fresh folder for a repository; the oldest ones beyond KEEP_WORLDS are deleted.

        They are set aside at once and deleted in batches (see :class:`Trash`).
        """
        self._count += 1
        path = self.root / f"w{self._count}"
        trash = self._trash
        assert trash is not None  # made with the root
        self._worlds.append(path)
        for old in self._worlds[:-KEEP_WORLDS]:
            trash.discard(old, self.made.pop(old, ()))
        self._worlds = self._worlds[-KEEP_WORLDS:]
        return path

    def generate_task(self, seed: int, difficulty: int = 1) -> Task:
        """Build the seed's repository on disk and draw ``difficulty`` goals on it."""
        from nexgym.envs.domains.gitrepo.tasks import generate

        self.check_difficulty(difficulty)
        return generate(self, seed, difficulty)

    def copy_world(self, world: GitWorld) -> GitWorld:
        """A copy of the repository in a new folder (for parallel agents)."""
        path = self.new_world_path()
        shutil.copytree(world.path, path, symlinks=True)
        self.made[path] = self.made.get(Path(world.path), ())
        return GitWorld(str(path))

    def check_invariants(self, world: GitWorld) -> list[str]:
        """The repository exists and HEAD names a branch that exists (or a commit).

        File checks only, no git process: the runtime may check after every step.
        """
        git_dir = Path(world.path, ".git")
        try:
            head = (git_dir / "HEAD").read_text().strip()
        except OSError:
            return [f"the repository at {world.path} has no readable .git/HEAD"]
        if not head.startswith("ref: "):
            return [] if len(head) == 40 else [f"HEAD holds {head!r}, not a ref or a commit"]
        ref = head[5:]
        packed = git_dir / "packed-refs"
        if (git_dir / ref).is_file() or (packed.is_file() and ref in packed.read_text()):
            return []
        return [f"HEAD points at {ref}, which does not exist"]

    def tool_server(self) -> ToolServer:
        """``mcp-server-git`` from PyPI, run as it is and confined to this instance's folder."""
        root = str(self.root)
        command, args = python_module_command("mcp_server_git", "--repository", root)

        def to_server(call: ToolCall, world: GitWorld) -> ToolCall:
            if call.name == "git_create_branch":
                check_new_branch(call.arguments["branch_name"])
            return ToolCall(call.name, {"repo_path": world.path, **call.arguments})

        def from_server(text: str, world: GitWorld) -> str:
            return _hide_paths(text, world)

        env = {**AGENT_IDENTITY, **ISOLATED_CONFIG}
        return ToolServer(
            "mcp-server-git",
            command,
            args,
            env,
            to_server,
            from_server,
            max_children=MAX_SERVER_CHILDREN,
        )

    def close(self) -> None:
        """Delete this instance's repositories."""
        if self._cleanup is not None:
            self._cleanup()
