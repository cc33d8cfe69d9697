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

    Domain calls must match exactly; a delegation matches by sub-agent name (the
    oracle's teammates follow the plan whatever the message says); ``finish`` matches
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
    for i, candidate in enumerate(calls):
        if candidate.name != call.name:
            continue
        if call.name == "finish":
            if same_answer(str(candidate.arguments["answer"]), str(call.arguments["answer"])):
                return i
        elif call.name in runtime.spec.agent(role).sub_agents or candidate == call:
            return i
    return None


def oracle_is_admissible(env: Any, plan: int | None = None) -> bool:
    """Whether the oracle's next call, unless it is ``finish``, is admissible now."""
    runtime = env.unwrapped.runtime
    call = OraclePolicy(env, plan=plan).plan_call(runtime, runtime.active_role)
    return call.name == "finish" or oracle_index(env, plan) is not None
