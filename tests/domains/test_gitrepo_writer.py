"""The gitrepo domain writes its repositories in Python: git must read them as its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from nexgym.envs.domains.gitrepo import ISOLATED_CONFIG, remove_tree, scratch_dir
from nexgym.envs.domains.gitrepo.store import History, init_repository, stored
from nexgym.envs.domains.gitrepo.tasks import build_repository

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git command")


def _git(path: Path | str, *args: str, stdin: bytes | None = None) -> str:
    done = subprocess.run(
        ["git", "-C", str(path), *args],
        input=stdin,
        capture_output=True,
        env={**os.environ, **ISOLATED_CONFIG},
        check=True,
    )
    return done.stdout.decode()


def _fast_import_stream() -> bytes:
    """The history of :func:`_history` as a ``git fast-import`` stream."""
    chunks, mark = [], 0
    tips: dict[str, int] = {}
    for branch, files, message, author, day, parent in _COMMITS:
        blobs = {}
        for name, text in files.items():
            mark += 1
            blobs[name] = mark
            data = text.encode()
            chunks.append(b"blob\nmark :%d\ndata %d\n%s\n" % (mark, len(data), data))
        mark += 1
        email = author.lower().replace(" ", ".") + "@example.com"
        stamp = f"{author} <{email}> {1709287200 + (day - 1) * 86400} +0000"
        note = (message + "\n").encode()
        head = f"commit refs/heads/{branch}\nmark :{mark}\nauthor {stamp}\ncommitter {stamp}\n"
        body = head.encode() + b"data %d\n" % len(note) + note
        if parent is not None:
            body += b"from :%d\n" % tips[parent]
        body += b"".join(b"M 100644 :%d %s\n" % (m, n.encode()) for n, m in blobs.items())
        chunks.append(body + b"\n")
        tips[message] = mark
    return b"".join(chunks)


#: (branch, files, message, author, day, parent commit's message or None)
_COMMITS = (
    ("main", {"README.md": "# demo\n", "src/a/b.py": "x = 1\n"}, "Start", "Ada Lo", 1, None),
    ("main", {"docs/setup.md": "Run it.\n", "big.txt": "z" * 70_000}, "Docs", "Bo Li", 2, None),
    ("main", {"src/a.py": "y = 2\n", "mid.txt": "w" * 3000}, "More", "Bo Li", 2, None),
    ("main", {"src/a/b.py": "x = 3\n", "src-old.txt": ""}, "Tune", "Ada Lo", 3, None),
    ("topic", {"notes.txt": "idea\n"}, "Idea", "Cy Ng", 4, "Docs"),
)


def _history() -> tuple[History, dict[str, int]]:
    history, marks = History(), {}
    for branch, files, message, author, day, parent in _COMMITS:
        marks[message] = history.commit(
            branch, dict(files), message, author, day, marks[parent] if parent else None
        )
    history.tag("v1", marks["Docs"])
    return history, marks


def test_commit_ids_are_those_git_fast_import_gives(tmp_path: Path) -> None:
    """Trees with nested folders, names that sort around "/", an empty file, a branch."""
    history, marks = _history()
    ours = tmp_path / "ours"
    ids = history.write(str(ours), "main", {"README.md": "# edited\n", "new.txt": "n\n"})
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    _git(theirs, "init", "-q", "-b", "main")
    _git(theirs, "fast-import", "--quiet", stdin=_fast_import_stream())
    for branch in ("main", "topic"):
        assert _git(ours, "rev-parse", branch) == _git(theirs, "rev-parse", branch)
    assert _git(ours, "rev-parse", "v1").strip() == ids[marks["Docs"]]
    assert _git(ours, "fsck", "--strict", "--no-dangling") == ""
    # checked out as "git reset --hard" would, with the edits on top
    assert _git(ours, "status", "--porcelain") == " M README.md\n?? new.txt\n"
    assert _git(ours, "diff", "--stat").strip().startswith("README.md | 2 +-")
    assert (ours / "src" / "a" / "b.py").read_text() == "x = 3\n"
    # git works on it: stage, commit and switch branches
    _git(ours, "add", "README.md")
    _git(ours, "-c", "user.name=T", "-c", "user.email=t@x", "commit", "-q", "-m", "Edit")
    _git(ours, "checkout", "-q", "topic")
    assert (ours / "notes.txt").read_text() == "idea\n"


def test_seeded_repositories_are_clean_git_and_reproducible(tmp_path: Path) -> None:
    for seed in range(3):
        a, b = tmp_path / f"a{seed}", tmp_path / f"b{seed}"
        facts = build_repository(str(a), np.random.default_rng(seed))
        assert build_repository(str(b), np.random.default_rng(seed)) == facts
        assert _git(a, "fsck", "--strict", "--no-dangling") == ""
        assert _git(a, "log", "--format=%H", "main").split() == [
            c["sha"] for c in reversed(facts["commits"])
        ]
        assert _git(a, "status", "--porcelain").splitlines() == [
            " M config/app.ini",
            " M src/app.py",
            "?? notes.txt",
        ]
        remove_tree(a)
        assert not a.exists()


def test_an_initialised_folder_is_an_empty_repository_to_git(tmp_path: Path) -> None:
    init_repository(str(tmp_path), "trunk")
    assert _git(tmp_path, "rev-parse", "--is-inside-work-tree").strip() == "true"
    assert _git(tmp_path, "symbolic-ref", "HEAD").strip() == "refs/heads/trunk"
    assert _git(tmp_path, "status", "--porcelain") == ""
    (tmp_path / "a.txt").write_text("hello\n")
    _git(tmp_path, "add", "a.txt")
    identity = ("-c", "user.name=T", "-c", "user.email=t@example.com")
    _git(tmp_path, *identity, "commit", "-q", "-m", "first")  # git's own first commit on it
    assert _git(tmp_path, "log", "--format=%s").strip() == "first"
    _git(tmp_path, "fsck", "--strict")


@pytest.mark.parametrize("size", [0, 1, 70_000, 200_000])
def test_stored_zlib_streams_inflate(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    assert zlib.decompress(stored(data)) == data


def test_scratch_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXGYM_TMPDIR", "/some/where")
    assert scratch_dir() == "/some/where"
    monkeypatch.delenv("NEXGYM_TMPDIR")
    chosen = scratch_dir()
    assert chosen is None or os.access(chosen, os.W_OK)


@pytest.mark.parametrize("with_rm", [True, False])
def test_old_repositories_are_deleted(with_rm: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond the kept ones, worlds leave at once: in batches by ``rm``, or inline."""
    from nexgym.envs.domains.gitrepo import KEEP_WORLDS, GitRepoDomain
    from nexgym.envs.domains.gitrepo import folders as gitrepo_folders

    if not with_rm:
        monkeypatch.setattr(gitrepo_folders, "RM", None)
    monkeypatch.setattr(gitrepo_folders, "DELETE_BATCH", 4)
    domain = GitRepoDomain()
    paths = [domain.generate_task(seed, 1).world.path for seed in range(KEEP_WORLDS + 10)]
    root = domain.root
    listed = {p.name for p in root.iterdir()} - {".git"}
    kept = {Path(p).name for p in paths[-KEEP_WORLDS:]}
    assert {n for n in listed if not n.startswith(".deleting")} == kept
    assert all(Path(p).is_dir() for p in paths[-KEEP_WORLDS:])
    assert not any(Path(p).exists() for p in paths[:-KEEP_WORLDS])
    domain._trash.wait()  # the batches started are gone once their rm is done
    batches = [p for p in root.iterdir() if p.name.startswith(".deleting")]
    assert len(batches) <= 1 and (not with_rm or len(list(batches[0].iterdir())) == 2)
    domain.close()
    assert not root.exists()
