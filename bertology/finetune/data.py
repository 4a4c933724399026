"""A fine-tuning task as data: examples with label ids, split into train, dev and test.

Every reader (local files, GLUE, the world's fact verification) yields :class:`RawExample`
rows with their label as text; :func:`build_task` turns them into a :class:`Task`, the one
place where label names become ids, a label outside the label set is refused with its file
and line, and a dev set is held out of train (seeded) when the source has none.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bertology.errors import InputError, quote, source_of

KINDS = ("single", "pair", "choice")
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class RawExample:
    """One row as read: ``texts`` (one text, a pair, or a choice's context, possibly empty),
    ``choices`` for multiple choice, the label as text, and ``source`` (``"file:line"``)."""

    texts: tuple[str, ...]
    label: str
    choices: tuple[str, ...] = ()
    source: str | None = None


@dataclass(frozen=True)
class Example:
    """One input with its label id: ``texts`` is ``(text,)`` or ``(text_a, text_b)``; for
    multiple choice ``texts`` is the context (``()`` or ``(question,)``) and ``label`` indexes
    ``choices``."""

    texts: tuple[str, ...]
    label: int
    choices: tuple[str, ...] = ()
    source: str | None = None


@dataclass
class Task:
    """Train, dev and test examples of one task and its labels (names in id order)."""

    name: str
    kind: str  # one of KINDS
    labels: list[str]
    train: list[Example]
    dev: list[Example]
    test: list[Example]
    info: dict[str, Any] = field(default_factory=dict)  # where each split came from

    @property
    def num_labels(self) -> int:
        return len(self.labels)

    def summary(self) -> dict[str, Any]:
        """The task as ``results.json`` reports it."""
        return {
            "name": self.name,
            "kind": self.kind,
            "labels": list(self.labels),
            "n": {s: len(getattr(self, s)) for s in SPLITS},
            **self.info,
        }


def label_text(value: Any, source: str | None) -> str:
    """A label as text: a string or an integer (``1`` and ``"1"`` are the same label)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(
            f"expected a label that is a string or an integer, got {quote(repr(value))}",
            *source_of(source),
        )
    text = str(value).strip()
    if not text:
        raise InputError("expected a label, got an empty string", *source_of(source))
    return text


def _label_order(found: set[str]) -> list[str]:
    """Integer labels in numeric order (``2`` before ``10``), others alphabetically."""
    if all(re.fullmatch(r"-?\d+", x) for x in found):
        return sorted(found, key=int)
    return sorted(found)


def hold_out(
    rows: Sequence[Example], fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """``(train, dev)``: a seeded ``fraction`` of ``rows`` (at least one) held out as dev,
    both in their original order."""
    n_dev = max(1, round(fraction * len(rows)))
    if len(rows) - n_dev < 1:
        raise InputError(
            f"{len(rows)} training example(s): too few to hold out a dev set; give a dev split"
        )
    order = list(range(len(rows)))
    random.Random(f"dev:{seed}").shuffle(order)
    dev = set(order[:n_dev])
    return [r for i, r in enumerate(rows) if i not in dev], [rows[i] for i in sorted(dev)]


def build_task(
    name: str,
    kind: str,
    splits: dict[str, list[RawExample]],
    labels: Sequence[str] | None = None,
    dev_fraction: float = 0.1,
    split_seed: int = 0,
    info: dict[str, Any] | None = None,
) -> Task:
    """A :class:`Task` from rows by split (``dev`` may be missing: then it is held out of
    train). ``labels`` fixes the label set and its order; by default it is the training
    labels (integers in numeric order). Multiple choice labels are choice indices."""
    info = dict(info or {})
    train = splits.get("train") or []
    if not train:
        raise InputError(f"task {name!r} has no training examples")
    if kind == "choice":
        n_choices = len(train[0].choices)
        label_set = [str(i) for i in range(n_choices)]
        where = "the choice indices 0.." + str(n_choices - 1)
    else:
        label_set = list(labels) if labels is not None else _label_order({r.label for r in train})
        where = "--labels" if labels is not None else "the training labels"
        if len(label_set) < 2:
            raise InputError(
                f"task {name!r}: only one label ({label_set[0]!r}) in the training examples; "
                "a classifier needs at least two"
            )
    ids = {x: i for i, x in enumerate(label_set)}

    def convert(rows: list[RawExample]) -> list[Example]:
        out = []
        for r in rows:
            if kind == "choice" and len(r.choices) != len(label_set):
                raise InputError(
                    f"expected {len(label_set)} choices, as the first training example has, "
                    f"got {len(r.choices)}",
                    *source_of(r.source),
                )
            if r.label not in ids:
                raise InputError(
                    f"label {quote(r.label)} is not in the label set {label_set} ({where})",
                    *source_of(r.source),
                )
            out.append(Example(r.texts, ids[r.label], r.choices, r.source))
        return out

    every = {split: convert(rows) for split, rows in splits.items()}  # each row checked
    if not every.get("test"):
        raise InputError(f"task {name!r} has no test examples")
    if "dev" not in every:  # held out after the label set is read from all of train
        every["train"], every["dev"] = hold_out(every["train"], dev_fraction, split_seed)
        info["dev_from"] = f"{dev_fraction:g} of train, held out with seed {split_seed}"
    elif not every["dev"]:
        raise InputError(f"task {name!r} has an empty dev split")
    return Task(name, kind, label_set, every["train"], every["dev"], every["test"], info)
