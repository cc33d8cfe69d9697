"""The Markdown page of ``benchmarks/faults.py``'s results."""

from __future__ import annotations

from typing import Any

GOALS = {
    "hostile": [
        "exceptions",
        "hangs",
        "steps_over_1s",
        "observation_outside_space",
        "invariants_broken",
        "host_changes",
        "temp_left_after_close",
    ],
    "mcp": [
        "hangs",
        "exceptions",
        "left_after_close",
        "left_after_exit",
        "left_after_parent_kill",
        "left_after_parent_kill_stopped",
        "signalled_alive",
        "shm_left_after_exit",
        "restarts_from_unsendable_arguments",
    ],
    "serve": ["unanswered", "crashes", "answered_ok", "host_leaks", "host_files_written"],
    "soak": ["fd_growth", "temp_growth", "temp_left_after_close", "shm_growth"],
    "rollout": [
        "torn_accepted",
        "duplicates",
        "lost",
        "orphans_after_kill",
        "resume_other_seed_silently_skipped",
    ],
}
TITLES = {
    "hostile": "Hostile actions (Gymnasium, recorded Gymnasium, AEC and Parallel views)",
    "mcp": "MCP server kills (SIGKILL) and hangs (SIGSTOP) mid-episode",
    "serve": "`nexgym serve-mcp` fed malformed JSON-RPC",
    "soak": "Soak: steps with resets on one env per domain",
    "rollout": "kill -9 of `nexgym rollout --out`, then `--resume`",
}


def _value(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def markdown(results: dict[str, Any]) -> str:
    """Tables of every part's figures, goals (0) marked, and examples of what failed."""
    lines = [
        "# Faults and abuse benchmark",
        "",
        f"Preset `{results['preset']}`, seed {results['seed']}, Python {results['python']}, "
        f"{results['cpus']} CPUs, MCP call timeout {results['mcp_timeout_s']} s. "
        "Produced by `python benchmarks/faults.py"
        + ("" if results["preset"] == "full" else f" --preset {results['preset']}")
        + "`. Figures marked *goal 0* should be zero.",
        "",
    ]
    for part, title in TITLES.items():
        if part not in results:
            continue
        r = results[part]
        lines += [f"## {title}", "", "| figure | value |", "| --- | --- |"]
        for key, value in r.items():
            if isinstance(value, dict | list):
                continue
            mark = " (goal 0)" if key in GOALS[part] else ""
            lines.append(f"| {key.replace('_', ' ')}{mark} | {_value(value)} |")
        if part == "hostile":
            kinds = ", ".join(f"{k} {v:,}" for k, v in r["by_kind"].items())
            by_view = ", ".join(f"{k} {v}" for k, v in r["exceptions_by_view"].items())
            lines += ["", f"Actions by kind: {kinds}.", "", f"Exceptions by view: {by_view}."]
            new_shm = r["host"]["dev_shm_new"]
            if new_shm:
                lines += ["", f"New /dev/shm entries during the part (any process): {new_shm}."]
        if part == "soak":
            lines += [
                "",
                "| env | steps | resets | RSS MB | allocated blocks | fds | temp entries "
                "| /dev/shm |",
                "| --- | --- | --- | --- | --- | --- | --- | --- |",
            ]
            for row in r["per_env"]:
                lines.append(
                    f"| {row['env']} | {row['steps']:,} | {row['resets']:,} | "
                    f"{row['rss_mb_before']} -> {row['rss_mb_after']} | "
                    f"{row['blocks_before']:,} -> {row['blocks_after']:,} | "
                    f"{row['fds_before']} -> {row['fds_after']} | "
                    f"{row['temp_before']} -> {row['temp_after']} | "
                    f"{row['shm_before']} -> {row['shm_after']} |"
                )
        if part == "mcp":
            lines += [
                "",
                "| server | SIGKILL | SIGSTOP | episodes ended | fault reported "
                "| replaced server still alive | equal after restart |",
                "| --- | --- | --- | --- | --- | --- | --- |",
            ]
            for name, c in r["per_target"].items():
                equal = (
                    f"{c['equal_after_restart']}/{c['restart_checks']}"
                    if c["restart_checks"]
                    else "n/a (real time)"
                )
                lines.append(
                    f"| {name} | {c['SIGKILL']} | {c['SIGSTOP']} | {c['ended']} | "
                    f"{c['reported']} | {c['signalled_alive']} | {equal} |"
                )
        examples = r.get("examples")
        if examples:
            lines += ["", "Examples of what was found:", ""]
            items = examples.items() if isinstance(examples, dict) else [("", examples)]
            for what, texts in items:
                for text in texts:
                    lines.append(f"- {what + ': ' if what else ''}`{text.replace('`', chr(39))}`")
        lines += ["", f"Part time: {r.get('part_seconds')} s.", ""]
    return "\n".join(lines)
