"""Multiple-choice items and the formats they are read from.

An item is a question, two or more choices and the index of the right one. The text scored for
choice ``c`` is ``question + " " + c`` (just ``c`` when the question is empty).

Formats (one JSON object per line):

- ``bertology``: ``{"id", "question", "choices": [str, ...], "label": int, "split"?}``; ``id``
  (a string or an integer) defaults to the line number; ``label`` is the 0-based index of the
  right choice; ``split`` (``train``, ``dev`` or ``test``) is what ``--select-on dev`` reads:
  combinations are chosen on the ``dev`` items and reported on the ``test`` items. The
  embedded world's ``choice.jsonl`` is in this format (:mod:`bertology.world.choice`).
- ``copa`` (SuperGLUE COPA): ``{"premise", "choice1", "choice2", "question": "cause"|"effect",
  "label": 0|1, "idx"}``. The question is the premise without its final period followed by
  ``because`` (cause) or ``so`` (effect); each choice has its first letter lowercased:
  "The man broke his toe because he dropped a hammer on his foot."
- ``csqa`` (CommonsenseQA): ``{"id", "question": {"stem", "choices": [{"label", "text"}, ...]},
  "answerKey"}``. The question is the stem, the choices the texts in order, the label the
  index of the choice whose ``label`` is ``answerKey``.

Both converters keep a ``split`` field when a line has one. Every malformed line is an error
naming the file and line: not JSON, a missing or empty field, fewer than two choices, a label
outside the choices, a duplicate id. A file with no items is an error too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bertology.errors import InputError, unknown_name_error
from bertology.io import read_jsonl

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class ChoiceItem:
    """A question, its choices, the index of the right one, and where it was read."""

    id: str
    question: str
    choices: tuple[str, ...]
    label: int
    split: str | None = None
    source: str | None = None  # "file:line"

    def text(self, i: int) -> str:
        """The text scored for choice ``i``: ``question + " " + choice``."""
        return f"{self.question} {self.choices[i]}" if self.question else self.choices[i]

    def texts(self) -> list[str]:
        return [self.text(i) for i in range(len(self.choices))]


def _string(value: Any, key: str, path: Path, line: int, empty_ok: bool = False) -> str:
    if not isinstance(value, str):
        raise InputError(f"expected a string {key!r}, got {type(value).__name__}", path, line)
    if not value.strip() and not empty_ok:
        raise InputError(f"expected a non-empty {key!r}", path, line)
    return value.strip()


def _label(value: Any, n: int, key: str, path: Path, line: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InputError(
            f"expected an integer {key!r} (the index of the right choice), got {value!r}",
            path,
            line,
        )
    if not 0 <= value < n:
        raise InputError(
            f"{key} {value} is outside the {n} choices (expected 0..{n - 1})", path, line
        )
    return value


def _split(row: dict[str, Any], path: Path, line: int) -> str | None:
    split = row.get("split")
    if split is not None and split not in SPLITS:
        raise InputError(
            f"expected 'split' to be one of {', '.join(SPLITS)}, got {split!r}", path, line
        )
    return split


def _choices(value: Any, key: str, path: Path, line: int) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise InputError(f"expected a list {key!r} of strings", path, line)
    if len(value) < 2:
        raise InputError(f"expected at least 2 choices, got {len(value)}", path, line)
    return tuple(_string(c, f"{key}[{i}]", path, line) for i, c in enumerate(value))


def _id(value: Any, path: Path, line: int) -> str:
    if value is None:
        return str(line)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(f"expected a string or integer 'id', got {value!r}", path, line)
    return str(value)


def _item(
    id_: Any,
    question: str,
    choices: tuple[str, ...],
    label: int,
    row: dict[str, Any],
    path: Path,
    line: int,
) -> ChoiceItem:
    return ChoiceItem(
        _id(id_, path, line), question, choices, label, _split(row, path, line), f"{path}:{line}"
    )


def from_bertology(row: dict[str, Any], path: Path, line: int) -> ChoiceItem:
    """``{"id", "question", "choices", "label", "split"?}`` as an item."""
    question = _string(row.get("question"), "question", path, line, empty_ok=True)
    choices = _choices(row.get("choices"), "choices", path, line)
    label = _label(row.get("label"), len(choices), "label", path, line)
    return _item(row.get("id"), question, choices, label, row, path, line)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


COPA_CONNECTIVES = {"cause": "because", "effect": "so"}


def from_copa(row: dict[str, Any], path: Path, line: int) -> ChoiceItem:
    """A SuperGLUE COPA line: "premise (without its period) because|so choice"."""
    premise = _string(row.get("premise"), "premise", path, line)
    kind = row.get("question")
    if kind not in COPA_CONNECTIVES:
        raise InputError(f"expected 'question' to be cause or effect, got {kind!r}", path, line)
    question = f"{premise.removesuffix('.').rstrip()} {COPA_CONNECTIVES[kind]}"
    choices = tuple(
        _lower_first(_string(row.get(k), k, path, line)) for k in ("choice1", "choice2")
    )
    label = _label(row.get("label"), 2, "label", path, line)
    return _item(row.get("idx"), question, choices, label, row, path, line)


def from_csqa(row: dict[str, Any], path: Path, line: int) -> ChoiceItem:
    """A CommonsenseQA line: the stem, the choices' texts, the index of ``answerKey``."""
    q = row.get("question")
    if not isinstance(q, dict):
        raise InputError("expected an object 'question' with 'stem' and 'choices'", path, line)
    stem = _string(q.get("stem"), "question.stem", path, line)
    raw = q.get("choices")
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise InputError("expected a list 'question.choices' of {label, text} objects", path, line)
    if len(raw) < 2:
        raise InputError(f"expected at least 2 choices, got {len(raw)}", path, line)
    labels = [c.get("label") for c in raw]
    texts = tuple(
        _string(c.get("text"), f"question.choices[{i}].text", path, line) for i, c in enumerate(raw)
    )
    key = row.get("answerKey")
    if key not in labels:
        raise InputError(
            f"answerKey {key!r} is not the label of any choice ({', '.join(map(str, labels))})",
            path,
            line,
        )
    return _item(row.get("id"), stem, texts, labels.index(key), row, path, line)


FORMATS: dict[str, Callable[[dict[str, Any], Path, int], ChoiceItem]] = {
    "bertology": from_bertology,
    "copa": from_copa,
    "csqa": from_csqa,
}


def read_choice_items(path: str | Path, fmt: str = "bertology") -> list[ChoiceItem]:
    """The items of a JSONL file in format ``fmt`` (see the module docstring)."""
    if fmt not in FORMATS:
        raise unknown_name_error("format", fmt, list(FORMATS))
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file (expected a JSONL file of multiple-choice items)", path)
    convert = FORMATS[fmt]
    items: list[ChoiceItem] = []
    first: dict[str, int] = {}
    for line, row in read_jsonl(path):
        item = convert(row, path, line)
        if item.id in first:
            raise InputError(f"id {item.id!r} already used on line {first[item.id]}", path, line)
        first[item.id] = line
        items.append(item)
    if not items:
        raise InputError("no multiple-choice items (empty data)", path)
    return items


def by_split(
    items: list[ChoiceItem], path: str | Path
) -> tuple[list[ChoiceItem], list[ChoiceItem]]:
    """The ``dev`` and ``test`` items, for ``--select-on dev``; an error unless both exist."""
    dev = [x for x in items if x.split == "dev"]
    test = [x for x in items if x.split == "test"]
    for name, part in (("dev", dev), ("test", test)):
        if not part:
            raise InputError(
                f'--select-on dev needs items with "split": "{name}" and there are none '
                "(a 'split' field per item: dev items choose the combination, test items "
                "report it)",
                path,
            )
    return dev, test
