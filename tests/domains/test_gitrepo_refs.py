"""The gitrepo domain's branch-name check agrees with ``git check-ref-format --branch``."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from nexgym.envs.domains.gitrepo.refs import branch_name_problem

NAMES = [
    *("HEAD", "-x", "@", "", "a b", "a~b", "a^", "a:b", "a?", "a*", "a[b", "a\\b", "a\x01"),
    *("a\x7f", "a..b", "a@{b", "a//b", "/a", "a/", "a.", ".a", "a/.b", "a.lock", "a/b.lock/c"),
    *("feature/x", "fix-1", "v1.0", "a@b", "@{", "héllo", "a.lock.b", "HEAD/x", "x/HEAD"),
    *("refs/heads/x", "a/./b", "..", "a.b.", "lock", ".lock", "main"),
]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_branch_names_are_judged_as_git_judges_them():
    for name in NAMES:
        done = subprocess.run(
            ["git", "check-ref-format", "--branch", name], capture_output=True, check=False
        )
        problem = branch_name_problem(name)
        assert (problem is None) == (done.returncode == 0), (name, problem)
