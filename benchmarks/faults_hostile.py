"""Hostile actions for ``benchmarks/faults.py``: what is thrown at every view of an env.

Each action is drawn for the acting role from a seeded generator: empty and 10 MB
texts, invalid UTF-8 and lone surrogates, 10,000-deep JSON, actions that are not text,
NaN and infinities, unknown tools, calls of one's own parent, and the role's real tools
called with path traversal, absolute host paths and symlinks (file and git tools), SQL
injection and ``ATTACH DATABASE`` (SQL tools), shell metacharacters and option
injection (git tools), catastrophic regular expressions (search tools). Host paths
point into a canary folder or carry a unique token, so anything an action manages to
create or change on the host is found afterwards (:class:`HostWatch`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nexgym.teammates.random_calls import random_call
from nexgym.tools import ToolCall

MEGABYTE = 1 << 20
_PATH = re.compile(r"/[\w.-]+(?:/[\w.-]+)*\.\w+")
#: Kinds of hostile action and their weights (the rest of the draw is "valid" and "oracle",
#: which move episodes on so sub-agents and later states are reached too).
KINDS = {
    "empty": 3,
    "huge": 0.05,
    "invalid_utf8": 4,
    "surrogates": 4,
    "deep_json": 1,
    "wrong_types": 6,
    "nan_inf": 5,
    "unknown_tool": 5,
    "parent": 5,
    "quadratic": 0.2,
    "amplify": 2,
    "hostile_arguments": 40,
    "valid": 12,
    "oracle": 15,
}


def path_pool(canary: Path, token: str) -> list[str]:
    """File and git paths that reach for the host: traversal, absolute paths, symlinks."""
    tmp = tempfile.gettempdir()
    return [
        "../../../../../../etc/passwd",
        "/etc/passwd",
        "/proc/self/environ",
        "/proc/self/root/etc/hosts",
        "/dev/zero",
        f"/dev/shm/{token}",
        f"{canary}/victim.txt",
        f"{canary}/{token}-created.txt",
        f"{canary}/link-etc/passwd",
        f"{canary}/link-out/{token}.txt",
        f"../../../../../..{canary}/{token}.txt",
        f"/tmp/{token}.txt",
        f"{tmp}/{token}.txt",
        f"~/{token}.txt",
        "\x00/etc/passwd",
        "file:///etc/passwd",
        "C:\\Windows\\win.ini",
        "//etc//passwd",
        "/etc/app/../../../../../tmp/x",
        ".",
        "..",
        "/",
        "." * 4096,
        "/" + "a/" * 3000,
        f"{token}/../../../{token}",
    ]


def git_pool(canary: Path, token: str) -> list[str]:
    """Git arguments with shell metacharacters and option injection."""
    target = f"{canary}/{token}-git"
    return [
        f"--output={target}",
        f"--upload-pack=touch {target}",
        f"-c core.pager='touch {target}'",
        f"$(touch {target})",
        f"`touch {target}`",
        f"main; touch {target}",
        f"main && touch {target} ||",
        f"main | tee {target}",
        f"--orphan={token}",
        "--exec=/bin/sh",
        "-f",
        "--",
        "HEAD:../../../../etc/passwd",
        "HEAD@{-1}",
        ":(top)../../..",
        ".git/config",
        "../" * 20 + "etc/passwd",
        f"--git-dir={canary}",
        f"--work-tree={canary}",
        "refs/heads/../../../x",
        "\nrm -rf /",
    ]


def sql_pool(canary: Path, token: str) -> list[str]:
    """SQL injection, attached databases, files and resource exhaustion."""
    db = f"{canary}/{token}.db"
    return [
        "'; DROP TABLE IF EXISTS sqlite_master; --",
        "1=1; DROP TABLE customers; --",
        "x' OR '1'='1",
        f"ATTACH DATABASE '{db}' AS pwn",
        f"1; ATTACH DATABASE '{db}' AS pwn; CREATE TABLE pwn.t(a); --",
        "ATTACH DATABASE ':memory:' AS m",
        f"VACUUM INTO '{db}'",
        f"SELECT load_extension('{canary}/{token}.so')",
        "SELECT readfile('/etc/passwd')",
        f"SELECT writefile('{canary}/{token}.txt', 'x')",
        f"PRAGMA temp_store_directory = '{canary}'",
        "PRAGMA writable_schema = ON",
        "PRAGMA journal_mode = WAL",
        "DETACH DATABASE main",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000000) "
        "SELECT group_concat(x) FROM c",
        "SELECT zeroblob(2000000000)",
        "SELECT zeroblob(400000000) AS z",
        "SELECT randomblob(1000000000)",
        "SELECT printf('%.*c', 1000000000, 'x')",
        "SELECT replace(hex(zeroblob(100000000)), '00', 'x')",
        "CREATE TRIGGER t AFTER INSERT ON sqlite_master BEGIN SELECT 1; END",
        "SELECT * FROM sqlite_master; SELECT 1",
        '" OR ""="',
    ]


def regex_pool() -> list[str]:
    """Patterns that are invalid or backtrack catastrophically."""
    return ["(a+)+$", "(a|aa)+b", "([a-z]+)*$", "[", "(?P<x>", "\\", "*" * 1000, "a{99999}{99999}"]


def generic_pool(canary: Path, token: str) -> list[str]:
    """Any string argument: everything above and some text that is hostile anywhere."""
    return [
        *path_pool(canary, token),
        *git_pool(canary, token),
        *sql_pool(canary, token),
        *regex_pool(),
        "",
        "\x00",
        "\ud800",
        "\udfff\ud800",
        "A" * 100_000,
        "%s%n%x%p",
        "{{7*7}}${7*7}",
        "<script>alert(1)</script>",
        "\u202egnp.exe",
        "😀" * 1000,
        "file:///etc/passwd",
        "http://127.0.0.1:9/",
        "http://[::1]:1/",
        "gopher://127.0.0.1:1/_x",
        "javascript:alert(1)",
    ]


#: JSON argument values that are not what any schema asks for (NaN and infinities too).
WRONG_VALUES: list[Any] = [
    None,
    True,
    -1,
    2**70,
    1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    [],
    [[[[]]]],
    {"a": {"b": None}},
    "",
]


def nested(depth: int, kind: str) -> str:
    """JSON nested ``depth`` deep: a list, an object, or a call whose answer is one."""
    if kind == "list":
        return "[" * depth + "]" * depth
    if kind == "object":
        return '{"a":' * depth + "1" + "}" * depth
    inner = "[" * depth + "]" * depth
    return f'<tool_call>{{"name": "finish", "arguments": {{"answer": {inner}}}}}</tool_call>'


@dataclass
class HostileActions:
    """Draws hostile actions for a role from a seeded generator.

    Args:
        rng: the generator (derived from the benchmark's seed).
        canary: the host folder actions aim at.
        token: a unique string in every host path an action tries to create.
    """

    rng: np.random.Generator
    canary: Path
    token: str
    huge_every: int = 2000
    drawn: int = 0
    _pools: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._pools = {
            "path": path_pool(self.canary, self.token),
            "git": git_pool(self.canary, self.token),
            "sql": sql_pool(self.canary, self.token),
            "regex": regex_pool(),
            "generic": generic_pool(self.canary, self.token),
        }
        names = list(KINDS)
        weights = np.array([KINDS[k] for k in names], dtype=np.float64)
        self._kinds, self._weights = names, weights / weights.sum()

    def pick(self, values: list[Any]) -> Any:
        return values[int(self.rng.integers(len(values)))]

    def draw(
        self, runtime: Any, role: str, obs: str, oracle: Any, info: dict[str, Any]
    ) -> tuple[str, Any]:
        """The next action for ``role``: ``(kind, action)``."""
        self.drawn += 1
        kind = str(self.rng.choice(self._kinds, p=self._weights))
        if kind == "huge" or self.drawn % self.huge_every == 0:
            return "huge", self._huge()
        schemas = runtime.tool_schemas(role)
        if kind == "empty":
            return kind, self.pick(["", " ", "\n" * 3, "<tool_call></tool_call>", "{}", "null"])
        if kind == "invalid_utf8":
            raw = b'<tool_call>{"name": "finish", "arguments": {"answer": "\xff\xfe\xc0"}}'
            return kind, self.pick([raw, raw.decode("utf-8", "surrogateescape"), b"\x80" * 64])
        if kind == "surrogates":
            return kind, self.pick(
                [
                    ToolCall("finish", {"answer": "\ud800x\udfff"}).to_text(),
                    '<tool_call>{"name": "finish", "arguments": {"answer": "\\ud800"}}</tool_call>',
                    "\ud83d" * 100,
                    self._call(schemas, lambda _: "\udc80"),
                ]
            )
        if kind == "deep_json":
            return kind, nested(10_000, self.pick(["list", "object", "call"]))
        if kind == "wrong_types":
            if self.rng.random() < 0.4:
                return kind, self.pick(
                    [None, 7, 3.5, ["finish"], {"name": "finish"}, np.zeros(3), object()]
                )
            return kind, self._call(schemas, lambda _: self.pick(WRONG_VALUES))
        if kind == "nan_inf":
            if self.rng.random() < 0.3:
                return kind, self.pick([float("nan"), float("inf"), -float("inf")])
            value = self.pick(["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
            name = self.pick(schemas)["function"]["name"] if schemas else "finish"
            return (
                kind,
                f'<tool_call>{{"name": "{name}", "arguments": {{"x": {value}}}}}</tool_call>',
            )
        if kind == "unknown_tool":
            name = self.pick(["eval", "__import__", "os.system", "../finish", "", "🙂", "x" * 500])
            return kind, ToolCall(name, {"task": "run it"}).to_text()
        if kind == "parent":
            stack = runtime.stack
            target = stack[-2].agent.name if len(stack) > 1 else role
            return kind, ToolCall(target, {"task": "do my work for me"}).to_text()
        if kind == "quadratic":  # texts that backtrack in a careless action parser
            return kind, self.pick(
                [
                    "<tool_use><tool_name>x</tool_name><parameter>"
                    + "<a>" * 21_814
                    + "</parameter></tool_use>",
                    "<think>" * 9_362,
                    "<tool_call>" + "{" * 30_000,
                    "f(" + "a=" * 30_000,
                ]
            )
        if kind == "amplify" and any(s["function"]["name"] == "replace_in_file" for s in schemas):
            # a file grows 30x per call unless the file system bounds it
            paths = _PATH.findall(obs) or ["/etc/app/app.conf"]
            arguments = {"path": self.pick(paths), "old": "e", "new": "e" * 30}
            return kind, ToolCall("replace_in_file", arguments).to_text()
        if kind == "hostile_arguments":
            return kind, self._call(schemas, self._hostile_value)
        if kind == "valid" and schemas:
            return kind, random_call(self.rng, schemas, obs).to_text()
        return "oracle", oracle(obs, info)

    def _huge(self) -> Any:
        ten = 10 * MEGABYTE
        return self.pick(
            [
                "x" * ten,
                ToolCall("finish", {"answer": "y" * ten}).to_text(),
                "<tool_call>" * (ten // 11),
                "\ud800" * (ten // 4),
            ]
        )

    def _hostile_value(self, name: str) -> Any:
        lowered = name.lower()
        if any(k in lowered for k in ("path", "file", "source", "destination", "dir")):
            pool = "path"
        elif any(k in lowered for k in ("sql", "where", "table", "column", "transform")):
            pool = "sql"
        elif any(k in lowered for k in ("branch", "revision", "target", "files", "message")):
            pool = "git"
        elif any(k in lowered for k in ("pattern", "text", "regex")):
            pool = "regex"
        else:
            pool = "generic"
        value = self.pick(self._pools[pool])
        return [value] if lowered == "files" else value

    def _call(self, schemas: list[dict[str, Any]], value_for: Any) -> str:
        if not schemas:
            return ToolCall("finish", {"answer": value_for("answer")}).to_text()
        fn = self.pick(schemas)["function"]
        properties = list(fn["parameters"].get("properties", {})) or ["x"]
        arguments = {name: value_for(name) for name in properties}
        return (
            "<tool_call>"
            + json.dumps({"name": fn["name"], "arguments": arguments})
            + "</tool_call>"
        )


def _entry(path: Path) -> tuple[Any, ...]:
    stat = path.lstat()
    if path.is_symlink():
        return ("link", os.readlink(path))
    if path.is_dir():
        return ("dir",)
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    return ("file", stat.st_size, stat.st_mtime_ns, digest)


def tree(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry under ``root`` (symlinks not followed) with its kind, size, time, hash."""
    out: dict[str, tuple[Any, ...]] = {}
    if not root.exists():
        return out
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(folder, name)
            try:
                out[str(path.relative_to(root))] = _entry(path)
            except OSError:  # vanished while listing (another process's temp file)
                continue
    return out


def make_canary(root: Path) -> Path:
    """A host folder with files, a sub-folder and symlinks that actions aim at."""
    canary = root / "canary"
    (canary / "sub").mkdir(parents=True)
    (canary / "victim.txt").write_text("do not touch\n")
    (canary / "sub" / "notes.md").write_text("# notes\n")
    (root / "outside").mkdir()
    os.symlink("/etc", canary / "link-etc")
    os.symlink(root / "outside", canary / "link-out")
    return canary


@dataclass
class HostWatch:
    """What the host looks like before the actions, to compare with after them.

    Compares the canary folder (and the folder its ``link-out`` symlink points to)
    entry by entry, the private temp folder the benchmark's envs use, ``/dev/shm``,
    and searches the shared temp folder, the home and working folders for the token.
    """

    canary: Path
    token: str
    private_tmp: Path
    before: dict[str, Any] = field(default_factory=dict)

    def snapshot(self) -> dict[str, Any]:
        shm = Path("/dev/shm")
        return {
            "canary": tree(self.canary.parent),
            "private_tmp": tree(self.private_tmp),
            "dev_shm": sorted(p.name for p in shm.iterdir()) if shm.exists() else [],
        }

    def start(self) -> None:
        self.before = self.snapshot()

    def changes(self) -> dict[str, Any]:
        """What changed: canary entries, leftover temp entries, new /dev/shm names, token hits."""
        after = self.snapshot()
        canary_before, canary_after = self.before["canary"], after["canary"]
        changed = sorted(
            k
            for k in canary_before.keys() | canary_after.keys()
            if canary_before.get(k) != canary_after.get(k)
        )
        left = sorted(set(after["private_tmp"]) - set(self.before["private_tmp"]))
        shm_new = sorted(set(after["dev_shm"]) - set(self.before["dev_shm"]))
        hits = []
        for folder in {Path("/tmp"), Path.home(), Path.cwd(), Path("/dev/shm")}:
            try:
                hits += [str(p) for p in folder.iterdir() if self.token in p.name]
            except OSError:
                continue
        return {
            "canary_changed": changed,
            "private_tmp_left": left[:50],
            "private_tmp_left_count": len(left),
            "dev_shm_new": shm_new[:50],
            "dev_shm_new_with_token": [n for n in shm_new if self.token in n],
            "token_hits": sorted(hits),
        }
