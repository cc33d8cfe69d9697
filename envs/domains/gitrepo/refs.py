"""Branch names as git accepts them (``git check-ref-format --branch``), checked in Python.

GitPython's ``create_head`` writes whatever name it is given, so ``mcp-server-git``
creates a branch named ``HEAD`` (or ``a..b``, ``x.lock``) that git itself refuses to
make and then misreads. The gitrepo domain checks a new branch's name first, on both
backends, with git's rules (``refs.c``, ``check_refname_format``, plus the two that
``--branch`` adds: not ``HEAD``, not starting with ``-``).
"""

from __future__ import annotations

__all__ = ["branch_name_problem"]

#: Characters git refuses anywhere in a ref name (besides control characters).
_FORBIDDEN = frozenset(" ~^:?*[\\\x7f")


def branch_name_problem(name: str) -> str | None:
    """Why git refuses ``name`` as a new branch's name, or None if it accepts it."""
    if not name:
        return "it is empty"
    if name == "HEAD":
        return "HEAD names the current commit, not a branch"
    if name.startswith("-"):
        return "it starts with '-'"
    bad = next((c for c in name if c in _FORBIDDEN or ord(c) < 0x20), None)
    if bad is not None:
        return f"it contains {bad!r}"
    for part, why in (("..", "'..'"), ("@{", "'@{'"), ("//", "'//'")):
        if part in name:
            return f"it contains {why}"
    if name.startswith("/") or name.endswith("/"):
        return "it starts or ends with '/'"
    if name.endswith("."):
        return "it ends with '.'"
    for component in name.split("/"):
        if component.startswith("."):
            return f"its part {component!r} starts with '.'"
        if component.endswith(".lock"):
            return f"its part {component!r} ends with '.lock'"
    return None
