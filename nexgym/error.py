"""One exception hierarchy for every user-facing error in nexgym.

Every message reads "expected X, got Y" and says how to fix it. Invalid *actions*
never raise: they become observations (see :mod:`nexgym.runtime.parsing`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class NexgymError(Exception):
    """Base class of every error nexgym raises on purpose."""


class SpecError(NexgymError, ValueError):
    """A hierarchy spec (YAML or dict) is malformed or inconsistent.

    Attributes:
        problems: one line per problem, each starting with the path of the bad field.
    """

    def __init__(self, problems: list[str] | str, *, source: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        where = f" in {source}" if source else ""
        body = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid hierarchy spec{where}:\n{body}")


class UnknownNameError(NexgymError, KeyError):
    """A name (env id, domain, tool, policy) that does not exist."""

    def __init__(self, kind: str, name: str, known: Iterable[str], *, hint: str = "") -> None:
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        suggestion = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        listing = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        self.name = name
        self.suggestions = close
        msg = (
            f"unknown {kind} {name!r}.{suggestion} Known: {listing}.{(' ' + hint) if hint else ''}"
        )
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class ToolError(NexgymError):
    """Raised by a domain tool for a domain-level failure ("no such file").

    The runtime turns it into an error observation for the agent; it never leaves `step`.
    """


class ArgumentError(ToolError):
    """Tool arguments that do not match the tool's JSON schema."""


class ConfigError(NexgymError, ValueError):
    """A bad keyword argument or option to an env, wrapper, policy or command."""


class BackendError(NexgymError):
    """A tool backend (for example an MCP server process) failed to start or answer."""


class MissingDependencyError(NexgymError, ImportError):
    """An optional dependency is not installed."""

    def __init__(self, package: str, extra: str, what: str) -> None:
        super().__init__(
            f"{what} needs the optional package {package!r}, which is not installed. "
            f'Install it with: pip install "nexgym[{extra}]"'
        )


def require(module: str, extra: str, what: str):
    """Import an optional module or raise :class:`MissingDependencyError`.

    Args:
        module: dotted module name to import.
        extra: the nexgym extra that installs it.
        what: the feature that needs it, for the message.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingDependencyError(module.split(".")[0], extra, what) from e
