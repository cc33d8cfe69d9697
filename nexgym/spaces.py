"""Text spaces whose charset admits JSON and prose, and a sanitiser for observations."""

from __future__ import annotations

import re
import unicodedata

from gymnasium import spaces

__all__ = ["CHARSET", "MAX_ACTION_CHARS", "MAX_OBSERVATION_CHARS", "text_space", "to_charset"]

#: Printable ASCII plus newline and tab: every JSON document and English prose fits.
CHARSET = "\t\n" + "".join(chr(c) for c in range(32, 127))
MAX_OBSERVATION_CHARS = 32_768
MAX_ACTION_CHARS = 65_536
_OUTSIDE = re.compile(r"[^\t\n\x20-\x7e]")


def text_space(max_length: int) -> spaces.Text:
    """A :class:`gymnasium.spaces.Text` over :data:`CHARSET`."""
    return spaces.Text(max_length=max_length, min_length=0, charset=CHARSET)


def _replace(match: re.Match[str]) -> str:
    char = match.group(0)
    if char == "\r":
        return ""
    ascii_form = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    return ascii_form if ascii_form and not _OUTSIDE.search(ascii_form) else "?"


def to_charset(text: str, max_length: int = MAX_OBSERVATION_CHARS) -> str:
    """Map text into :data:`CHARSET` (accents dropped, other characters become '?').

    Text longer than ``max_length`` is cut with a marker saying how much was left out.
    """
    if _OUTSIDE.search(text):
        text = _OUTSIDE.sub(_replace, text)
    if len(text) > max_length:
        marker = f"\n[... {len(text) - max_length} characters cut]"
        text = text[: max_length - len(marker)] + marker
    return text
