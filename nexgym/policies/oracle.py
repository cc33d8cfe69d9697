"""The oracle: plays the root of a hierarchy by following the task's oracle plan.

As the root (or a peer of a peer team) it reads the runtime (privileged), finds the
next plan step that has not yet succeeded, and either calls the tool (if its role holds
it), delegates to the sub-agent whose subtree holds it, or finishes when the plan is
done. Its messages state only what it has observed (:mod:`nexgym.policies.observed`):
when a step needs a value it has not seen, it first has a sub-agent look it up
(:mod:`nexgym.policies.lookup`), then asks for the step with the value it saw, in the
form :func:`~nexgym.teammates.instructions.phrase_request` writes. Because progress is
read from the tool calls that actually succeeded, failed calls are retried and
teammates' work counts.

As a sub-agent of a tree (``control="all"``) it does what its message asks, exactly as
:class:`~nexgym.teammates.instructed.InstructedTeammate` does: the plan is the root's
business, and a team of oracles then shows sub-agents that follow their instructions.
With ``error_rate`` it sometimes makes a random well-formed call instead: the erring
teammate of coordination experiments.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from nexgym.envs.domains.kit.base import Domain, Plan
from nexgym.policies.aggregator import aggregator_call
from nexgym.policies.lookup import LookupFinder, schema_defaults
from nexgym.policies.observed import role_seen, unseen_values
from nexgym.runtime.menus import delegation, siblings
from nexgym.runtime.view import RuntimeView, current_task, runtime_view
from nexgym.teammates.instructed import InstructedTeammate
from nexgym.teammates.instructions import phrase_request
from nexgym.teammates.random_calls import erring_call
from nexgym.tools import ToolCall, render_result
from nexgym.topology.peers import PeerRuntime

if TYPE_CHECKING:
    from nexgym.runtime.view import HierarchyEnv

__all__ = ["OraclePolicy", "plan_progress", "report"]


#: Topologies whose members each work on the whole task (the plan is theirs to follow).
PEER_TOPOLOGIES = frozenset({"independent", "decentralized"})


def plan_progress(plan: Plan, succeeded: list[ToolCall]) -> int:
    """How many leading steps of ``plan`` appear, in order, among the succeeded calls."""
    cursor = 0
    for call in succeeded:
        if cursor < len(plan) and call == plan[cursor]:
            cursor += 1
    return cursor


class OraclePolicy:
    """Follows the task's oracle plan through the hierarchy.

    Args:
        env: the env it plays.
        error_rate: probability of a random well-formed call instead of the plan's.
        plan: index of the oracle plan to follow (default: the first one the
            hierarchy can execute).
    """

    def __init__(
        self, env: HierarchyEnv, *, error_rate: float = 0.0, plan: int | None = None
    ) -> None:
        self.env = env
        self.error_rate = error_rate
        self.plan_index = plan
        self._lookups = LookupFinder()
        self._instructed = InstructedTeammate(env)

    def __call__(self, observation: Any, info: dict[str, Any]) -> str:
        """Return the next action as canonical text."""
        return self.call(observation, info).to_text()

    def call(self, observation: Any, info: dict[str, Any]) -> ToolCall:
        """The next action as a :class:`ToolCall`."""
        runtime = runtime_view(self.env)
        role = info.get("role") or runtime.active_role or runtime.lead_role
        erring = erring_call(self.env, role, observation, self.error_rate)
        if erring is not None:
            return erring
        if role != runtime.spec.root and runtime.spec.topology not in PEER_TOPOLOGIES:
            return self._instructed.call(observation, info)
        return self.plan_call(runtime, role)

    def choose_plan(self, runtime: RuntimeView) -> Plan:
        """The plan to follow: the chosen index, or the first the hierarchy can execute."""
        plans = current_task(runtime).plans
        if self.plan_index is not None:
            return plans[self.plan_index % len(plans)]
        held = runtime.spec.all_tools()
        for plan in plans:
            if all(step.name in held for step in plan):
                return plan
        return plans[0]

    def plan_call(self, runtime: RuntimeView, role: str) -> ToolCall:
        """The plan's next call for ``role`` (peers each follow it on their own world)."""
        if role == runtime.spec.root and isinstance(runtime, PeerRuntime):
            return aggregator_call(runtime, self)  # the root of a peer team
        plan = self.choose_plan(runtime)
        done = len(plan) - len(self.remaining(runtime, plan, runtime.world_of(role)))
        spec = runtime.spec
        agent = spec.agent(role)
        if done < len(plan):
            step = plan[done]
            if step.name in agent.tools:
                return ToolCall(runtime.renames.get(step.name, step.name), step.arguments)
            for child in agent.sub_agents:
                reach = spec.subtree(child)
                if any(h in reach for h in spec.holders(step.name)):
                    return self.delegation(runtime, role, child, plan[done:])
            note = _handoff(runtime, role, step, done, len(plan))
            if note is not None:
                return note
        if runtime.answers_task(role) and done >= len(plan):
            answer = current_task(runtime).answer
            return ToolCall("finish", {"answer": answer if answer is not None else "Done."})
        return ToolCall("finish", {"answer": report(runtime.history(role))})

    @staticmethod
    def remaining(runtime: RuntimeView, plan: Plan, world: int) -> Plan:
        """The steps of ``plan`` not yet done on ``world`` (by the calls that succeeded)."""
        # executed calls carry validated arguments (defaults filled in): compare like with like
        canonical = [_canonical(runtime.domain, step) for step in plan]
        succeeded = [r.call for r in runtime.tool_log if r.ok and r.world == world]
        return plan[plan_progress(canonical, succeeded) :]

    def delegation(self, runtime: RuntimeView, role: str, child: str, steps: Plan) -> ToolCall:
        """Ask ``child`` for the next steps, stating only values ``role`` has seen.

        The leading steps whose values are all seen go in one message; when the first
        step needs a value not seen yet, a sub-agent (or ``role`` itself) first looks it up.
        Public so that other scripted roots (a peer team's aggregator) can brief their
        members the same way.

        Args:
            runtime: the episode's runtime.
            role: the asking role.
            child: the sub-agent whose subtree holds ``steps[0]``.
            steps: the plan's remaining steps, the next one first.
        """
        spec, domain = runtime.spec, runtime.domain
        history = runtime.history(role)
        seen = role_seen(history)
        reach = spec.subtree(child)
        segment: list[ToolCall] = []
        for step in steps:
            if not any(h in reach for h in spec.holders(step.name)):
                break
            defaults = schema_defaults(domain.tool(step.name).parameters)
            if unseen_values(step.arguments, seen, defaults):
                break
            segment.append(step)
        if segment:
            return delegation(spec, child, phrase_request(self._shown(runtime, segment)))
        step = steps[0]
        agent = spec.agent(role)
        callable_tools = list(agent.tools) + [
            t for c in agent.sub_agents for _, member in spec.walk(c) for t in member.tools
        ]
        asked = _asked(history)

        def was_asked(call: ToolCall) -> bool:
            shown = self._shown(runtime, [call])[0]
            return phrase_request([shown]) in asked or shown.key() in asked

        lookup = self._lookups.find(runtime, step, seen, callable_tools, was_asked)
        if lookup is None:  # nothing shows the value: say it (the leak check reports it)
            return delegation(spec, child, phrase_request(self._shown(runtime, [step])))
        if lookup.name in agent.tools:
            shown = self._shown(runtime, [lookup])[0]
            return ToolCall(shown.name, lookup.arguments)
        if not any(h in reach for h in spec.holders(lookup.name)):
            for other in agent.sub_agents:
                if any(h in spec.subtree(other) for h in spec.holders(lookup.name)):
                    child = other
                    break
        return delegation(spec, child, phrase_request(self._shown(runtime, [lookup])))

    @staticmethod
    def _shown(runtime: RuntimeView, steps: list[ToolCall]) -> list[ToolCall]:
        """Steps under their shown names, arguments left at their defaults omitted."""
        out = []
        for step in steps:
            defaults = schema_defaults(runtime.domain.tool(step.name).parameters)
            arguments = {
                k: v for k, v in step.arguments.items() if not (k in defaults and defaults[k] == v)
            }
            out.append(ToolCall(runtime.renames.get(step.name, step.name), arguments))
        return out


def _asked(history: list[dict[str, Any]]) -> set[str]:
    """What ``history`` already asked for: delegation messages and own calls' keys."""
    asked: set[str] = set()
    for message in history:
        if message.get("role") != "assistant":
            continue
        for call in message.get("tool_calls") or ():
            fn = call.get("function", {})
            arguments = fn.get("arguments", "{}")
            try:
                parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
            except json.JSONDecodeError:
                continue
            if isinstance(parsed, dict) and set(parsed) == {"task"}:
                asked.add(str(parsed["task"]))
            elif isinstance(parsed, dict) and set(parsed) == {"sub_agent_name", "message"}:
                asked.add(str(parsed["message"]))  # NexAU's Agent tool
            elif isinstance(parsed, dict):
                asked.add(ToolCall(fn.get("name", ""), parsed).key())
    return asked


def _canonical(domain: Domain, call: ToolCall) -> ToolCall:
    """``call`` with its arguments as the runtime records them (validated, defaults filled)."""
    try:
        return ToolCall(call.name, domain.tool(call.name).validate(call.arguments))
    except Exception:  # a plan step the domain rejects can only match itself
        return call


def _handoff(
    runtime: RuntimeView, role: str, step: ToolCall, done: int, total: int
) -> ToolCall | None:
    """A hybrid worker's note to the fellow worker who holds the next step (once per turn)."""
    if "message" not in runtime.tool_names(role):
        return None
    history = runtime.history(role)
    last = next((m for m in reversed(history) if m.get("role") == "assistant"), None)
    if last and any(c["function"]["name"] == "message" for c in last.get("tool_calls", [])):
        return None
    spec = runtime.spec
    for peer in siblings(spec).get(role, ()):
        if step.name in spec.agent(peer).tools:
            text = f"{done} of {total} steps are done. Yours is next: {step.describe()}."
            return ToolCall("message", {"to": peer, "text": text})
    return None


REPORT_CHARS = 1200
"""The longest report a sub-agent's oracle gives its caller (each result gets a share)."""


def report(messages: list[dict[str, Any]], limit: int = REPORT_CHARS) -> str:
    """A sub-agent's report of its work: every tool call it made and what came back.

    The caller sees only this answer, not the sub-agent's tool results, so the report
    carries each result (the last ones in full where ``limit`` allows, earlier ones
    shortened) rather than only the last: an answer that rests on an earlier lookup
    stays visible to the agent that has to give it.

    Args:
        messages: the sub-agent's chat history (OpenAI tool-calling format).
        limit: the report's length bound in characters, results included.
    """
    names: dict[Any, str] = {}
    results: list[tuple[str, str]] = []
    for message in messages:
        if message.get("role") == "assistant":
            for call in message.get("tool_calls") or ():
                names[call.get("id")] = call.get("function", {}).get("name", "tool")
        elif message.get("role") == "tool":
            name = names.get(message.get("tool_call_id"), "tool")
            results.append((name, render_result(message.get("content", ""))))
    if not results:
        return "Nothing to do."
    share = max(120, limit // len(results))
    lines = []
    for i, (name, text) in enumerate(results[-(limit // 120) :], 1):
        text = " ".join(text.split())
        lines.append(f"{i}. {name}: " + (text if len(text) <= share else text[: share - 3] + "..."))
    return "Done. Results:\n" + "\n".join(lines)
