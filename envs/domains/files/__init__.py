"""A virtual file system with code and config edits.

This folder holds the tools and the Domain class in :mod:`.domain`, the file system's rules in
:mod:`.rules`; their public names are importable from the package too.
"""

from __future__ import annotations

from nexgym.envs.domains.files.domain import (
    FUNCS,
    MAX_LINE_CHARS,
    MAX_RESULTS,
    MODULES,
    SERVICES,
    SETTINGS,
    FilesDomain,
    FileWorld,
    delete_file,
    file_info,
    find_files,
    list_dir,
    make_dir,
    move_file,
    read_file,
    replace_in_file,
    search_files,
    write_file,
)
from nexgym.envs.domains.files.rules import (
    check_file_size,
    check_parents,
    glob_matcher,
    normalize_path,
)

__all__ = [
    "FUNCS",
    "MAX_LINE_CHARS",
    "MAX_RESULTS",
    "MODULES",
    "SERVICES",
    "SETTINGS",
    "FileWorld",
    "FilesDomain",
    "check_file_size",
    "check_parents",
    "delete_file",
    "file_info",
    "find_files",
    "glob_matcher",
    "list_dir",
    "make_dir",
    "move_file",
    "normalize_path",
    "read_file",
    "replace_in_file",
    "search_files",
    "write_file",
]
