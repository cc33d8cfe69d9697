"""A virtual file system with code and config edits.

The world is an in-memory tree of text files; nothing touches the host's disk.
Tasks: change a setting in a config file, archive log files, answer questions about
the code base (which file defines a function, how many TODOs a folder holds).
Every goal has two disjoint plans (e.g. ``replace_in_file`` or ``write_file``).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from nexgym.envs.domains.files.rules import (
    check_file_size,
    check_parents,
    glob_matcher,
    normalize_path,
)
from nexgym.envs.domains.kit.base import Domain, Goal, Task, answer_has, compose_task

from nexgym.error import ToolError
from nexgym.tools import ToolCall, tool

MAX_RESULTS = 50
#: Longest line of a file that search_files shows (longer ones end in "...").
MAX_LINE_CHARS = 500


@dataclass
class FileWorld:
    """The state: absolute path -> text, plus the set of directories."""

    files: dict[str, str] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=lambda: {"/"})

    def add(self, path: str, text: str) -> None:
        """Create a file and its parent directories."""
        self.files[path] = text
        parent = posixpath.dirname(path)
        while parent not in self.dirs:
            self.dirs.add(parent)
            parent = posixpath.dirname(parent)


def _norm(path: str) -> str:
    return normalize_path(path)


def _existing(world: FileWorld, path: str) -> str:
    path = _norm(path)
    if path not in world.files:
        hint = " (it is a directory)" if path in world.dirs else ""
        raise ToolError(f"no such file: {path}{hint}; use list_dir or find_files to look")
    return path


@tool
def list_dir(world: FileWorld, path: str = "/") -> list[str]:
    """List a directory; sub-directories end with '/'.

    Args:
        path: absolute directory path, e.g. "/src".
    """
    path = _norm(path)
    if path not in world.dirs:
        raise ToolError(f"no such directory: {path}")
    prefix = path.rstrip("/") + "/"
    names = {
        p[len(prefix) :].split("/", 1)[0] + ("/" if "/" in p[len(prefix) :] else "")
        for p in list(world.files) + [d + "/" for d in world.dirs]
        if p.startswith(prefix) and p != prefix
    }
    return sorted(n for n in names if n and n != "/")


@tool
def read_file(world: FileWorld, path: str) -> str:
    """Return the whole text of a file.

    Args:
        path: absolute file path, e.g. "/etc/app/web.conf".
    """
    return world.files[_existing(world, path)]


@tool
def file_info(world: FileWorld, path: str) -> dict[str, Any]:
    """Return a file's size in characters and its number of lines.

    Args:
        path: absolute file path.
    """
    text = world.files[_existing(world, path)]
    return {"path": _norm(path), "chars": len(text), "lines": len(text.splitlines())}


@tool(mutates=True)
def write_file(world: FileWorld, path: str, content: str) -> str:
    """Create or overwrite a file with the given text.

    Args:
        path: absolute file path; missing parent directories are created.
        content: the file's new text.
    """
    path = _norm(path)
    if path in world.dirs:
        raise ToolError(f"{path} is a directory, expected a file path")
    check_parents(world.files, path)
    check_file_size(world.files, path, len(content))
    world.add(path, content)
    return f"wrote {len(content)} characters to {path}"


@tool(mutates=True)
def replace_in_file(world: FileWorld, path: str, old: str, new: str) -> str:
    """Replace every occurrence of a text in a file.

    Args:
        path: absolute file path.
        old: the exact text to find (must occur at least once).
        new: the replacement text.
    """
    path = _existing(world, path)
    if not old:
        raise ToolError("expected a non-empty 'old' text to replace")
    count = world.files[path].count(old)
    if count == 0:
        raise ToolError(f"{old[:80]!r} does not occur in {path}; read the file to see its text")
    # checked before replacing: the new text may be far longer than the file
    check_file_size(world.files, path, len(world.files[path]) + count * (len(new) - len(old)))
    world.files[path] = world.files[path].replace(old, new)
    return f"replaced {count} occurrence(s) in {path}"


@tool(mutates=True)
def delete_file(world: FileWorld, path: str) -> str:
    """Delete a file.

    Args:
        path: absolute file path.
    """
    path = _existing(world, path)
    del world.files[path]
    return f"deleted {path}"


@tool(mutates=True)
def move_file(world: FileWorld, source: str, destination: str) -> str:
    """Move or rename a file; a destination ending in '/' keeps the file name.

    Args:
        source: absolute path of the file to move.
        destination: new absolute path, or a directory path ending with '/'.
    """
    source = _existing(world, source)
    if destination.endswith("/") or _norm(destination) in world.dirs:
        destination = posixpath.join(_norm(destination), posixpath.basename(source))
    destination = _norm(destination)
    if destination in world.files:
        raise ToolError(f"{destination} already exists; delete it first or pick another name")
    if destination in world.dirs:
        raise ToolError(f"Is a directory: {destination}; expected a file path or a folder path")
    check_parents(world.files, destination)
    world.add(destination, world.files.pop(source))
    return f"moved {source} to {destination}"


@tool(mutates=True)
def make_dir(world: FileWorld, path: str) -> str:
    """Create a directory (and its parents).

    Args:
        path: absolute directory path.
    """
    path = _norm(path)
    if path in world.files:
        raise ToolError(f"{path} is a file, expected a directory path")
    check_parents(world.files, path)
    world.add(posixpath.join(path, ".keep"), "")
    del world.files[posixpath.join(path, ".keep")]
    return f"created {path}"


@tool
def find_files(world: FileWorld, pattern: str, path: str = "/") -> list[str]:
    """Find files whose name matches a glob pattern, e.g. "*.log".

    Args:
        pattern: glob on the file name (not the whole path).
        path: directory to search under.
    """
    matches = glob_matcher(pattern)
    root = _norm(path).rstrip("/") + "/"
    hits = sorted(p for p in world.files if p.startswith(root) and matches(posixpath.basename(p)))
    return hits[:MAX_RESULTS]


@tool
def search_files(world: FileWorld, text: str, path: str = "/") -> list[dict[str, Any]]:
    """Search file contents for a plain text; returns path, line number and line.

    Args:
        text: the exact text to look for (no regular expressions).
        path: directory to search under.
    """
    if not text:
        raise ToolError("expected a non-empty text to search for")
    root = _norm(path).rstrip("/") + "/"
    hits = []
    for p in sorted(world.files):
        if not p.startswith(root):
            continue
        for number, line in enumerate(world.files[p].splitlines(), 1):
            if text in line:
                shown = line.strip()
                if len(shown) > MAX_LINE_CHARS:
                    shown = shown[: MAX_LINE_CHARS - 3] + "..."
                hits.append({"path": p, "line": number, "text": shown})
                if len(hits) >= MAX_RESULTS:
                    return hits
    return hits


SERVICES = ("web", "worker", "billing", "search", "auth", "cache", "mailer", "scheduler")
SETTINGS = ("timeout", "max_connections", "retries", "log_level", "port", "pool_size")
FUNCS = (
    "parse_order",
    "send_invoice",
    "load_config",
    "merge_rows",
    "hash_token",
    "retry_call",
    "render_page",
    "score_match",
    "flush_queue",
    "open_session",
)
MODULES = ("orders", "billing", "config", "storage", "auth", "net", "views", "ranking", "queue")


def _config_text(rng: np.random.Generator, service: str) -> dict[str, str]:
    return {
        "timeout": str(int(rng.integers(5, 120))),
        "max_connections": str(int(rng.integers(10, 500))),
        "retries": str(int(rng.integers(0, 6))),
        "log_level": str(rng.choice(["debug", "info", "warning"])),
        "port": str(int(rng.integers(2000, 9000))),
        "pool_size": str(int(rng.integers(1, 32))),
    }


def _render_conf(service: str, values: dict[str, str]) -> str:
    lines = [f"# {service} service configuration"] + [f"{k} = {v}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


class FilesDomain(Domain):
    """Files and code edits on a virtual file system."""

    name = "files"
    description = "a virtual file system with config files, source code and logs"
    tools = (
        list_dir,
        read_file,
        file_info,
        write_file,
        replace_in_file,
        delete_file,
        move_file,
        make_dir,
        find_files,
        search_files,
    )

    def new_world(self, rng: np.random.Generator, difficulty: int) -> tuple[FileWorld, dict]:
        """A populated file tree; returns the world and the facts tasks draw on."""
        world = FileWorld()
        n_services = 2 + difficulty
        services = [str(s) for s in rng.choice(SERVICES, size=n_services, replace=False)]
        configs = {}
        for s in services:
            values = _config_text(rng, s)
            configs[s] = values
            world.add(f"/etc/app/{s}.conf", _render_conf(s, values))
        n_modules = 3 + 2 * difficulty
        modules = [str(m) for m in rng.choice(MODULES, size=n_modules, replace=False)]
        funcs = [str(f) for f in rng.choice(FUNCS, size=n_modules, replace=False)]
        defs = {}
        todos = {}
        for m, f in zip(modules, funcs, strict=True):
            n_todo = int(rng.integers(0, 4))
            body = [f'"""The {m} module."""', "", f"def {f}(data):"]
            for i in range(int(rng.integers(2, 9))):
                body.append(
                    f"    step_{i} = data  # TODO: check step {i}"
                    if i < n_todo
                    else f"    step_{i} = data"
                )
            body.append("    return data")
            path = f"/src/{m}.py"
            world.add(path, "\n".join(body) + "\n")
            defs[f] = path
            todos[path] = n_todo
        n_logs = 1 + difficulty + int(rng.integers(0, 2))
        logs = []
        for i in range(n_logs):
            day = int(rng.integers(1, 28))
            svc = services[i % len(services)]
            path = f"/var/log/{svc}-2026-03-{day:02d}-{i}.log"
            world.add(path, f"{svc} started\n{svc} stopped\n")
            logs.append(path)
        world.add("/var/log/README.txt", "Rotated logs live in /archive/.\n")
        return world, {
            "services": services,
            "configs": configs,
            "defs": defs,
            "todos": todos,
            "logs": logs,
        }

    def generate_task(self, seed: int, difficulty: int = 1) -> Task:
        """A task of ``difficulty`` sub-goals (1-3) on a world sized by difficulty."""
        self.check_difficulty(difficulty)
        rng = self.rng(seed)
        world, facts = self.new_world(rng, difficulty)
        makers = [self._goal_setting, self._goal_archive, self._goal_defines, self._goal_todos]
        order = rng.permutation(len(makers))
        goals = []
        for index in order[:difficulty]:
            goals.append(makers[index](rng, world, facts))
        # questions last, so the final answer comes after every edit
        goals.sort(key=lambda g: g.answer is not None)
        return compose_task(self.name, seed, difficulty, world, goals)

    @staticmethod
    def _goal_setting(rng: np.random.Generator, world: FileWorld, facts: dict) -> Goal:
        service = str(rng.choice(facts["services"]))
        key = str(rng.choice(SETTINGS))
        path = f"/etc/app/{service}.conf"
        old = facts["configs"][service][key]
        new = str(int(old) * 2 + 1) if old.isdigit() else ("error" if old != "error" else "info")
        new_values = dict(facts["configs"][service], **{key: new})
        expected = _render_conf(service, new_values)

        def check(w: FileWorld, answer: str | None) -> bool:
            return w.files.get(path) == expected

        return Goal(
            text=f"In {path}, set {key} to {new} and leave every other line unchanged.",
            check=check,
            plans=(
                (
                    ToolCall(
                        "replace_in_file",
                        {"path": path, "old": f"{key} = {old}", "new": f"{key} = {new}"},
                    ),
                ),
                (ToolCall("write_file", {"path": path, "content": expected}),),
            ),
        )

    @staticmethod
    def _goal_archive(rng: np.random.Generator, world: FileWorld, facts: dict) -> Goal:
        logs = list(facts["logs"])
        targets = {p: "/archive/" + posixpath.basename(p) for p in logs}
        contents = {p: world.files[p] for p in logs}

        def check(w: FileWorld, answer: str | None) -> bool:
            return all(
                src not in w.files and w.files.get(dst) == contents[src]
                for src, dst in targets.items()
            )

        move = tuple(
            ToolCall("move_file", {"source": s, "destination": d}) for s, d in targets.items()
        )
        copy_delete = tuple(
            call
            for s, d in targets.items()
            for call in (
                ToolCall("write_file", {"path": d, "content": contents[s]}),
                ToolCall("delete_file", {"path": s}),
            )
        )
        return Goal(
            text="Move every .log file in /var/log into /archive/, "
            "keeping file names and contents.",
            check=check,
            plans=(move, copy_delete),
        )

    @staticmethod
    def _goal_defines(rng: np.random.Generator, world: FileWorld, facts: dict) -> Goal:
        func = str(rng.choice(sorted(facts["defs"])))
        path = facts["defs"][func]
        lines = len(world.files[path].splitlines())
        return Goal(
            text=f"How many lines does the source file that defines the function {func} have?",
            check=lambda w, answer: answer_has(answer, lines),
            plans=(
                (
                    ToolCall("search_files", {"text": f"def {func}(", "path": "/src"}),
                    ToolCall("file_info", {"path": path}),
                ),
                (
                    ToolCall("find_files", {"pattern": "*.py", "path": "/src"}),
                    ToolCall("read_file", {"path": path}),
                ),
            ),
            answer=str(lines),
        )

    @staticmethod
    def _goal_todos(rng: np.random.Generator, world: FileWorld, facts: dict) -> Goal:
        total = sum(facts["todos"].values())
        paths = sorted(facts["todos"])
        return Goal(
            text="How many TODO comments are there in total in the files under /src?",
            check=lambda w, answer: answer_has(answer, total),
            plans=(
                (ToolCall("search_files", {"text": "TODO", "path": "/src"}),),
                tuple(ToolCall("read_file", {"path": p}) for p in paths),
            ),
            answer=str(total),
        )

    def check_invariants(self, world: FileWorld) -> list[str]:
        """Paths are absolute and normalised, parents exist, no file is also a folder."""
        problems = [f"folder path not normalised: {d!r}" for d in world.dirs if d.startswith("//")]
        for path in world.files:
            if not path.startswith("/") or "/" + posixpath.normpath(path).lstrip("/") != path:
                problems.append(f"file path not normalised: {path!r}")
            elif posixpath.dirname(path) not in world.dirs:
                problems.append(f"file {path!r} has no parent directory")
            if path in world.dirs:
                problems.append(f"{path!r} is both a file and a directory")
        return problems
