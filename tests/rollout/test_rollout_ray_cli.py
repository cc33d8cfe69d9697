"""``nexgym rollout --backend ray``: the local backend's output files, through the CLI.

The Ray runs share one local Ray instance (``num_cpus=2``, started once for the
module: Ray's start-up is most of their cost); the CLI uses an instance already
running in its process as it is. How ``--workers`` and ``--ray-address`` reach
:func:`~nexgym.distributed.rollout_ray` is checked with a stand-in, without Ray.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest

from nexgym.cli.main import main
from nexgym.cli.rollout import resolve_backends
from nexgym.distributed import ray_session
from nexgym.error import ConfigError, UnknownNameError
from nexgym.grounding.trajectories import read_records

needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="ray is not installed (nexgym[dist])"
)

RUN = ["rollout", "nex/FileOps-v0", "nex/FileSolo-v0", "--policy", "oracle,random"]
RUN += ["--seed", "3", "--max-turns", "8", "--noise", "realistic", "--quiet"]
#: Timings differ between runs; everything else must be equal.
TIMING_FIELDS = {"wall_seconds"}


@pytest.fixture(scope="module")
def ray_instance() -> Any:
    ray = pytest.importorskip("ray")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    if started:
        ray.shutdown()


def _records(out_dir: Path) -> list[dict[str, Any]]:
    return [r.model_dump(exclude=TIMING_FIELDS) for r in read_records(out_dir)]


def _table(text: str) -> list[list[str]]:
    """The summary rows without their last column (episodes per second)."""
    return [line.split()[:-1] for line in text.splitlines() if line.startswith("nex/")]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main([*RUN, *argv]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


@needs_ray
@pytest.mark.usefixtures("ray_instance")
def test_ray_writes_the_local_runs_files_and_table(tmp_path, capsys):
    local_out = _run(capsys, "--episodes", "3", "--out", str(tmp_path / "local"))
    ray_argv = ["--episodes", "3", "--out", str(tmp_path / "ray"), "--backend", "ray"]
    ray_out = _run(capsys, *ray_argv, "--format", "parquet")
    local = _records(tmp_path / "local")
    assert len(local) == 12 and {r["success"] for r in local} == {True, False}
    assert {r["noise"]["name"] for r in local} == {"realistic"}
    assert _records(tmp_path / "ray") == local  # same episodes, order and records
    assert _table(ray_out) == _table(local_out) and len(_table(local_out)) == 4
    assert "12 episodes written" in ray_out and "Parquet:" in ray_out
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(tmp_path / "ray" / "trajectories.parquet")
    assert table.column("key").to_pylist() == [r["key"] for r in local]


@needs_ray
@pytest.mark.usefixtures("ray_instance")
def test_ray_resumes_and_writes_only_success_like_local(tmp_path, capsys):
    out = str(tmp_path / "ray")
    _run(capsys, "--episodes", "3", "--out", str(tmp_path / "local"), "--only-success")
    _run(capsys, "--episodes", "2", "--out", out, "--only-success", "--backend", "ray")
    resumed = _run(
        capsys, "--episodes", "3", "--out", out, "--only-success", "--resume", "--backend", "ray"
    )
    assert "8 done before (resumed)" in resumed
    local = _records(tmp_path / "local")
    remote = _records(tmp_path / "ray")
    assert local and all(r["success"] for r in local)
    assert sorted(remote, key=lambda r: r["key"]) == sorted(local, key=lambda r: r["key"])
    assert main([*RUN, "--episodes", "3", "--out", out, "--resume", "--backend", "ray"]) == 0
    assert "No episodes left to play." in capsys.readouterr().out


@needs_ray
@pytest.mark.usefixtures("ray_instance")
def test_ray_with_mcp_tools_equals_the_older_backend_mcp_spelling(tmp_path, capsys):
    argv = ["rollout", "nex/FileSolo-v0", "--episodes", "2", "--quiet"]
    assert main([*argv, "--backend", "mcp", "--out", str(tmp_path / "local")]) == 0
    assert main([*argv, "--backend", "ray", "--tools", "mcp", "--out", str(tmp_path / "ray")]) == 0
    capsys.readouterr()
    local = _records(tmp_path / "local")
    assert [r["backend"] for r in local] == ["mcp", "mcp"]
    assert _records(tmp_path / "ray") == local


@pytest.mark.parametrize(
    ("backend", "tools", "expected"),
    [
        ("local", None, ("local", "inproc")),
        ("ray", None, ("ray", "inproc")),
        ("ray", "mcp", ("ray", "mcp")),
        ("inproc", None, ("local", "inproc")),  # the older spelling of --tools
        ("mcp", None, ("local", "mcp")),
        ("mcp", "mcp", ("local", "mcp")),
    ],
)
def test_backend_and_tools_resolve(backend, tools, expected):
    assert resolve_backends(backend, tools) == expected


def test_conflicting_or_unknown_backends_name_the_fix():
    with pytest.raises(ConfigError, match="--backend local --tools inproc"):
        resolve_backends("mcp", "inproc")
    with pytest.raises(UnknownNameError, match="Did you mean 'ray'"):
        resolve_backends("rey", None)


class _Calls:
    """Stand-ins for the two rollout functions, recording what the CLI passes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.local: list[dict[str, Any]] = []
        self.ray: list[dict[str, Any]] = []
        monkeypatch.setattr("nexgym.rollout.rollout", self._local)
        monkeypatch.setattr("nexgym.distributed.rollout_ray", self._ray)
        # --backend ray checks that ray imports; any module will do here
        monkeypatch.setitem(sys.modules, "ray", types.ModuleType("ray"))

    def _local(self, *args: Any, **kwargs: Any) -> list[Any]:
        self.local.append(kwargs)
        return []

    def _ray(self, *args: Any, **kwargs: Any) -> list[Any]:
        self.ray.append(kwargs)
        return []


@pytest.fixture
def listening_port() -> Any:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


@pytest.mark.parametrize(
    ("flags", "where", "tools"),
    [
        ([], "local", "inproc"),
        (["--backend", "inproc"], "local", "inproc"),
        (["--backend", "mcp"], "local", "mcp"),
        (["--tools", "mcp"], "local", "mcp"),
        (["--backend", "ray", "--tools", "mcp"], "ray", "mcp"),
    ],
)
def test_flags_choose_where_episodes_and_tools_run(monkeypatch, capsys, flags, where, tools):
    calls = _Calls(monkeypatch)
    assert main(["rollout", "nex/FileSolo-v0", "--episodes", "1", "--quiet", *flags]) == 0
    (kwargs,) = calls.local if where == "local" else calls.ray
    assert kwargs["env_kwargs"]["backend"] == tools
    assert not (calls.ray if where == "local" else calls.local)


def test_workers_and_address_reach_ray(monkeypatch, capsys, listening_port):
    calls = _Calls(monkeypatch)
    argv = ["rollout", "nex/FileSolo-v0", "--episodes", "1", "--backend", "ray", "--quiet"]
    assert main([*argv, "--workers", "2"]) == 0
    address = f"127.0.0.1:{listening_port}"
    assert main([*argv, "--workers", "3", "--ray-address", address]) == 0
    assert main(argv) == 0
    picked = [(c["address"], c["num_cpus"], c["max_in_flight"]) for c in calls.ray]
    assert picked == [(None, 2, None), (address, None, 3), (None, None, None)]


def test_bad_ray_input_exits_2_with_the_fix(monkeypatch, capsys):
    argv = ["rollout", "nex/FileSolo-v0", "--episodes", "1", "--quiet"]
    assert main([*argv, "--backend", "rey"]) == 2
    assert "Did you mean 'ray'" in capsys.readouterr().err
    assert main([*argv, "--ray-address", "auto"]) == 2
    assert "expected --backend ray with --ray-address" in capsys.readouterr().err
    assert main([*argv, "--backend", "mcp", "--tools", "inproc"]) == 2
    assert "--backend local --tools inproc" in capsys.readouterr().err

    monkeypatch.setitem(sys.modules, "ray", types.ModuleType("ray"))
    with socket.create_server(("127.0.0.1", 0)) as server:
        closed = server.getsockname()[1]
    started = time.monotonic()
    assert main([*argv, "--backend", "ray", "--ray-address", f"127.0.0.1:{closed}"]) == 2
    assert time.monotonic() - started < 10  # ray.init would retry for minutes
    assert "expected a Ray cluster at '127.0.0.1:" in capsys.readouterr().err
    assert main([*argv, "--backend", "ray", "--ray-address", "head-node"]) == 2
    assert "expected a Ray address like auto, host:6379" in capsys.readouterr().err

    monkeypatch.setitem(sys.modules, "ray", None)  # what an install without ray sees
    assert main([*argv, "--backend", "ray"]) == 2
    err = capsys.readouterr().err
    assert 'pip install "nexgym[dist]"' in err and "Traceback" not in err


def test_a_cluster_ray_cannot_find_is_a_config_error(monkeypatch):
    def init(**kwargs: Any) -> None:
        raise ConnectionError("Could not find any running Ray instance.")

    fake = types.SimpleNamespace(is_initialized=lambda: False, init=init)
    monkeypatch.setitem(sys.modules, "ray", fake)
    with (
        pytest.raises(ConfigError, match="running Ray cluster for address 'auto'"),
        ray_session("auto"),
    ):
        pass
