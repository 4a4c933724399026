"""Local task files: JSONL or CSV, one example per line (CSV: per row, with a header).

Fields, the same in every row of a task:

- ``text`` and ``label``: single-sentence classification;
- ``text_a``, ``text_b`` and ``label``: sentence-pair classification;
- ``choices`` (a list of strings), ``label`` (the index of the right choice) and an optional
  ``question`` (the context each choice is paired with): multiple choice, JSONL only.

A label is a string or an integer (``1`` and ``"1"`` are one label). Splits come either from
a **directory** holding ``train``, ``dev`` (or ``validation``) and ``test`` files
(``.jsonl`` or ``.csv``; dev optional), or from **one file** whose rows carry a ``split``
field (``train``, ``dev``/``validation`` or ``test``). Without dev, a seeded fraction of
train is held out (:func:`~bertology.finetune.data.hold_out`). Every error names the file
and the line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bertology.errors import InputError, quote
from bertology.finetune.data import RawExample, label_text
from bertology.io import iter_text_lines, read_jsonl

SUFFIXES = (".jsonl", ".csv")
SPLIT_NAMES = {"train": "train", "dev": "dev", "validation": "dev", "test": "test"}
FIELDS = {
    "single": ("text", "label"),
    "pair": ("text_a", "text_b", "label"),
    "choice": ("choices", "label"),
}
EXPECTED = "text and label, or text_a, text_b and label, or choices and label (question optional)"


def kind_of(row: dict[str, Any]) -> str | None:
    """The kind of task a row's fields describe, or None."""
    if "choices" in row:
        return "choice"
    if "text_a" in row or "text_b" in row:
        return "pair"
    if "text" in row:
        return "single"
    return None


def _text(row: dict[str, Any], key: str, path: Path, line: int) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        got = "nothing" if value is None else quote(repr(value))
        raise InputError(f"expected a non-empty string {key!r}, got {got}", path, line)
    return value


def parse_row(row: dict[str, Any], kind: str, path: Path, line: int) -> RawExample:
    """One row of a task of ``kind`` as a :class:`RawExample`; a missing or mistyped field is
    an error naming the line."""
    if kind_of(row) != kind:
        raise InputError(
            f"expected the fields of a {kind} task ({', '.join(FIELDS[kind])}), as in the "
            f"first row; got {', '.join(map(str, row)) or 'none'}",
            path,
            line,
        )
    source = f"{path}:{line}"
    if "label" not in row or row["label"] is None:
        raise InputError("expected a 'label'", path, line)
    label = label_text(row["label"], source)
    if kind == "single":
        return RawExample((_text(row, "text", path, line),), label, (), source)
    if kind == "pair":
        texts = (_text(row, "text_a", path, line), _text(row, "text_b", path, line))
        return RawExample(texts, label, (), source)
    choices = row["choices"]
    if not isinstance(choices, list) or len(choices) < 2:
        raise InputError("expected 'choices' to be a list of at least two strings", path, line)
    if not all(isinstance(c, str) and c.strip() for c in choices):
        raise InputError("expected every choice to be a non-empty string", path, line)
    context = () if row.get("question") is None else (_text(row, "question", path, line),)
    return RawExample(context, label, tuple(choices), source)


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, {column: value})`` of a CSV file with a header; a row with the wrong number
    of cells is an error naming its line."""
    lines = iter_text_lines(path)
    reader = csv.reader(text + "\n" for _, text in lines)
    try:
        header = next(reader, None)
        if header is None:
            return
        header = [h.strip() for h in header]
        for cells in reader:
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise InputError(
                    f"expected {len(header)} cells ({', '.join(header)}), got {len(cells)}",
                    path,
                    reader.line_num,
                )
            yield reader.line_num, dict(zip(header, cells, strict=True))
    except csv.Error as e:
        raise InputError(f"malformed CSV ({e})", path, reader.line_num) from None


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, row)`` of a JSONL or CSV file (by suffix)."""
    if path.suffix == ".csv":
        return _csv_rows(path)
    if path.suffix == ".jsonl":
        return read_jsonl(path)
    raise InputError(f"expected a .jsonl or .csv file, got {path.suffix or 'no suffix'}", path)


def read_file(path: Path, split_field: bool, kind: str | None = None) -> tuple[str, dict]:
    """``(kind, {split: [RawExample]})`` of one file. With ``split_field`` every row names its
    split; otherwise all rows go under ``""``. The first row fixes the kind unless given."""
    out: dict[str, list[RawExample]] = {}
    for line, row in read_rows(path):
        if kind is None:
            kind = kind_of(row)
            if kind is None:
                raise InputError(f"expected the fields {EXPECTED}", path, line)
            if kind == "choice" and path.suffix == ".csv":
                raise InputError("multiple choice needs JSONL ('choices' is a list)", path, line)
        split = ""
        if split_field:
            name = row.get("split")
            if name not in SPLIT_NAMES:
                raise InputError(
                    f"expected a 'split' of train, dev (or validation) or test, got "
                    f"{'nothing' if name is None else quote(str(name))} (or give a directory "
                    "with train, dev and test files)",
                    path,
                    line,
                )
            split = SPLIT_NAMES[name]
        out.setdefault(split, []).append(parse_row(row, kind, path, line))
    if kind is None:
        raise InputError("no examples in the file (an empty task)", path)
    return kind, out


def read_local(path: Path) -> tuple[str, dict[str, list[RawExample]], dict[str, str]]:
    """``(kind, rows by split, where each split came from)`` of a task file or directory."""
    if path.is_file():
        kind, rows = read_file(path, split_field=True)
        return kind, rows, {s: f"{path} (split={s})" for s in rows}
    found: dict[str, Path] = {}
    for name, split in SPLIT_NAMES.items():
        for suffix in SUFFIXES:
            p = path / f"{name}{suffix}"
            if p.is_file():
                if split in found:
                    raise InputError(f"two {split} files: {found[split].name} and {p.name}", path)
                found[split] = p
    for split in ("train", "test"):
        if split not in found:
            raise InputError(
                f"no {split} file (expected {split}.jsonl or {split}.csv; dev.jsonl optional)",
                path,
            )
    kind: str | None = None
    rows: dict[str, list[RawExample]] = {}
    for split in ("train", "dev", "test"):
        if split in found:
            kind, part = read_file(found[split], split_field=False, kind=kind)
            rows[split] = part.get("", [])
    assert kind is not None
    return kind, rows, {s: str(p) for s, p in found.items()}
