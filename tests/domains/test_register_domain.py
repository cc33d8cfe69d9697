"""register_domain: the one way a domain enters, built-in or not."""

from __future__ import annotations

import pytest
from nexgym.envs.domains import DOMAINS, domain_class, register_domain
from nexgym.envs.domains.files import FilesDomain

import nexgym
from nexgym.error import ConfigError
from nexgym.policies import OraclePolicy
from nexgym.spec import HierarchySpec


def _spec(domain: str) -> HierarchySpec:
    tools = [t.name for t in FilesDomain.tools]
    return HierarchySpec.model_validate(
        {
            "name": "Solo",
            "domain": domain,
            "topology": "single",
            "root": "engineer",
            "agents": [{"name": "engineer", "role": "You edit files.", "tools": tools}],
        }
    )


@pytest.fixture
def restore_registry():
    before = dict(DOMAINS)
    yield
    DOMAINS.clear()
    DOMAINS.update(before)
    domain_class.cache_clear()


def test_built_in_domains_enter_through_register_domain():
    assert {"files", "gitrepo", "support_finance"} <= set(DOMAINS)
    assert domain_class("files") is FilesDomain


@pytest.mark.parametrize("target", [FilesDomain, "nexgym.envs.domains.files:FilesDomain"])
def test_a_registered_domain_is_accepted_by_specs_and_envs(restore_registry, target):
    with pytest.raises(ValueError, match="unknown domain 'my_files'"):
        _spec("my_files")
    register_domain("my_files", target)
    assert domain_class("my_files") is FilesDomain
    env = nexgym.make_env(_spec("my_files"))
    obs, info = env.reset(seed=3)
    policy = OraclePolicy(env)
    for _ in range(50):
        obs, _reward, terminated, truncated, info = env.step(policy(obs, info))
        if terminated or truncated:
            break
    assert info["success"] is True
    env.close()


def test_register_domain_refuses_bad_input(restore_registry):
    with pytest.raises(ConfigError, match="registered already"):
        register_domain("files", "nexgym.envs.domains.inventory:InventoryDomain")
    with pytest.raises(ConfigError, match="Domain subclass"):
        register_domain("odd", int)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="module:Class"):
        register_domain("odd", "no_colon_here")
    with pytest.raises(ConfigError, match="domain name"):
        register_domain("bad name!", FilesDomain)
    register_domain("files", "nexgym.envs.domains.inventory:InventoryDomain", replace=True)
    assert domain_class("files").__name__ == "InventoryDomain"
