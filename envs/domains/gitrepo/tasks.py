"""Repositories and goals of the gitrepo domain (see :mod:`nexgym.envs.domains.gitrepo`).

A repository is built from the seed with fixed authors and dates, and written by
:mod:`nexgym.envs.domains.gitrepo.store` as git stores one. Goals that change the repository
come first (commit one edited file, create a branch, switch branches) and questions
about its history last; every goal uses parts of the repository the others leave
alone, so any mix of them stays right.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from nexgym.envs.domains.gitrepo.store import History
from nexgym.envs.domains.gitrepo.world import GitWorld, git
from nexgym.envs.domains.kit.base import Goal, Task, answer_has, compose_task
from nexgym.envs.domains.kit.draws import integer, pick, sample
from nexgym.envs.domains.kit.names import FIRST_NAMES, LAST_NAMES
from nexgym.envs.domains.kit.taskgen import call
from nexgym.envs.domains.kit.tool_server import complete_plans

from nexgym.error import ToolError

if TYPE_CHECKING:
    from nexgym.envs.domains.gitrepo.domain import GitRepoDomain

__all__ = ["build_repository", "generate"]

PROJECTS = ("ledger", "orbit", "harbor", "quill", "beacon", "tundra")
FEATURES = ("search", "export", "billing", "metrics", "upload", "cache")
LEVELS = ("debug", "info", "warning", "error")
HELPER_MESSAGES = ("Add clamp helper", "Add utility module", "Introduce math helpers")
DOCS_MESSAGES = ("Write setup notes", "Document installation", "Add setup guide")
TUNE_MESSAGES = ("Tune server settings", "Raise server limits", "Adjust server config")


def _config(port: int, workers: int, level: str) -> str:
    return f"[server]\nport = {port}\nworkers = {workers}\nlog_level = {level}\n"


def _app(retries: int, timeout: int) -> str:
    return (
        f"RETRIES = {retries}\nTIMEOUT = {timeout}\n\n\ndef main():\n    return RETRIES * TIMEOUT\n"
    )


def build_repository(
    path: str, rng: np.random.Generator, made: list[str] | None = None
) -> dict[str, Any]:
    """Create the seed's repository at ``path``; returns the facts goals draw on.

    ``made``, if given, receives what was made in ``path`` (see ``remove_tree``).
    """
    project, feature = pick(rng, PROJECTS), pick(rng, FEATURES)
    firsts, lasts = sample(rng, FIRST_NAMES, 3), sample(rng, LAST_NAMES, 3)
    authors = [f"{first} {last}" for first, last in zip(firsts, lasts, strict=True)]
    port1, port2 = integer(rng, 8000, 8100), integer(rng, 8100, 8200)
    workers1, workers2 = integer(rng, 2, 5), integer(rng, 5, 17)
    level, new_level = sample(rng, LEVELS, 2)
    retries, new_retries, timeout = integer(rng, 1, 4), integer(rng, 4, 9), 30
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
    history = History()
    marks = []
    for day, ((files, author), message) in enumerate(zip(steps, messages, strict=True), 1):
        marks.append(history.commit("main", files, message, author, day))
        if day in (2, 4):
            history.tag(f"v0.{day // 2}", marks[-1])
    release = f"release/0.{integer(rng, 3, 9)}"
    changelog = {"CHANGELOG.md": f"## {release[8:]}\n- tuned settings\n"}
    history.commit(release, changelog, "Prepare release", authors[2], 6, parent=marks[3])
    branch = f"feature/{feature}"
    start = {f"src/{feature}.py": f"ENABLED = False  # {feature}\n"}
    feature_mark = history.commit(
        branch, start, f"Start {feature} support", authors[0], 7, parent=marks[4]
    )
    edits = {
        "src/app.py": _app(new_retries, timeout),
        "config/app.ini": _config(port2, workers2, new_level),
        "notes.txt": "remember to update the changelog\n",  # untracked
    }
    shas = history.write(path, "main", edits)
    if made is not None:
        made += history.made
    commits = [
        {"sha": shas[mark], "message": message, "author": author, "files": list(files)}
        for mark, message, (files, author) in zip(marks, messages, steps, strict=True)
    ]
    feature_sha = shas[feature_mark]
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


def generate(domain: GitRepoDomain, seed: int, difficulty: int) -> Task:
    """A task of ``difficulty`` goals on a freshly built repository."""
    rng = domain.rng(seed)
    path = domain.new_world_path()
    world, made = GitWorld(str(path)), list[str]()
    facts = build_repository(world.path, rng, made)
    domain.made[path] = made
    chosen = sorted(int(i) for i in rng.permutation(len(MAKERS))[:difficulty])
    goals = [complete_plans(domain, MAKERS[i](rng, facts)) for i in chosen]
    preamble = (
        f"You maintain the {facts['project']} repository; the git tools act on it directly "
        f"(no repository path is needed)."
    )
    task = compose_task(domain.name, seed, difficulty, world, goals, preamble=preamble)
    task.metadata["repository"] = {"feature": facts["feature"], "release": facts["release"]}
    return task
