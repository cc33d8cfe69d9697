"""A domain served as a real MCP server over stdio: tools, schemas, control tools, the CLI."""

from __future__ import annotations

import json
import sys

import pytest

pytest.importorskip("mcp")

from nexgym.envs.domains import get_domain

from nexgym.mcp.connection import ServerConnection, ServerSpec
from nexgym.mcp.server import CONTROL_PREFIX, JSON_META_KEY, WORLD_META_KEY, load_domain

pytestmark = pytest.mark.mcp


@pytest.fixture(scope="module")
def files_server():
    conn = ServerConnection(
        ServerSpec("files", sys.executable, ("-m", "nexgym.mcp.server", "files"))
    )
    yield conn
    conn.close()


def call(conn, name, arguments, meta=None):
    return conn.call(name, arguments, timeout=20, meta=meta)


def text(result):
    return "\n".join(item.text for item in result.content)


def test_lists_every_domain_tool_with_its_json_schema(files_server):
    domain = get_domain("files")
    listed = {t.name: t for t in files_server.tools}
    for tool in domain.tools:
        assert listed[tool.name].input_schema == tool.parameters
        assert listed[tool.name].description == tool.description
    controls = {n for n in listed if n.startswith(CONTROL_PREFIX)}
    assert controls == {
        f"{CONTROL_PREFIX}{n}" for n in ("reset", "verify", "invariants", "fork", "select")
    }
    assert listed[f"{CONTROL_PREFIX}reset"].input_schema["required"] == ["seed"]


def test_reset_regenerates_the_same_task_and_tools_act_on_it(files_server):
    domain = get_domain("files")
    task = domain.generate_task(7, 2)
    reply = call(files_server, f"{CONTROL_PREFIX}reset", {"seed": 7, "difficulty": 2})
    assert not reply.is_error
    assert json.loads(text(reply))["instruction"] == task.instruction
    listing = call(files_server, "list_dir", {"path": "/"})
    assert listing.meta[JSON_META_KEY] is True
    assert json.loads(text(listing)) == domain.tool("list_dir")(task.world, path="/")
    # Running the oracle plan on the server solves the task there.
    for step in task.plans[0]:
        assert not call(files_server, step.name, step.arguments).is_error
    verdict = json.loads(
        text(call(files_server, f"{CONTROL_PREFIX}verify", {"answer": task.answer}))
    )
    assert verdict["solved"] is True and verdict["score"] == 1.0


def test_domain_errors_come_back_as_is_error_results(files_server):
    call(files_server, f"{CONTROL_PREFIX}reset", {"seed": 1})
    missing = call(files_server, "read_file", {"path": "/no/such/file"})
    assert missing.is_error and "no such file" in text(missing)
    bad_args = call(files_server, "read_file", {"path": 3, "extra": 1})
    assert bad_args.is_error and "invalid arguments for read_file" in text(bad_args)
    unknown = call(files_server, "rm_rf", {})
    assert unknown.is_error and "unknown tool" in text(unknown)
    bad_world = call(files_server, "list_dir", {"path": "/"}, meta={WORLD_META_KEY: 5})
    assert bad_world.is_error and "world index" in text(bad_world)


def test_forked_worlds_are_independent(files_server):
    call(files_server, f"{CONTROL_PREFIX}reset", {"seed": 2})
    assert not call(files_server, f"{CONTROL_PREFIX}fork", {"n": 2}).is_error
    wrote = call(
        files_server, "write_file", {"path": "/only_in_1.txt", "content": "x"}, {WORLD_META_KEY: 1}
    )
    assert not wrote.is_error
    in_1 = call(files_server, "read_file", {"path": "/only_in_1.txt"}, {WORLD_META_KEY: 1})
    in_0 = call(files_server, "read_file", {"path": "/only_in_1.txt"})
    assert text(in_1) == "x" and in_0.is_error
    call(files_server, f"{CONTROL_PREFIX}select", {"index": 1})
    assert text(call(files_server, "read_file", {"path": "/only_in_1.txt"})) == "x"


def test_cli_serve_mcp_loads_a_task_at_start_up():
    conn = ServerConnection(
        ServerSpec(
            "cli",
            sys.executable,
            ("-m", "nexgym.cli.main", "serve-mcp", "nex/FileSolo-v0", "--seed", "3"),
        )
    )
    try:
        task = get_domain("files").generate_task(3, 1)
        listing = call(conn, "list_dir", {"path": "/"})
        assert not listing.is_error
        assert json.loads(text(listing)) == get_domain("files").tool("list_dir")(task.world)
    finally:
        conn.close()
    assert not conn.alive


def test_call_before_reset_says_how_to_load_a_task():
    from nexgym.mcp.server import DomainServerState

    state = DomainServerState(get_domain("files"))
    with pytest.raises(Exception, match="_nexgym_reset"):
        state.call("list_dir", {"path": "/"}, 0)


def test_load_domain_accepts_module_class_and_names_unknown_ones():
    assert load_domain("nexgym.envs.domains.files:FilesDomain").name == "files"
    with pytest.raises(KeyError, match="unknown domain"):
        load_domain("no_such_module:Thing")
