"""The layers of the design card, enforced over the import graph of the installed package.

Every import of a ``nexgym`` module (at module level or inside a function; imports under
``if TYPE_CHECKING:`` are type hints, not dependencies) must point to the same layer or
a lower one, and the graph of modules must have no cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: installed package -> folder in the repository
PACKAGES = {
    "nexgym": ROOT / "nexgym",
    "nexgym.envs": ROOT / "envs",
    "nexgym.wrappers": ROOT / "wrappers",
}

#: Bottom up. A module belongs to the layer of its longest matching prefix.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core contracts", ("nexgym.error", "nexgym.tools")),
    ("domains", ("nexgym.envs",)),
    # the topology registry names runtimes as strings: it imports nothing above the spec
    ("spec", ("nexgym.spec", "nexgym.serverspec", "nexgym.topology.registry")),
    ("runtime", ("nexgym.runtime",)),
    # a spec's own MCP servers become a domain when the spec is prepared for a view
    ("topologies and MCP bridge", ("nexgym.topology", "nexgym.mcp", "nexgym.mcpdomain")),
    (
        "views",
        (
            "nexgym.env",
            "nexgym.pz",
            "nexgym.vector",
            "nexgym.registry",
            "nexgym.catalog",
            "nexgym.spaces",
            "nexgym.session",
            "nexgym.remote.client",
            "nexgym.remote.codec",
            "nexgym.teammates",
        ),
    ),
    # noise profiles are what the noise wrappers replay (grounding fits them from logs);
    # episode records are what the recording wrapper writes
    (
        "wrappers and policies",
        (
            "nexgym.wrappers",
            "nexgym.policies",
            # loading and running a model: what an HF policy does (training reuses it)
            "nexgym.training.checkpoints",
            "nexgym.training.generation",
            "nexgym.training.vllm_engine",
            "nexgym.grounding.profile",
            "nexgym.grounding.records",
            "nexgym.grounding.trajectories",
        ),
    ),
    (
        "applications",
        (
            "nexgym",
            "nexgym.metrics",
            "nexgym.grounding",
            "nexgym.rollout",
            "nexgym.distributed",
            "nexgym.synth",
            "nexgym.training",
            "nexgym.nexau",
            "nexgym.remote",
            "nexgym.cli",
        ),
    ),
]


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = [p for p in path.relative_to(folder).with_suffix("").parts if p != "__init__"]
            found[".".join([package, *parts])] = path
    return found


def layer_of(module: str) -> int:
    best, length = -1, -1
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = rank, len(prefix)
    return best


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """Every node below ``node``, without the bodies of ``if TYPE_CHECKING:`` blocks.

    A module's ``__getattr__`` (PEP 562) that forwards a moved name to its new home is a
    deprecated alias for old code, not a dependency of the module: it is left out too.
    """
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef) and child.name == "__getattr__":
            continue
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            for other in child.orelse:
                yield other
                yield from _walk(other)
            continue
        yield child
        yield from _walk(child)


def _imports(tree: ast.AST) -> Iterator[str]:
    for node in _walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def graph() -> dict[str, set[str]]:
    known = modules()

    def resolve(name: str) -> str:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name

    edges: dict[str, set[str]] = {}
    for module, path in known.items():
        targets = {
            resolve(n) for n in _imports(ast.parse(path.read_text())) if n.startswith("nexgym")
        }
        edges[module] = {t for t in targets if t and t != module}
    return edges


def test_every_module_has_a_layer() -> None:
    assert [m for m in modules() if layer_of(m) < 0] == []


def test_no_import_from_a_lower_layer_to_a_higher_one() -> None:
    upward = [
        f"{m} ({LAYERS[layer_of(m)][0]}) imports {t} ({LAYERS[layer_of(t)][0]})"
        for m, targets in sorted(graph().items())
        for t in sorted(targets)
        if layer_of(t) > layer_of(m)
    ]
    assert upward == []


def test_no_import_cycles() -> None:
    edges = graph()
    # a package's __init__ re-exports its modules: an edge from a module to its own package
    # is the module's import of a sibling through the package, not a cycle of design
    edges = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in edges.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert cycles == []


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("nexgym.envs.domains.files", "domains"),
        ("nexgym.envs.domains.kit.base", "domains"),
        ("nexgym.runtime.parsing", "runtime"),
    ],
)
def test_layer_map_examples(module: str, layer: str) -> None:
    assert LAYERS[layer_of(module)][0] == layer
