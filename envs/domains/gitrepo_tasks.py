"""Repositories and goals of the gitrepo domain (see :mod:`nexgym.envs.domains.gitrepo`).

A repository is built from the seed with the ``git`` command line and fixed authors
and dates. Goals that change the repository come first (commit one edited file,
create a branch, switch branches) and questions about its history last; every goal
uses parts of the repository the others leave alone, so any mix of them stays right.
"""

from __future__ import annotations

import atexit
import copy
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from nexgym.envs.domains.base import Goal, Task, answer_has, compose_task
from nexgym.envs.domains.gitrepo import ISOLATED_CONFIG, GitWorld, git
from nexgym.envs.domains.names import FIRST_NAMES, LAST_NAMES
from nexgym.envs.domains.taskgen import call, pick, sample

from nexgym.error import ToolError
from nexgym.mcp.external import complete_plans

if TYPE_CHECKING:
    from nexgym.envs.domains.gitrepo import GitRepoDomain

__all__ = ["build_repository", "generate"]

PROJECTS = ("ledger", "orbit", "harbor", "quill", "beacon", "tundra")
FEATURES = ("search", "export", "billing", "metrics", "upload", "cache")
LEVELS = ("debug", "info", "warning", "error")
HELPER_MESSAGES = ("Add clamp helper", "Add utility module", "Introduce math helpers")
DOCS_MESSAGES = ("Write setup notes", "Document installation", "Add setup guide")
TUNE_MESSAGES = ("Tune server settings", "Raise server limits", "Adjust server config")


class _History:
    """A ``git fast-import`` stream: the whole history is written by one git process."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.marks = 0

    def _mark(self) -> int:
        self.marks += 1
        return self.marks

    def commit(
        self,
        branch: str,
        files: dict[str, str],
        message: str,
        author: str,
        day: int,
        parent: int | None = None,
    ) -> int:
        """Add a commit on ``branch`` (after its tip, or after mark ``parent``)."""
        blobs = {}
        for name, text in files.items():
            blobs[name] = self._mark()
            data = text.encode("utf-8")
            self.chunks.append(b"blob\nmark :%d\ndata %d\n%s\n" % (blobs[name], len(data), data))
        mark = self._mark()
        email = author.lower().replace(" ", ".") + "@example.com"
        stamp = f"{author} <{email}> {1709287200 + (day - 1) * 86400} +0000"  # 2024-03-01 10:00
        note = (message + "\n").encode("utf-8")
        lines = [f"commit refs/heads/{branch}", f"mark :{mark}", f"author {stamp}"]
        lines += [f"committer {stamp}", f"data {len(note)}"]
        body = ("\n".join(lines) + "\n").encode("utf-8") + note
        if parent is not None:
            body += b"from :%d\n" % parent
        body += b"".join(b"M 100644 :%d %s\n" % (m, n.encode()) for n, m in blobs.items())
        self.chunks.append(body + b"\n")
        return mark

    def tag(self, name: str, mark: int) -> None:
        """A lightweight tag at mark ``mark``."""
        self.chunks.append(b"reset refs/tags/%s\nfrom :%d\n\n" % (name.encode(), mark))

    def write(self, path: str) -> dict[int, str]:
        """Import into the repository at ``path``; returns mark -> commit hash."""
        marks = Path(path, ".git", "nexgym-marks")
        done = subprocess.run(
            ["git", "-C", path, "fast-import", "--quiet", f"--export-marks={marks}"],
            input=b"".join(self.chunks),
            capture_output=True,
            env={**os.environ, **ISOLATED_CONFIG},
            check=False,
        )
        if done.returncode != 0:
            raise ToolError(f"git fast-import failed: {done.stderr.decode(errors='replace')}")
        table = dict(line.split() for line in marks.read_text().splitlines())
        marks.unlink()
        return {int(k.lstrip(":")): v for k, v in table.items()}


def _config(port: int, workers: int, level: str) -> str:
    return f"[server]\nport = {port}\nworkers = {workers}\nlog_level = {level}\n"


def _app(retries: int, timeout: int) -> str:
    return (
        f"RETRIES = {retries}\nTIMEOUT = {timeout}\n\n\ndef main():\n    return RETRIES * TIMEOUT\n"
    )


def build_repository(path: str, rng: np.random.Generator) -> dict[str, Any]:
    """Create the seed's repository at ``path``; returns the facts goals draw on."""
    Path(path).mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    project, feature = pick(rng, PROJECTS), pick(rng, FEATURES)
    firsts, lasts = sample(rng, FIRST_NAMES, 3), sample(rng, LAST_NAMES, 3)
    authors = [f"{first} {last}" for first, last in zip(firsts, lasts, strict=True)]
    port1, port2 = int(rng.integers(8000, 8100)), int(rng.integers(8100, 8200))
    workers1, workers2 = int(rng.integers(2, 5)), int(rng.integers(5, 17))
    level, new_level = sample(rng, LEVELS, 2)
    retries, new_retries, timeout = int(rng.integers(1, 4)), int(rng.integers(4, 9)), 30
    messages = ["Initial commit", "Add server configuration", pick(rng, HELPER_MESSAGES)]
    messages += [pick(rng, TUNE_MESSAGES), pick(rng, DOCS_MESSAGES)]
    readme = f"# {project}\n\nA small {project} service.\n"
    steps: list[tuple[dict[str, str], str]] = [
        ({"README.md": readme, "src/app.py": _app(retries, timeout)}, authors[0]),
        ({"config/app.ini": _config(port1, workers1, level)}, authors[1]),
        ({"src/util.py": "def clamp(x, lo, hi):\n    return max(lo, min(hi, x))\n"}, authors[2]),
        ({"config/app.ini": _config(port2, workers2, level)}, authors[0]),
        ({"docs/setup.md": f"Run `python -m {project}` to start.\n"}, authors[1]),
    ]
    history = _History()
    marks = []
    for day, ((files, author), message) in enumerate(zip(steps, messages, strict=True), 1):
        marks.append(history.commit("main", files, message, author, day))
        if day in (2, 4):
            history.tag(f"v0.{day // 2}", marks[-1])
    release = f"release/0.{int(rng.integers(3, 9))}"
    changelog = {"CHANGELOG.md": f"## {release[8:]}\n- tuned settings\n"}
    history.commit(release, changelog, "Prepare release", authors[2], 6, parent=marks[3])
    branch = f"feature/{feature}"
    start = {f"src/{feature}.py": f"ENABLED = False  # {feature}\n"}
    feature_mark = history.commit(
        branch, start, f"Start {feature} support", authors[0], 7, parent=marks[4]
    )
    shas = history.write(path)
    git(path, "reset", "-q", "--hard", "main")
    commits = [
        {"sha": shas[mark], "message": message, "author": author, "files": list(files)}
        for mark, message, (files, author) in zip(marks, messages, steps, strict=True)
    ]
    feature_sha = shas[feature_mark]
    Path(path, "src/app.py").write_text(_app(new_retries, timeout))
    Path(path, "config/app.ini").write_text(_config(port2, workers2, new_level))
    Path(path, "notes.txt").write_text("remember to update the changelog\n")
    return {
        "project": project,
        "commits": commits,
        "release": release,
        "feature": branch,
        "feature_sha": feature_sha,
        "old_values": {"port": port1, "workers": workers1},
        "pending": {
            "src/app.py": ("RETRIES", new_retries),
            "config/app.ini": ("log_level", new_level),
        },
        "touched": set(),
    }


def _safe(check: Callable[[GitWorld, str | None], bool]) -> Callable[[Any, str | None], bool]:
    def wrapped(world: Any, answer: str | None) -> bool:
        try:
            return check(world, answer)
        except ToolError:  # a broken repository fails the check
            return False

    return wrapped


# -- goals that change the repository -------------------------------------------------


def _commit_one_file(rng: np.random.Generator, facts: dict[str, Any]) -> Goal:
    file = pick(rng, sorted(f for f in facts["pending"] if f not in facts["touched"]))
    facts["touched"].add(file)
    key, value = facts["pending"][file]
    message = f"Set {key} to {value}"

    def check(world: GitWorld, _: str | None) -> bool:
        for line in git(world.path, "log", "--all", "--format=%H %s").splitlines():
            sha, _, subject = line.partition(" ")
            if subject == message:
                changed = git(world.path, "show", "--name-only", "--format=", sha).split()
                return changed == [file]
        return False

    return Goal(
        f"Stage only {file} (leave the other edits unstaged) and commit it with the message "
        f'"{message}".',
        _safe(check),
        ((call("git_add", files=[file]), call("git_commit", message=message)),),
    )


def _create_branch(rng: np.random.Generator, facts: dict[str, Any]) -> Goal:
    name = f"hotfix/{pick(rng, ('login', 'timeouts', 'typo', 'crash'))}"
    base, sha = facts["feature"], facts["feature_sha"]

    def check(world: GitWorld, _: str | None) -> bool:
        return git(world.path, "rev-parse", f"refs/heads/{name}").strip() == sha

    return Goal(
        f"Create a branch named {name} that starts at the tip of {base}.",
        _safe(check),
        ((call("git_create_branch", branch_name=name, base_branch=base),),),
    )


def _switch_branch(rng: np.random.Generator, facts: dict[str, Any]) -> Goal:
    release = facts["release"]

    def check(world: GitWorld, _: str | None) -> bool:
        return git(world.path, "symbolic-ref", "HEAD").strip() == f"refs/heads/{release}"

    return Goal(
        f"Switch the working tree to the {release} branch, keeping the uncommitted edits.",
        _safe(check),
        ((call("git_checkout", branch_name=release),),),
    )


# -- questions about the history --------------------------------------------------------


def _author(rng: np.random.Generator, facts: dict[str, Any]) -> Goal:
    commit = pick(rng, facts["commits"][1:4])  # on main and on the release branch
    return Goal(
        f'Who authored the commit "{commit["message"]}"? Answer with the full name.',
        lambda _, answer: answer_has(answer, commit["author"]),
        ((call("git_log", max_count=20),), (call("git_show", revision=commit["sha"]),)),
        answer=commit["author"],
    )


def _value_at_tag(rng: np.random.Generator, facts: dict[str, Any]) -> Goal:
    key = pick(rng, sorted(facts["old_values"]))
    value = facts["old_values"][key]
    return Goal(
        f"What was {key} set to in config/app.ini at tag v0.1?",
        lambda _, answer: answer_has(answer, f"{key} = {value}"),
        ((call("git_show", revision="v0.1:config/app.ini"),), (call("git_diff", target="v0.1"),)),
        answer=f"{key} = {value}",
    )


def _added_file(rng: np.random.Generator, facts: dict[str, Any]) -> Goal:
    commit = facts["commits"][2]
    return Goal(
        f'Which file did the commit "{commit["message"]}" add?',
        lambda _, answer: answer_has(answer, commit["files"][0]),
        ((call("git_log", max_count=20), call("git_show", revision=commit["sha"])),),
        answer=commit["files"][0],
    )


def _pending_value(rng: np.random.Generator, facts: dict[str, Any]) -> Goal:
    file = pick(rng, sorted(f for f in facts["pending"] if f not in facts["touched"]))
    key, value = facts["pending"][file]
    return Goal(
        f"The working tree has an uncommitted edit to {file}. What new value does it give {key}?",
        lambda _, answer: answer_has(answer, f"{key} = {value}"),
        ((call("git_diff_unstaged"),), (call("git_diff", target="HEAD"),)),
        answer=f"{key} = {value}",
    )


#: State changes first, questions last (the order goals are composed in).
MAKERS = (
    _commit_one_file,
    _create_branch,
    _switch_branch,
    _author,
    _value_at_tag,
    _added_file,
    _pending_value,
)


class _TemplateCache:
    """Repositories already built, by seed, copied instead of rebuilt (git is slow to run).

    Shared by every domain instance of the process, kept in one temporary folder that is
    deleted at exit, and bounded to the most recent :data:`MAX_TEMPLATES` seeds.
    """

    def __init__(self) -> None:
        self.root: Path | None = None
        self.entries: dict[int, tuple[Path, dict[str, Any], Mapping[str, Any]]] = {}
        self.lock = threading.Lock()

    def build(self, seed: int, path: str, rng: np.random.Generator) -> dict[str, Any]:
        """Put the seed's repository at ``path``; ``rng`` ends as a fresh build leaves it."""
        with self.lock:
            if seed not in self.entries:
                if self.root is None:
                    self.root = Path(tempfile.mkdtemp(prefix="nexgym-gitrepo-templates-"))
                    atexit.register(shutil.rmtree, self.root, True)
                template = self.root / f"seed{seed}"
                shutil.rmtree(template, ignore_errors=True)
                facts = build_repository(str(template), rng)
                self.entries[seed] = (template, facts, rng.bit_generator.state)
                for old in list(self.entries)[:-MAX_TEMPLATES]:
                    shutil.rmtree(self.entries.pop(old)[0], ignore_errors=True)
            template, facts, state = self.entries[seed]
            shutil.copytree(template, path, symlinks=True)
        rng.bit_generator.state = state
        return copy.deepcopy(facts)


MAX_TEMPLATES = 64
_TEMPLATES = _TemplateCache()


def generate(domain: GitRepoDomain, seed: int, difficulty: int) -> Task:
    """A task of ``difficulty`` goals on a freshly built repository."""
    rng = domain.rng(seed)
    world = GitWorld(str(domain.new_world_path()))
    facts = _TEMPLATES.build(seed, world.path, rng)
    chosen = sorted(int(i) for i in rng.permutation(len(MAKERS))[:difficulty])
    goals = [complete_plans(domain, MAKERS[i](rng, facts)) for i in chosen]
    preamble = (
        f"You maintain the {facts['project']} repository; the git tools act on it directly "
        f"(no repository path is needed)."
    )
    task = compose_task(domain.name, seed, difficulty, world, goals, preamble=preamble)
    task.metadata["repository"] = {"feature": facts["feature"], "release": facts["release"]}
    return task
