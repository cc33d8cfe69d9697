"""The files domain's virtual file system answers as a real one, and within bounds.

Regression tests of a fault audit: a path through a file ("Not a directory"), ``//``
paths, long glob patterns (slow, and a cache that grew without bound) and
``replace_in_file`` multiplying a file's size at each call.
"""

from __future__ import annotations

import contextlib
import copy
import tracemalloc
from typing import Any

import gymnasium as gym
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nexgym.envs.domains import get_domain
from nexgym.envs.domains.files import MAX_LINE_CHARS, FileWorld
from nexgym.envs.domains.files.rules import (
    MAX_FILE_CHARS,
    MAX_PATH_CHARS,
    MAX_PATTERN_CHARS,
    MAX_TOTAL_CHARS,
)

from nexgym.error import ToolError
from nexgym.tools import ToolCall

DOMAIN = get_domain("files")


def world() -> FileWorld:
    return copy.deepcopy(DOMAIN.generate_task(0, 2).world)


def call(world: FileWorld, name: str, **arguments: Any) -> Any:
    return DOMAIN.tool(name)(world, **arguments)


def a_config(world: FileWorld) -> str:
    return next(p for p in sorted(world.files) if p.startswith("/etc/app/"))


# -- a path through a file is not a directory -------------------------------------------


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("write_file", {"path": "{conf}/child.txt", "content": "x"}),
        ("write_file", {"path": "{conf}/deeper/child.txt", "content": "x"}),
        ("make_dir", {"path": "{conf}/sub"}),
        ("move_file", {"source": "/var/log/README.txt", "destination": "{conf}/child.txt"}),
        ("move_file", {"source": "/var/log/README.txt", "destination": "{conf}/"}),
    ],
)
def test_a_path_through_a_file_is_not_a_directory(name: str, arguments: dict[str, str]) -> None:
    fs = world()
    conf = a_config(fs)
    before = copy.deepcopy(fs)
    arguments = {key: value.format(conf=conf) for key, value in arguments.items()}
    with pytest.raises(ToolError, match=f"Not a directory: {conf} is a file"):
        call(fs, name, **arguments)
    assert (fs.files, fs.dirs) == (before.files, before.dirs)
    assert DOMAIN.check_invariants(fs) == []


def test_a_file_cannot_move_onto_a_folder() -> None:
    fs = world()
    call(fs, "write_file", path="/a/a", content="t")
    with pytest.raises(ToolError, match="Is a directory: /a"):
        call(fs, "move_file", source="/a/a", destination="/")  # to /a, the folder
    assert fs.files["/a/a"] == "t" and DOMAIN.check_invariants(fs) == []


def test_double_slashes_read_as_one() -> None:
    fs = world()
    assert call(fs, "list_dir", path="//") == call(fs, "list_dir", path="/")
    assert call(fs, "write_file", path="//x", content="text") == "wrote 4 characters to /x"
    assert (
        call(fs, "write_file", path="///tmp//y.txt", content="")
        == "wrote 0 characters to /tmp/y.txt"
    )
    assert "/x" in fs.files and "//x" not in fs.files and "//" not in fs.dirs
    assert call(fs, "find_files", pattern="x") == ["/x"]
    assert call(fs, "read_file", path="//tmp/./y.txt") == ""
    assert DOMAIN.check_invariants(fs) == []


_SEGMENTS = st.sampled_from(["", "a", "b.txt", "..", ".", "etc", "app"])
_PATHS = st.lists(_SEGMENTS, min_size=1, max_size=5).map(lambda parts: "/" + "/".join(parts))
_CALLS = st.one_of(
    st.tuples(
        st.just("write_file"), st.fixed_dictionaries({"path": _PATHS, "content": st.just("t")})
    ),
    st.tuples(st.just("make_dir"), st.fixed_dictionaries({"path": _PATHS})),
    st.tuples(st.just("delete_file"), st.fixed_dictionaries({"path": _PATHS})),
    st.tuples(
        st.just("move_file"), st.fixed_dictionaries({"source": _PATHS, "destination": _PATHS})
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_CALLS, max_size=12))
def test_no_sequence_of_calls_breaks_the_invariants(calls: list[tuple[str, dict]]) -> None:
    fs = FileWorld()
    fs.add("/etc/app/web.conf", "port = 1\n")
    for name, arguments in calls:
        with contextlib.suppress(ToolError):
            call(fs, name, **arguments)
        assert DOMAIN.check_invariants(fs) == []
        assert all("//" not in d for d in fs.dirs)


@pytest.mark.parametrize("backend", ["inproc", "mcp"])
def test_every_backend_answers_not_a_directory(backend: str) -> None:
    env = gym.make("nex/FileSolo-v0", backend=backend)
    try:
        env.reset(seed=0)
        steps = [
            ToolCall("write_file", {"path": "//tmp//a.txt", "content": "x"}),
            ToolCall("write_file", {"path": "/tmp/a.txt/child.txt", "content": "y"}),
            ToolCall("find_files", {"pattern": "*.txt", "path": "/tmp"}),
        ]
        observations = [env.step(step.to_text())[0] for step in steps]
    finally:
        env.close()
    assert "wrote 1 characters to /tmp/a.txt" in observations[0]
    assert "Error: Not a directory: /tmp/a.txt is a file" in observations[1]
    assert '["/tmp/a.txt"]' in observations[2]


# -- bounded patterns, paths, files and results -----------------------------------------


def test_long_glob_patterns_are_refused_and_not_cached() -> None:
    fs = world()
    with pytest.raises(ToolError, match=f"at most {MAX_PATTERN_CHARS} characters"):
        call(fs, "find_files", pattern="*" * 56_000)
    assert call(fs, "find_files", pattern="*" * MAX_PATTERN_CHARS) == call(
        fs, "find_files", pattern="*"
    )
    tracemalloc.start()
    try:
        for index in range(300):  # different patterns of the longest length allowed
            call(fs, "find_files", pattern=f"{index:04d}" + "[ab]*" * 50)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 16 * 1024 * 1024, f"{held / 2**20:.1f} MiB held after 300 patterns"


def test_a_path_longer_than_path_max_is_refused() -> None:
    with pytest.raises(ToolError, match=f"at most {MAX_PATH_CHARS:,} characters"):
        call(world(), "write_file", path="/" + "a" * MAX_PATH_CHARS, content="")


def test_replace_in_file_cannot_grow_a_file_past_the_limit() -> None:
    fs = world()
    call(fs, "write_file", path="/big.txt", content="e" * 60_000)
    with pytest.raises(
        ToolError, match=f"File too large: /big.txt would have 1,800,000 .*{MAX_FILE_CHARS:,}"
    ):
        call(fs, "replace_in_file", path="/big.txt", old="e", new="e" * 30)
    assert fs.files["/big.txt"] == "e" * 60_000
    call(fs, "replace_in_file", path="/big.txt", old="e", new="ee")  # 120,000: allowed
    assert len(fs.files["/big.txt"]) == 120_000


def test_writes_are_bounded_per_file_and_in_all() -> None:
    fs = world()
    with pytest.raises(ToolError, match="File too large"):
        call(fs, "write_file", path="/big.txt", content="x" * (MAX_FILE_CHARS + 1))
    call(fs, "write_file", path="/big.txt", content="x" * MAX_FILE_CHARS)
    with pytest.raises(ToolError, match=f"No space left: .* at most {MAX_TOTAL_CHARS:,}"):
        for index in range(MAX_TOTAL_CHARS // MAX_FILE_CHARS + 1):
            call(fs, "write_file", path=f"/fill/{index}.txt", content="x" * MAX_FILE_CHARS)
    assert sum(map(len, fs.files.values())) <= MAX_TOTAL_CHARS
    call(fs, "write_file", path="/big.txt", content="smaller")  # overwriting frees space


def test_search_shows_long_lines_shortened() -> None:
    fs = world()
    call(fs, "write_file", path="/long.txt", content="needle " + "x" * 10_000)
    (hit,) = call(fs, "search_files", text="needle", path="/")
    assert len(hit["text"]) == MAX_LINE_CHARS and hit["text"].endswith("...")
