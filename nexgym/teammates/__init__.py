"""The default teammates: scripted roles that act only on what they are told.

A view (:class:`~nexgym.env.NexEnv`) plays every role its learner does not control
with :class:`InstructedTeammate`: it reads its message with :class:`InstructionReader`
(from the tool schemas alone), does exactly those calls with its own tools or through
its sub-agents, and reports what came back. :func:`phrase_request` writes requests the
reader understands; :func:`random_call` is the erring teammate's random call.
"""

from __future__ import annotations

from nexgym.teammates.instructed import InstructedTeammate
from nexgym.teammates.instructions import Instruction, InstructionReader, phrase_request
from nexgym.teammates.random_calls import random_call

__all__ = [
    "InstructedTeammate",
    "Instruction",
    "InstructionReader",
    "phrase_request",
    "random_call",
]
