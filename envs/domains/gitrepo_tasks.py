"""Repositories and goals of the gitrepo domain (see :mod:`nexgym.envs.domains.gitrepo`).

A repository is built from the seed with fixed authors and dates, written in Python as
git stores one (a pack of its objects, packed refs, an index and the work tree; commit
ids are those ``git fast-import`` gives, as tests check): a few files, where running
git took three processes and a hundred times longer. Goals that change the repository
come first (commit one edited file, create a branch, switch branches) and questions
about its history last; every goal uses parts of the repository the others leave
alone, so any mix of them stays right.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from collections.abc import Callable, Mapping
from itertools import accumulate
from typing import TYPE_CHECKING, Any

import numpy as np
from nexgym.envs.domains.base import Goal, Task, answer_has, compose_task
from nexgym.envs.domains.gitrepo import GitWorld, git
from nexgym.envs.domains.names import FIRST_NAMES, LAST_NAMES
from nexgym.envs.domains.taskgen import call, integer, pick, sample

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


#: git's object type numbers in a pack.
_COMMIT, _TREE, _BLOB = 1, 2, 3
_MASK32 = 0xFFFFFFFF


def _object(kind: bytes, data: bytes) -> bytes:
    """The binary id of a git object (its SHA-1 over the header and the content)."""
    return hashlib.sha1(b"%s %d\0%s" % (kind, len(data), data)).digest()


class _History:
    """A repository's history, written as git stores it: one pack, packed refs, an index.

    Objects are hashed in Python, byte for byte as ``git fast-import`` writes them (so
    commit ids are those git gives), and stored in one pack file with its index: two
    files where git itself would write dozens, as writing files is what building a
    repository costs. Branches and tags go to ``packed-refs``.
    """

    def __init__(self) -> None:
        self.objects: dict[bytes, tuple[int, bytes]] = {}  # id -> (type, content), in order
        self.commits: list[bytes] = []  # ids; a commit's "mark" is its position + 1
        self.trees: list[dict[str, bytes]] = []  # each commit's files: path -> blob id
        self.refs: dict[str, bytes] = {}  # full ref name -> commit id
        self.trees_made: dict[tuple[tuple[str, bytes], ...], bytes] = {}  # contents -> id
        #: what :meth:`write` made, as ``remove_tree`` takes it
        self.made: list[str] = []

    def _add(self, kind: int, name: bytes, data: bytes) -> bytes:
        key = _object(name, data)
        self.objects.setdefault(key, (kind, data))
        return key

    def _tree(self, files: Mapping[str, bytes]) -> bytes:
        """Store the tree of ``files`` (path -> blob id) and its subtrees; returns its id."""
        contents = tuple(sorted(files.items()))
        made = self.trees_made.get(contents)
        if made is None:
            made = self.trees_made[contents] = self._new_tree(files)
        return made

    def _new_tree(self, files: Mapping[str, bytes]) -> bytes:
        here: dict[str, bytes] = {}
        below: dict[str, dict[str, bytes]] = {}
        for path, blob in files.items():
            head, _, rest = path.partition("/")
            if rest:
                below.setdefault(head, {})[rest] = blob
            else:
                here[head] = blob
        entries = [(name.encode(), b"100644", blob) for name, blob in here.items()]
        entries += [
            (name.encode() + b"/", b"40000", self._tree(sub)) for name, sub in below.items()
        ]
        entries.sort()  # git orders a directory as its name followed by "/"
        data = b"".join(
            b"%s %s\0%s" % (mode, name.rstrip(b"/"), key) for name, mode, key in entries
        )
        return self._add(_TREE, b"tree", data)

    def commit(
        self,
        branch: str,
        files: dict[str, str],
        message: str,
        author: str,
        day: int,
        parent: int | None = None,
    ) -> int:
        """Add a commit on ``branch`` (after its tip, or after mark ``parent``); its mark."""
        ref = f"refs/heads/{branch}"
        if parent is not None:
            base: bytes | None = self.commits[parent - 1]
        else:
            base = self.refs.get(ref)
        tree = dict(self.trees[self.commits.index(base)]) if base is not None else {}
        for name, text in files.items():
            tree[name] = self._add(_BLOB, b"blob", text.encode("utf-8"))
        email = author.lower().replace(" ", ".") + "@example.com"
        stamp = f"{author} <{email}> {1709287200 + (day - 1) * 86400} +0000"  # 2024-03-01 10:00
        lines = [f"tree {self._tree(tree).hex()}"]
        if base is not None:
            lines.append(f"parent {base.hex()}")
        lines += [f"author {stamp}", f"committer {stamp}", "", message, ""]
        key = self._add(_COMMIT, b"commit", "\n".join(lines).encode("utf-8"))
        self.commits.append(key)
        self.trees.append(tree)
        self.refs[ref] = key
        return len(self.commits)

    def tag(self, name: str, mark: int) -> None:
        """A lightweight tag at mark ``mark``."""
        self.refs[f"refs/tags/{name}"] = self.commits[mark - 1]

    def write(self, path: str, branch: str, edits: Mapping[str, str]) -> dict[int, str]:
        """Write the repository at ``path`` with ``branch`` checked out and ``edits`` made.

        ``edits`` maps paths to the text the work tree holds instead of the checked-out
        one (uncommitted edits) or besides it (untracked files). Returns mark -> commit id.
        """
        tip = self.trees[self.commits.index(self.refs[f"refs/heads/{branch}"])]
        work = {file: self.objects[blob][1] for file, blob in tip.items()}
        work.update((file, text.encode("utf-8")) for file, text in edits.items())
        root = path + "/"
        for folder in _GIT_FOLDERS:  # no refs/heads, refs/tags: refs go to packed-refs
            os.mkdir(root + folder)
        work_folders = sorted(  # every folder holding a file, and the folders above them
            {f[:i] for f in work for i, c in enumerate(f) if c == "/"}
        )
        for folder in work_folders:  # a folder comes after the folders above it
            os.mkdir(root + folder)
        work_folders.reverse()  # deepest first, to be removed
        pack, index, checksum = _pack(self.objects)
        pack_name = f".git/objects/pack/pack-{checksum.hex()}"
        refs = "".join(f"{key.hex()} {ref}\n" for ref, key in sorted(self.refs.items()))
        files = {
            f"{pack_name}.pack": pack,
            f"{pack_name}.idx": index,
            ".git/packed-refs": _PACKED_REFS + refs.encode(),
            ".git/HEAD": f"ref: refs/heads/{branch}\n".encode(),
            ".git/config": _GIT_CONFIG,
            **work,
        }
        # checked-out files' stat data goes to the index; an edited file's entry has none:
        # git then compares its content and sees the edit
        clean = tip.keys() - edits.keys()
        stats = {file: _write(root + file, data, file in clean) for file, data in files.items()}
        entries = [(file.encode("utf-8"), blob, stats[file]) for file, blob in sorted(tip.items())]
        _write(root + ".git/index", _index(entries))
        folders = [f"{folder}/" for folder in (*work_folders, *_GIT_FOLDERS[:0:-1])]
        self.made = [*files, ".git/index", *folders]
        return {mark: key.hex() for mark, key in enumerate(self.commits, 1)}


#: The repository's folders, made in this order: the work tree, then git's.
_GIT_FOLDERS = ("", ".git", ".git/objects", ".git/objects/pack", ".git/refs")


def _write(path: str, data: bytes, stat: bool = False) -> os.stat_result | None:
    """Create a file holding ``data``; its stat data if ``stat``.

    Plain ``os`` calls: the ``open`` stack costs more than the writing.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, data)
        return os.fstat(fd) if stat else None
    finally:
        os.close(fd)


_PACKED_REFS = b"# pack-refs with: peeled fully-peeled sorted \n"
#: ``.git/config`` as ``git init`` writes it for a work tree.
_GIT_CONFIG = (
    b"[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
    b"\tlogallrefupdates = true\n"
)


def _pack(objects: Mapping[bytes, tuple[int, bytes]]) -> tuple[bytes, bytes, bytes]:
    """A version 2 pack of whole (undeltified) objects, its version 2 index, its checksum."""
    parts = [b"PACK" + struct.pack(">II", 2, len(objects))]
    offset, table = 12, []
    for key, (kind, data) in objects.items():
        size = len(data)
        if size < 0x800:  # most objects: a header of one or two bytes, one stored block
            header = (
                bytes((kind << 4 | size,))
                if size < 0x10
                else bytes((kind << 4 | size & 0x0F | 0x80, size >> 4))
            )
            body = b"%s%s%s%s" % (
                _ONE_BLOCK,
                _LENGTHS.pack(size, size ^ 0xFFFF),
                data,
                _ADLER.pack(zlib.adler32(data)),
            )
            entry = header + (body if size else _stored(data))
        else:
            entry = _header(kind, size) + _stored(data)
        table.append((key, zlib.crc32(entry), offset))
        parts.append(entry)
        offset += len(entry)
    pack = b"".join(parts)
    checksum = hashlib.sha1(pack).digest()
    table.sort()
    counts = [0] * 256
    for key, _, _ in table:
        counts[key[0]] += 1
    fanout = list(accumulate(counts))  # objects whose first byte is at most i
    n = len(table)
    index = b"".join(
        (
            b"\xfftOc" + struct.pack(">I", 2),
            struct.pack(">256I", *fanout),
            *(key for key, _, _ in table),
            struct.pack(f">{n}I", *(crc for _, crc, _ in table)),
            struct.pack(f">{n}I", *(at for _, _, at in table)),
            checksum,
        )
    )
    return pack + checksum, index + hashlib.sha1(index).digest(), checksum


def _header(kind: int, size: int) -> bytes:
    """A packed object's header: its type, then its size 4 bits and 7 at a time."""
    header, byte = bytearray(), kind << 4 | size & 0x0F
    size >>= 4
    while size:  # the high bit is set while more bytes follow
        header.append(byte | 0x80)
        byte, size = size & 0x7F, size >> 7
    header.append(byte)
    return bytes(header)


#: zlib's header (deflate, no preset dictionary) and a final stored block's first byte.
_ONE_BLOCK = b"\x78\x01\x01"
_LENGTHS = struct.Struct("<HH")
_ADLER = struct.Struct(">I")


def _stored(data: bytes) -> bytes:
    """``data`` as a zlib stream of stored (uncompressed) blocks.

    Valid zlib that git inflates like any other, made without deflate, whose set-up
    alone costs more than a small object's whole write (the objects are small).
    """
    blocks = [b"\x78\x01"]  # deflate, no preset dictionary, header check
    for start in range(0, len(data), 0xFFFF):
        chunk = data[start : start + 0xFFFF]
        last = start + 0xFFFF >= len(data)
        blocks.append(struct.pack("<BHH", last, len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    if not data:
        blocks.append(b"\x01\x00\x00\xff\xff")  # one empty final block
    blocks.append(struct.pack(">I", zlib.adler32(data)))
    return b"".join(blocks)


def _index(entries: list[tuple[bytes, bytes, os.stat_result | None]]) -> bytes:
    """A version 2 index (``.git/index``) of files: (path, blob id, stat or None), by path."""
    parts = [b"DIRC" + struct.pack(">II", 2, len(entries))]
    for path, blob, st in entries:
        if st is None:  # unknown: zeros, which never match a file's stat
            fields = (0, 0, 0, 0, 0, 0, 0o100644, 0, 0, 0)
        else:
            fields = (
                st.st_ctime_ns // 10**9 & _MASK32,
                st.st_ctime_ns % 10**9,
                st.st_mtime_ns // 10**9 & _MASK32,
                st.st_mtime_ns % 10**9,
                st.st_dev & _MASK32,
                st.st_ino & _MASK32,
                0o100644,
                st.st_uid & _MASK32,
                st.st_gid & _MASK32,
                st.st_size & _MASK32,
            )
        entry = struct.pack(">10I", *fields) + blob + struct.pack(">H", min(len(path), 0xFFF))
        parts.append(entry + path + b"\0" * (8 - (len(entry) + len(path)) % 8))
    data = b"".join(parts)
    return data + hashlib.sha1(data).digest()


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
    history = _History()
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
