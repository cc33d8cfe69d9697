"""NexAU agent configs in and out: :func:`load` a config tree as a spec, :func:`dump` one back.

NexAU (the Nex ecosystem's agent runtime) describes an agent in a YAML file and its
sub-agents and tools in files that one references::

    type: agent
    name: trip_planner
    system_prompt: ./prompts/planner.md      # or inline text
    system_prompt_type: file
    max_iterations: 12
    llm_config: {temperature: 0.2}
    tools:
      - name: check_budget
        yaml_path: ./tools/check_budget.tool.yaml
        binding: my_package.tools:check_budget
    sub_agents:
      - name: flights
        config_path: ./flights.yaml

How the fields map (``spec = nexgym.nexau.load("trip_planner.yaml")``):

* ``system_prompt`` (text, or files for ``file``/``jinja``) -> the agent's ``role``;
  ``description`` -> ``description``; ``max_iterations`` -> ``max_turns``.
* ``tools[].name`` (else the tool file's ``name``) -> a tool of the spec's domain. The
  domain is the ``domain=`` argument, else ``global_storage.nexgym.domain`` of the main
  file, else the registered domain with the fewest tools that has every tool named.
* ``sub_agents[].config_path`` -> the sub-agent (read depth first; an entry's ``name``
  overrides the file's); NexAU's names become snake_case.
* NexAU calls sub-agents through one ``Agent`` tool, so a loaded spec has
  ``subagent_call: agent_tool`` unless the file says otherwise.
* ``mcp_servers``: when no agent lists a tool (or ``domain="mcp"``), the tree's tools
  are its servers' and the spec is a bring-your-own-server spec (``domain: mcp``,
  ``spec.mcp_servers``, each server offered to the agents that declare it; see
  :mod:`nexgym.mcpdomain`). Beside a domain's tools they are kept as metadata.
* Every field with no meaning in an env (``llm_config``, hooks, ``max_context_tokens``,
  ...) is kept in ``spec.metadata["nexau"]`` and listed in the notes of
  :func:`load_report`; :func:`dump` writes them back.
* What only nexgym reads (the spec's name, domain, topology, limits, call form,
  metadata) goes under ``global_storage.nexgym`` of the main file, a field NexAU passes
  through untouched.

Errors are :class:`~nexgym.error.SpecError` lines that start with the file and field
(``lead.yaml: sub_agents[0].config_path: ...``): missing files, malformed YAML,
cycles in the sub-agent files, tools the domain lacks.
"""

from __future__ import annotations

from nexgym.nexau.reader import NexauImport, load, load_report
from nexgym.nexau.writer import dump

__all__ = ["NexauImport", "dump", "load", "load_report"]
