"""The one episode builder: every view takes the same options and means the same by them."""

from __future__ import annotations

import pytest

import nexgym.pz
from nexgym.env import NexEnv
from nexgym.error import ConfigError, UnknownNameError
from nexgym.session import build_session, resolve_spec


def test_every_source_form_gives_the_same_spec(tmp_path) -> None:
    by_id = resolve_spec("nex/FileOps-v0")
    path = tmp_path / "FileOps.yaml"
    path.write_text(by_id.to_yaml())
    assert resolve_spec("FileOps") == by_id
    assert resolve_spec(path) == by_id
    assert resolve_spec(str(path)) == by_id
    assert resolve_spec(by_id.to_yaml()) == by_id
    assert resolve_spec(by_id.to_dict()) == by_id
    with pytest.raises(UnknownNameError, match="FileOpz"):
        resolve_spec("nex/FileOpz-v0")


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"max_turns": 0}, "max_turns"),
        ({"invalid_penalty": -1.0}, "invalid_penalty"),
        ({"task_seeds": []}, "task_seeds"),
        ({"backend": "inproc", "backend_options": {"timeout": 1}}, "backend_options"),
        ({"backend": "mcp", "backend_options": {"timeuot": 1}}, "backend_options"),
    ],
)
def test_bad_options_are_refused_alike_by_every_view(options, field) -> None:
    with pytest.raises(ConfigError, match=field):
        build_session("nex/FileOps-v0", **options)
    with pytest.raises(ConfigError, match=field):
        NexEnv("nex/FileOps-v0", **options)
    with pytest.raises(ConfigError, match=field):
        nexgym.pz.parallel_env("nex/FileOps-v0", **options)


def test_the_pettingzoo_views_take_backend_options() -> None:
    env = nexgym.pz.env("nex/FileSolo-v0", backend="mcp", backend_options={"timeout": 12.5})
    try:
        assert env.runtime.backend.name == "mcp"
        assert env.runtime.backend.timeout == 12.5
    finally:
        env.close()


def test_the_same_session_options_give_the_same_runtime_shape() -> None:
    session = build_session("nex/FileOps-v0", topology="hybrid", topology_params={"n": 2})
    env = NexEnv("nex/FileOps-v0", topology="hybrid", topology_params={"n": 2})
    par = nexgym.pz.parallel_env("nex/FileOps-v0", topology="hybrid", topology_params={"n": 2})
    assert session.hierarchy == env.hierarchy == par.episode.spec
    assert type(session.runtime) is type(env.runtime) is type(par.runtime)
