"""Errors that bertology raises on bad input.

Every error about a file names the file and, where there is one, the line, so a user can go
straight to the problem: ``facts.jsonl:12: expected a JSON object, got ...``.
"""

from __future__ import annotations

from pathlib import Path


class BertologyError(Exception):
    """Base class for every error bertology raises on purpose (the CLI prints these cleanly)."""


class InputError(BertologyError):
    """Bad input: a malformed file, an unknown name, an empty dataset, a mismatched artifact."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        self.reason = message
        if path is not None and line is not None:
            text = f"{path}:{line}: {message}"
        elif path is not None:
            text = f"{path}: {message}"
        else:
            text = message
        super().__init__(text)


def quote(text: str, limit: int = 200) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters (a 3000-word subject must
    not make a 12 KB error)."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"… ({len(text)} characters)"


def source_of(source: str | None) -> tuple[str | None, int | None]:
    """``(file, line)`` of a ``"file:line"`` source tag (a fact's), or ``(None, None)``."""
    if not source:
        return None, None
    path, _, line = source.rpartition(":")
    return (path, int(line)) if path and line.isdigit() else (source, None)


def unknown_name_error(kind: str, name: str, known: list[str] | tuple[str, ...]) -> InputError:
    """An error for an unknown registry name that lists the known ones."""
    listed = ", ".join(sorted(known)) if known else "(none)"
    return InputError(f"unknown {kind} {name!r}; known {kind}s: {listed}")
