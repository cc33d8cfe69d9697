"""A real ``nexgym serve-env`` process on a free loopback port, per test module."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

ENV_ID = "nex/FileOps-v0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def start_server(*extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "nexgym.cli.main", "serve-env", ENV_ID, "--port", str(port)]
    process = subprocess.Popen([*command, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def up() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            return httpx.get(f"{url}/v1/health", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    assert wait_until(up), "the server did not come up in 30 s"
    return process, url


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The URL of a server with small bounds (4 sessions, 1.5 s idle, 256 KiB requests)."""
    process, url = start_server(
        "--max-sessions", "4", "--idle-timeout", "1.5", "--max-request-bytes", "262144"
    )
    try:
        yield url
    finally:
        stop_server(process)


def health(url: str) -> dict[str, int]:
    answer: dict[str, int] = httpx.get(f"{url}/v1/health", timeout=5.0).json()
    return answer
