"""Start a server that ends when the process that started it dies, whatever its state.

Run as a script (``python -I -S watchdog.py FD COMMAND ARGS...``, standard library
only, so it starts in milliseconds): it forks a watchdog, then replaces itself with
``COMMAND ARGS`` (``exec``), so the server keeps this process's pid, its process
group and its stdio pipes. The watchdog blocks reading ``FD``, the read end of a
pipe whose write end only the client process holds (see
:mod:`nexgym.mcp.lifeline`). When the client dies, even by SIGKILL, the kernel
closes that end, the read returns end-of-file, and the watchdog SIGKILLs the
server's process group: the server (SIGKILL ends a stopped process too), whatever it
started, and itself. The watchdog dies with the server otherwise (Linux's
parent-death signal), and holds none of the server's pipes, so a server that exits
is seen to exit at once.
"""

from __future__ import annotations

import os
import signal
import sys

#: ``prctl`` option: the signal a process gets when its parent thread exits (Linux).
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Ask for SIGKILL when the parent (the server) exits; a no-op where unsupported."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the watchdog then ends with the client, or at the group kill


def watch(lifeline: int, server: int) -> None:
    """Wait for end-of-file on ``lifeline``, then kill the server's process group."""
    null = os.open(os.devnull, os.O_RDWR)
    for std in (0, 1, 2):  # hold none of the server's pipes
        os.dup2(null, std)
    os.close(null)
    _die_with_parent()
    if os.getppid() != server:  # the server exited before the parent-death signal was set
        os._exit(0)
    while True:
        try:
            if not os.read(lifeline, 1):
                break
        except OSError:
            break
    os.killpg(os.getpgid(0), signal.SIGKILL)
    os._exit(0)


def main(argv: list[str]) -> None:
    """``FD COMMAND ARGS...``: fork the watchdog, then exec the server."""
    if len(argv) < 3:
        sys.exit("usage: watchdog.py FD COMMAND [ARGS...]")
    lifeline, command = int(argv[1]), argv[2:]
    server = os.getpid()
    if os.fork() == 0:
        watch(lifeline, server)
    os.close(lifeline)  # the server itself has no use for it
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv)
