"""Reading the files of a NexAU config tree: YAML mappings, referenced paths, name mapping.

Every error is a :class:`~nexgym.error.SpecError` whose line starts with the file and
the field (``team/lead.yaml: sub_agents[1].config_path: ...``), says what was expected
and what was found, and how to fix it.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from nexgym.error import SpecError

__all__ = [
    "AGENT_FIELDS",
    "NEXGYM_KEY",
    "fail",
    "read_mapping",
    "resolve",
    "safe_relative",
    "snake_name",
]

#: The key under the root file's ``global_storage`` that holds what only nexgym reads
#: (domain, topology, limits, the spec's name and metadata). NexAU rejects unknown
#: top-level fields, so nexgym's own fields live inside a free-form one it accepts.
NEXGYM_KEY = "nexgym"

#: Every field of a NexAU agent config (its ``AgentConfigBase``), mapped or not.
AGENT_FIELDS = frozenset(
    {
        "type",
        "name",
        "description",
        "source_id",
        "system_prompt",
        "system_prompt_type",
        "system_prompt_suffix",
        "tools",
        "sub_agents",
        "skills",
        "llm_config",
        "stop_tools",
        "initial_state",
        "initial_config",
        "context",
        "initial_context",
        "mcp_servers",
        "after_model_hooks",
        "after_tool_hooks",
        "before_model_hooks",
        "before_tool_hooks",
        "middlewares",
        "error_handler",
        "token_counter",
        "global_storage",
        "max_context_tokens",
        "max_running_subagents",
        "max_iterations",
        "tool_call_mode",
        "retry_attempts",
        "retry_backoff_max_seconds",
        "timeout",
        "tracers",
        "skipped_components",
    }
)

_SNAKE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def fail(where: str, field: str, message: str) -> SpecError:
    """A :class:`SpecError` for ``field`` of the file ``where``."""
    return SpecError(f"{where}: {field}: {message}", source=where)


def read_mapping(path: Path, where: str, referrer: str, kind: str) -> dict[str, Any]:
    """The YAML mapping in ``path``; ``referrer`` names the file and field that pointed here.

    Raises:
        SpecError: the file is missing, unreadable, not YAML, or not a mapping.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(
            f"{referrer}: expected a {kind} file at {where} ({path}), found none; "
            "fix the path (relative paths start at the referring file's folder)",
            source=where,
        ) from None
    except OSError as e:
        raise fail(where, "(file)", f"cannot read {path}: {e.strerror}") from e
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as e:
        raise fail(where, "(yaml)", f"not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise fail(where, "(top level)", f"expected a {kind} mapping, got {type(data).__name__}")
    return data


def resolve(base: Path, raw: Any, where: str, field: str) -> Path:
    """``raw`` (a path string from file ``where``) resolved against the folder ``base``."""
    if not isinstance(raw, str) or not raw.strip():
        raise fail(where, field, f"expected a path string, got {raw!r}")
    path = Path(raw)
    return path if path.is_absolute() else (base / path)


def safe_relative(raw: Any, what: str) -> PurePosixPath:
    """A relative path that stays inside the folder being written (for :func:`dump`).

    Raises:
        SpecError: the path is absolute or climbs out with ``..``.
    """
    path = PurePosixPath(str(raw))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise SpecError(
            f"metadata.nexau: {what}: expected a relative path inside the output folder, "
            f"got {raw!r}; remove it from the spec's metadata to use the default name"
        )
    return path


def snake_name(name: str) -> str:
    """A NexAU agent name as a nexgym agent name (snake_case, 48 characters at most)."""
    if _SNAKE.match(name):
        return name
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    out = re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")
    if not out or not out[0].isalpha():
        out = f"agent_{out}".rstrip("_")
    return out[:48].rstrip("_")
