"""bertology's one output channel: progress, summaries and warnings go to stderr through rich;
results go to files (``results.json``, ``metrics.jsonl``, ...), never to stdout.

``console.print`` is rich's (markup, tables); :func:`say` prints plain text (a log line whose
brackets are not rich markup), :func:`warn` a warning.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

console = Console(stderr=True)


def say(message: str) -> None:
    """One plain line on stderr (no markup, no highlighting, never wrapped)."""
    console.print(message, markup=False, highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    """``bertology: warning: ...`` on stderr."""
    say(f"bertology: warning: {message}")


def table(t: Any, min_width: int = 0) -> None:
    """A rich table on stderr, at least ``min_width`` columns wide (never cut)."""
    Console(stderr=True, width=max(console.width, min_width)).print(t)
