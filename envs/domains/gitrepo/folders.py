"""Where the gitrepo domain keeps its repositories: a scratch folder per instance, deleted fast.

Each domain instance makes a folder (in memory-backed ``/dev/shm`` where it is
writable, see :func:`scratch_dir`) named with the owner's process id; old worlds
in it are deleted in batches by a background ``rm`` (:class:`Trash`), the folder by a
finalizer, and the folders of processes that died without running one (SIGKILL) by
the next instance on the machine (:func:`remove_stale_roots`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "MEMORY_TMP",
    "ROOT_PREFIX",
    "Trash",
    "delete_root",
    "remove_stale_roots",
    "remove_tree",
    "scratch_dir",
]


#: A memory-backed folder: making and deleting a repository's files there is several
#: times faster than on a disk (see :func:`scratch_dir`).
MEMORY_TMP = "/dev/shm"


def scratch_dir() -> str | None:
    """The folder repositories are made in.

    ``$NEXGYM_TMPDIR`` if set, else :data:`MEMORY_TMP` where it is a writable folder (as
    on Linux), else None: the system's temporary folder.
    """
    chosen = os.environ.get("NEXGYM_TMPDIR")
    if chosen:
        return chosen
    if os.path.isdir(MEMORY_TMP) and os.access(MEMORY_TMP, os.W_OK | os.X_OK):
        return MEMORY_TMP
    return None


def remove_tree(path: str | Path, made: Sequence[str] = ()) -> None:
    """Delete a folder and everything in it (symbolic links are removed, not followed).

    ``made`` lists what was made in it, relative to it: files, then folders (ending in
    "/") deepest first. Those are removed by name, without listing folders (a file
    system call per folder saved); a folder that still holds more is walked.
    What ``shutil.rmtree(path, ignore_errors=True)`` does, in half the time for a small
    repository even without ``made`` (it opens every folder to guard against links
    swapped in meanwhile, which cannot happen to a world's folder); any error other
    than a missing file or a folder not empty hands over to it.
    """
    root = f"{path}/"
    try:
        for name in made:
            target = root + name
            try:
                if name.endswith("/"):
                    os.rmdir(target)
                else:
                    os.unlink(target)
            except FileNotFoundError:
                continue
            except OSError:  # a folder that holds more than was made: walk it
                _walk_remove(target)
        _walk_remove(path)
    except FileNotFoundError:
        return
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


def _walk_remove(path: str | Path) -> None:
    with os.scandir(path) as listing:
        entries = list(listing)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            _walk_remove(entry.path)
        else:
            os.unlink(entry.path)
    os.rmdir(path)


#: Old repositories are set aside and deleted this many at a time by one ``rm -rf``.
DELETE_BATCH = 32
#: The ``rm`` command, if this system has one (else old repositories are deleted inline).
RM = shutil.which("rm")


class Trash:
    """Folders set aside (renamed into ``root``), deleted in batches by a background ``rm``.

    Deleting a repository takes a file system call per file and folder, most of what
    replacing one costs; one ``rm -rf`` process per :data:`DELETE_BATCH` repositories does
    those calls beside the caller's work. Where there is no ``rm``, or a rename or a
    start fails, the folder is deleted at once as before.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.batch: Path | None = None
        self.size = 0
        self.serial = 0
        self.running: list[subprocess.Popen[bytes]] = []

    def discard(self, path: Path, made: Sequence[str] = ()) -> None:
        """Delete ``path`` (soon, in a batch; or now)."""
        if RM is None:
            remove_tree(path, made)
            return
        try:
            if self.batch is None:
                self.serial += 1
                self.batch = self.root / f".deleting{self.serial}"
                self.batch.mkdir()
            os.rename(path, self.batch / path.name)
        except OSError:
            remove_tree(path, made)
            return
        self.size += 1
        if self.size >= DELETE_BATCH:
            self.flush()

    def flush(self) -> None:
        """Start deleting the current batch."""
        batch, self.batch, self.size = self.batch, None, 0
        if batch is None:
            return
        self.running = [p for p in self.running if p.poll() is None]
        try:
            self.running.append(
                subprocess.Popen(
                    [str(RM), "-rf", "--", str(batch)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        except OSError:
            remove_tree(batch)

    def wait(self) -> None:
        """Wait for the deletions under way."""
        for process in self.running:
            process.wait()
        self.running = []


#: A domain instance's folder is named ``<ROOT_PREFIX><owner pid>-<random>``.
ROOT_PREFIX = "nexgym-gitrepo-"
_ROOT_NAME = re.compile(re.escape(ROOT_PREFIX) + r"(\d+)-")


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def remove_stale_roots(folder: str | None) -> list[Path]:
    """Delete the domain folders in ``folder`` whose owner process no longer exists.

    A process killed with SIGKILL runs no finalizer, so its repositories stay behind;
    the next domain instance on the machine deletes them. Only folders named with an
    owner pid (:data:`ROOT_PREFIX`) are touched, and only when that pid is gone (a
    reused pid keeps a folder a while longer, never the other way round).

    Returns:
        The folders deleted.
    """
    base = Path(folder if folder is not None else tempfile.gettempdir())
    removed: list[Path] = []
    try:
        names = os.listdir(base)
    except OSError:
        return removed
    for name in names:
        match = _ROOT_NAME.match(name)
        if match is None or int(match.group(1)) == os.getpid():
            continue
        if not _process_exists(int(match.group(1))):
            shutil.rmtree(base / name, ignore_errors=True)
            removed.append(base / name)
    return removed


def delete_root(root: Path, trash: Trash) -> None:
    """The finalizer of a domain instance's folder: its deletions done, then the folder."""
    trash.wait()
    shutil.rmtree(root, ignore_errors=True)
