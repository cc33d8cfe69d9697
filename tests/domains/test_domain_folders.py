"""Domain folders: the old flat module names still import, as the moved modules themselves."""

from __future__ import annotations

import importlib
import inspect

import pytest
from nexgym.envs.domains import DOMAINS, domain_class

#: the domain folders with a ``tasks.py`` (the world and its task generator)
WITH_TASKS = (
    "calendar",
    "email",
    "finance",
    "home",
    "inventory",
    "research",
    "sqldata",
    "support",
    "travel",
)
#: old flat module -> its home since the domains became folders over a shared kit
MOVED = {
    "base": "kit.base",
    "draws": "kit.draws",
    "names": "kit.names",
    "sqlbudget": "kit.sqlbudget",
    "sqlworld": "kit.sqlworld",
    "taskgen": "kit.taskgen",
    "tool_server": "kit.tool_server",
    "filerules": "files.rules",
    "gitrepo_folders": "gitrepo.folders",
    "gitrepo_refs": "gitrepo.refs",
    "gitrepo_tasks": "gitrepo.tasks",
    "gitrepo_world": "gitrepo.world",
    "gitstore": "gitrepo.store",
    "webresearch_site": "webresearch.site",
    **{f"{name}_tasks": f"{name}.tasks" for name in WITH_TASKS},
}
#: the built-in domains' "folder:Class" targets (compiled worlds name a dotted module)
FOLDER_TARGETS = {t for t in DOMAINS.values() if isinstance(t, str) and "." not in t}
FOLDERS = sorted({t.split(":")[0] for t in FOLDER_TARGETS})


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_module_name_is_the_moved_module(old: str) -> None:
    before = importlib.import_module(f"nexgym.envs.domains.{old}")
    after = importlib.import_module(f"nexgym.envs.domains.{MOVED[old]}")
    assert before is after


def test_every_domain_folder_is_listed() -> None:
    others = ["clock", "composite", "files", "gitrepo", "webresearch"]
    assert sorted([*WITH_TASKS, *others]) == FOLDERS


@pytest.mark.parametrize("folder", FOLDERS)
def test_a_folder_exports_what_its_domain_module_defines(folder: str) -> None:
    """``package:name`` references (a NexAU tool binding) written before the move resolve."""
    package = importlib.import_module(f"nexgym.envs.domains.{folder}")
    module = importlib.import_module(f"nexgym.envs.domains.{folder}.domain")
    defined = [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    ]
    assert defined
    assert [n for n in defined if getattr(package, n, None) is not getattr(module, n)] == []
    assert sorted(package.__all__) == sorted(set(package.__all__))


@pytest.mark.parametrize("name", sorted(n for n, t in DOMAINS.items() if t in FOLDER_TARGETS))
def test_built_in_domains_resolve_from_their_folders(name: str) -> None:
    cls = domain_class(name)
    assert cls.__module__ == f"nexgym.envs.domains.{DOMAINS[name]}".split(":")[0] + ".domain"
