"""Shared helpers of the RL-stack tests: the oracle's choice as an action index."""

from __future__ import annotations

from typing import Any

from nexgym.policies import OraclePolicy


def same_answer(a: str, b: str) -> bool:
    """Equal answers, numerically when both are numbers ("12.50" == "12.5")."""
    if a.strip() == b.strip():
        return True
    try:
        return abs(float(a) - float(b)) < 1e-9
    except ValueError:
        return False


def oracle_index(env: Any, plan: int | None = None) -> int | None:
    """The admissible index standing for the oracle's next call, or None.

    Domain calls must match exactly; a delegation matches the offered request for the
    first call the oracle's message asks for (by sub-agent name if none is offered);
    ``finish`` matches
    an offered answer equal to the oracle's, or else (at the root) the first offered
    answer the task's verifier accepts: the oracle's wording may differ from what the
    tool results show ("Juniper Health employs more" against "Juniper Health").
    """
    base = env.unwrapped
    runtime = base.runtime
    role = runtime.active_role
    call = OraclePolicy(env, plan=plan).plan_call(runtime, role)
    calls = env.get_wrapper_attr("action_calls")
    if call.name == "finish" and role == runtime.spec.root:
        exact = [
            i
            for i, c in enumerate(calls)
            if c.name == "finish"
            and same_answer(str(c.arguments["answer"]), str(call.arguments["answer"]))
        ]
        if exact:
            return exact[0]
        for i, candidate in enumerate(calls):
            answer = candidate.arguments.get("answer") if candidate.name == "finish" else None
            if answer is not None and runtime.backend.verify(runtime.task, answer).solved:
                return i
        return None
    if call.name in runtime.spec.agent(role).sub_agents:
        # the offered request for the oracle's first asked call (teammates do what they
        # are asked); else, as a fallback, any delegation to that sub-agent
        wanted = first_request(runtime, call)
        to_child = [i for i, c in enumerate(calls) if c.name == call.name]
        for i in to_child:
            if wanted is not None and first_request(runtime, calls[i]) == wanted:
                return i
        return to_child[0] if to_child else None
    for i, candidate in enumerate(calls):
        if candidate.name != call.name:
            continue
        if call.name == "finish":
            if same_answer(str(candidate.arguments["answer"]), str(call.arguments["answer"])):
                return i
        elif candidate == call:
            return i
    return None


def first_request(runtime: Any, delegation: Any) -> Any:
    """The first call a delegation's message asks for (validated, domain names), or None."""
    from nexgym.teammates.instructions import InstructionReader
    from nexgym.tools import ToolCall

    domain = runtime.domain
    shown = {runtime.renames.get(n, n): n for n in domain.tool_names}
    reader = InstructionReader({s: domain.tool(n).parameters for s, n in shown.items()})
    asked = reader.read(str(delegation.arguments.get("task", ""))).calls
    if not asked:
        return None
    name = shown[asked[0].name]
    try:
        return ToolCall(name, domain.tool(name).validate(asked[0].arguments))
    except Exception:
        return None


def oracle_is_admissible(env: Any, plan: int | None = None) -> bool:
    """Whether the oracle's next call, unless it is ``finish``, is admissible now."""
    runtime = env.unwrapped.runtime
    call = OraclePolicy(env, plan=plan).plan_call(runtime, runtime.active_role)
    return call.name == "finish" or oracle_index(env, plan) is not None
