"""A server never outlives the process that owns it, even stopped; its folders go too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytest.importorskip("mcp")

from nexgym.envs.domains.gitrepo import GitRepoDomain, remove_stale_roots

pytestmark = [
    pytest.mark.mcp,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="the watchdog needs fork"),
]

OWNER = """
import sys
import gymnasium as gym
import nexgym

env = gym.make("nex/GitSolo-v0", backend="mcp")
env.reset(seed=0)
runtime = env.unwrapped.runtime
print(runtime.backend.pid, runtime.domain.root, flush=True)
sys.stdin.read()  # hold the env until killed
"""


def _status_becomes(pid: int, status: str, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while psutil.Process(pid).status() != status:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def test_a_stopped_server_dies_with_its_killed_owner_and_its_folder_is_cleaned():
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert owner.stdout is not None
        pid_text, root_text = owner.stdout.readline().split()
        server, root = int(pid_text), Path(root_text)
        watchdogs = [p.pid for p in psutil.Process(server).children()]
        assert watchdogs and root.is_dir()
        os.kill(server, signal.SIGSTOP)
        assert _status_becomes(server, psutil.STATUS_STOPPED)
        owner.kill()
        owner.wait(timeout=30)
    finally:
        owner.kill()
        owner.wait()
    assert _gone(server), "the stopped server outlived its owner"
    assert all(_gone(pid) for pid in watchdogs)
    assert root.is_dir()  # no finalizer ran in the killed owner...
    domain = GitRepoDomain()
    try:
        assert domain.root.is_dir() and domain.root != root
        assert not root.exists()  # ...the next start removed its folder
    finally:
        domain.close()


def test_folders_of_live_processes_are_kept(tmp_path):
    mine = tmp_path / f"nexgym-gitrepo-{os.getpid()}-abc"
    parent = tmp_path / f"nexgym-gitrepo-{os.getppid()}-abc"
    other = tmp_path / "nexgym-gitrepo-old-style"
    for folder in (mine, parent, other):
        folder.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"nexgym-gitrepo-{dead.pid}-xyz"
    (stale / "w1").mkdir(parents=True)
    assert remove_stale_roots(str(tmp_path)) == [stale]
    assert mine.is_dir() and parent.is_dir() and other.is_dir() and not stale.exists()
