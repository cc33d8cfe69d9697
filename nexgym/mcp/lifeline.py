"""The client's lifeline: servers are started so that they end when this process dies.

A server is normally ended by ``close()``, by a finalizer, or by end-of-file on its
stdin. None of these helps when this process is SIGKILLed while its server is
stopped (SIGSTOP) or hung: nothing in the server runs to notice. So every server
starts through :mod:`nexgym.mcp.watchdog`, whose watchdog process reads a pipe
whose write end this process holds (made once per process and closed on exec, so
no program it starts holds it; a child forked without exec shares it until it exits)
and kills the server's process group when the kernel closes that end, i.e. when
this process dies, however it dies.

Where ``fork`` is missing (Windows) servers start as they are.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["WATCHDOG", "guarded_command", "lifeline_fd"]

#: The watchdog script, run by path so that it imports nothing but the standard library.
WATCHDOG = str(Path(__file__).with_name("watchdog.py"))
_lifeline: tuple[int, int, int] | None = None  # (owner pid, read end, write end)


def lifeline_fd() -> int | None:
    """The read end of this process's lifeline pipe (None where servers are not guarded).

    A process forked from this one makes its own: it must not lean on its parent's life.
    """
    global _lifeline
    if not hasattr(os, "fork"):
        return None
    if _lifeline is None or _lifeline[0] != os.getpid():
        read_end, write_end = os.pipe()  # both close on exec: no child inherits the write end
        _lifeline = (os.getpid(), read_end, write_end)
    return _lifeline[1]


def guarded_command(command: str, args: list[str]) -> tuple[list[str], tuple[int, ...]]:
    """``(argv, fds to pass)`` that start ``command args`` under the watchdog."""
    fd = lifeline_fd()
    if fd is None:
        return [command, *args], ()
    # -I -S: no user site, no environment variables, no site-packages: a fast start
    return [sys.executable, "-I", "-S", WATCHDOG, str(fd), command, *args], (fd,)
