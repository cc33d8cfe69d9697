"""``nexgym play ID``: a person plays the root agent at the terminal.

Sub-agents are played by the oracle (``--control all`` hands every role to the
person). Actions are read from standard input, one per line; an action whose first
line leaves a bracket or a ``<tool_call>`` tag open continues on the next lines and
ends with an empty line. Commands: ``:help``, ``:tools``, ``:obs``, ``:hint`` (the
oracle's next call) and ``:quit``. Piped input works the same way, so a scripted
session is a text file.

Exit code: 0 when the episode ended or the player quit, 1 when the input ran out first.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

__all__ = ["PlaySession", "add_parser", "is_incomplete", "run"]

_OPENERS = {"{": "}", "[": "]", "(": ")"}
_TAGS = ("tool_call", "tool_use", "think")
_HELP = """Type one tool call per turn, for example:
  <tool_call>{"name": "read_file", "arguments": {"path": "/a.txt"}}</tool_call>
  read_file(path="/a.txt")
  {"name": "finish", "arguments": {"answer": "42"}}
A first line that leaves a bracket or a tag open continues until an empty line.
Commands: :help (this text), :tools (your tools), :obs (show the observation again),
          :hint (the oracle's next call), :quit (end the session)."""


def add_parser(sub: Any) -> None:
    """Register ``play``."""
    parser = sub.add_parser(
        "play",
        help="play the root agent of an env at the terminal",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("env_id", metavar="ID", help="env id (nex/FileOps-v0) or name (FileOps)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the episode")
    parser.add_argument("--difficulty", type=int, default=1, help="task difficulty (1-3)")
    parser.add_argument(
        "--control",
        default="root",
        help="roles the person plays: root (default), all, or a comma-separated list of roles",
    )
    parser.set_defaults(func=run)


def is_incomplete(text: str) -> bool:
    """Whether an action text leaves a bracket (outside strings) or a tag open.

    Such a first line starts a multi-line action, which ends with an empty line.
    """
    for tag in _TAGS:
        if text.count(f"<{tag}>") > text.count(f"</{tag}>"):
            return True
    closers: list[str] = []
    quote = ""
    escaped = False
    for char in text:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in _OPENERS:
            closers.append(_OPENERS[char])
        elif closers and char == closers[-1]:
            closers.pop()
    return bool(closers)


class PlaySession:
    """A terminal session: reads actions, steps the env, prints what happens.

    Args:
        env: the env (from ``gym.make``), controlled roles as configured.
        stdin: where actions come from.
        stdout: where observations and rewards go.
        echo: print each action read (useful when the input is piped, not typed).
    """

    def __init__(self, env: Any, stdin: TextIO, stdout: TextIO, *, echo: bool = False) -> None:
        self.env = env
        self.stdin = stdin
        self.stdout = stdout
        self.echo = echo
        self.observation = ""
        self.info: dict[str, Any] = {}
        self.total_reward = 0.0

    def say(self, text: str = "") -> None:
        """Print a line to the session's output."""
        print(text, file=self.stdout, flush=True)

    def run(self, seed: int) -> int:
        """Play one episode; returns the exit code."""
        self.observation, self.info = self.env.reset(seed=seed)
        self.say(_HELP)
        self.show_observation()
        while True:
            text = self.read_action()
            if text is None:
                self.say("\nInput ended before the episode did.")
                return 1
            if text.startswith(":"):
                if self.command(text[1:].strip().lower()):
                    self.say("Quit.")
                    return 0
                continue
            if self.step(text):
                return 0

    def read_action(self) -> str | None:
        """The next action or command text; None at the end of the input."""
        while True:
            role = self.info.get("role") or "?"
            self.stdout.write(f"{role}> ")
            self.stdout.flush()
            line = self.stdin.readline()
            if not line:
                return None
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if self.echo:
                self.say(line)
            if line.lstrip().startswith(":"):
                return line.strip()
            if not is_incomplete(line):
                return line
            lines = [line]
            while True:
                self.stdout.write("... ")
                self.stdout.flush()
                more = self.stdin.readline()
                if self.echo:
                    self.say(more.rstrip("\r\n"))
                if not more or not more.strip():
                    return "\n".join(lines)
                lines.append(more.rstrip("\r\n"))

    def command(self, name: str) -> bool:
        """Run a ``:command``; returns True when the session should end."""
        if name in ("quit", "q", "exit"):
            return True
        if name == "help":
            self.say(_HELP)
        elif name == "tools":
            self.show_tools()
        elif name == "obs":
            self.show_observation()
        elif name == "hint":
            from nexgym.policies import OraclePolicy

            hint = OraclePolicy(self.env).call(self.observation, self.info)
            self.say(f"hint: {hint.to_text()}")
        else:
            self.say(f"unknown command ':{name}'; expected :help, :tools, :obs, :hint or :quit")
        return False

    def show_tools(self) -> None:
        """Print the acting role's tools with their arguments."""
        from nexgym.cli.catalog import tool_signature

        for schema in self.info.get("tools", []):
            fn = schema["function"]
            self.say(f"  {fn['name']}({tool_signature(fn['parameters'])}): {fn['description']}")

    def show_observation(self) -> None:
        """Print the current observation under a header naming the acting role."""
        self.say(f"\n=== observation for {self.info.get('role')} ===")
        self.say(self.observation)

    def step(self, text: str) -> bool:
        """Play one action; returns True when the episode is over."""
        runtime = self.env.unwrapped.runtime
        seen = len(runtime.tool_log)
        self.observation, reward, terminated, truncated, self.info = self.env.step(text)
        self.total_reward += float(reward)
        for record in runtime.tool_log[seen:]:
            if record.role not in self.env.unwrapped.controlled:
                status = "ok" if record.ok else f"error: {record.error}"
                self.say(f"  [{record.role}] {record.call.describe()} -> {status}")
        kind = self.info.get("action_kind", "?")
        reason = self.info.get("invalid_reason")
        self.say(f"reward {float(reward):+.2f} ({kind}{': ' + reason if reason else ''})")
        if terminated or truncated:
            score = self.info.get("score", 0.0)
            solved = "solved" if self.info.get("success") else "not solved"
            self.say(self.observation)
            self.say(
                f"\nEpisode over: {self.info.get('stop_reason')}. Score {score:.2f} ({solved}); "
                f"return {self.total_reward:+.2f}."
            )
            return True
        self.show_observation()
        return False


def run(args: argparse.Namespace) -> int:
    """Play an env at the terminal."""
    import gymnasium as gym

    from nexgym.registry import env_id, load_catalog_spec

    spec = load_catalog_spec(args.env_id)
    control: Any = args.control
    if control not in ("root", "all"):
        control = [role.strip() for role in control.split(",") if role.strip()]
    env = gym.make(env_id(spec.name), control=control, difficulty=args.difficulty)
    try:
        session = PlaySession(env, sys.stdin, sys.stdout, echo=not sys.stdin.isatty())
        return session.run(args.seed)
    finally:
        env.close()
