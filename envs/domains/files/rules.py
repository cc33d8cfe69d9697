"""The rules of the files domain's virtual file system: paths, folders and sizes.

A real file system answers "Not a directory" when a path runs through a file, reads
``//x`` as ``/x``, and has a length limit on names and paths and a size limit on
files and on the whole disk. These checks give the virtual one the same answers, as
tool errors, so that no action can make a path both a file and a folder nor make
one action cost unbounded time or memory (``replace_in_file`` multiplies a file's
size at each call).
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Mapping

from nexgym.error import ToolError

__all__ = [
    "MAX_FILES",
    "MAX_FILE_CHARS",
    "MAX_PATH_CHARS",
    "MAX_PATTERN_CHARS",
    "MAX_TOTAL_CHARS",
    "check_file_size",
    "check_parents",
    "glob_matcher",
    "normalize_path",
]

#: Longest path accepted (Linux's PATH_MAX).
MAX_PATH_CHARS = 4096
#: Longest glob pattern accepted: a pattern matches one file name, at most 255 long.
MAX_PATTERN_CHARS = 255
#: Largest file, in characters: four times the longest action, far above any task's.
MAX_FILE_CHARS = 262_144
#: Most characters in all files together (the disk's size).
MAX_TOTAL_CHARS = 8 * 1024 * 1024
#: Most files in the file system.
MAX_FILES = 10_000


def normalize_path(path: str) -> str:
    """An absolute path in its one normal form (``//a/./b/`` -> ``/a/b``).

    Raises:
        ToolError: when the path is relative or longer than ``MAX_PATH_CHARS``.
    """
    if not path.startswith("/"):
        raise ToolError(f"expected an absolute path starting with '/', got {path[:80]!r}")
    if len(path) > MAX_PATH_CHARS:
        raise ToolError(
            f"File name too long: expected a path of at most {MAX_PATH_CHARS:,} characters, "
            f"got {len(path):,}"
        )
    # POSIX leaves a leading '//' to the system (normpath keeps it); Linux reads '/'
    return "/" + posixpath.normpath(path).lstrip("/")


def check_parents(files: Mapping[str, str], path: str) -> None:
    """Refuse a normalized path that runs through a file, as a real file system does.

    Raises:
        ToolError: "Not a directory", naming the file on the way.
    """
    parent = posixpath.dirname(path)
    while parent != "/":
        if parent in files:
            raise ToolError(
                f"Not a directory: {parent} is a file, so {path} cannot be created; "
                f"expected a path whose folders are folders (list_dir {posixpath.dirname(parent)})"
            )
        parent = posixpath.dirname(parent)


def check_file_size(files: Mapping[str, str], path: str, size: int) -> None:
    """Refuse to make the file at ``path`` ``size`` characters long past the limits.

    Raises:
        ToolError: naming the limit the change would pass; nothing is changed.
    """
    if size > MAX_FILE_CHARS:
        raise ToolError(
            f"File too large: {path} would have {size:,} characters; "
            f"expected at most {MAX_FILE_CHARS:,} per file, write less text"
        )
    if path not in files and len(files) >= MAX_FILES:
        raise ToolError(
            f"No space left: the file system holds at most {MAX_FILES:,} files; "
            "delete some before creating more"
        )
    total = sum(map(len, files.values())) - len(files.get(path, "")) + size
    if total > MAX_TOTAL_CHARS:
        raise ToolError(
            f"No space left: the files would hold {total:,} characters; expected at most "
            f"{MAX_TOTAL_CHARS:,} in all, delete or shorten files first"
        )


def glob_matcher(pattern: str) -> Callable[[str], bool]:
    """A test of file names against a glob pattern of bounded length.

    The pattern is compiled here rather than by :func:`fnmatch.fnmatch`, whose cache
    keeps up to 32,768 compiled patterns of any length (hundreds of MiB for long ones);
    :func:`re.compile`'s cache holds a few hundred, each bounded by the length limit.

    Raises:
        ToolError: when the pattern is longer than ``MAX_PATTERN_CHARS``.
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ToolError(
            f"expected a glob pattern of at most {MAX_PATTERN_CHARS} characters "
            f"(it matches one file name), got {len(pattern):,}; use e.g. '*.log'"
        )
    match = re.compile(fnmatch.translate(pattern)).match
    return lambda name: match(name) is not None
