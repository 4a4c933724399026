"""The ConceptNet-100k TSV of Li et al. 2016 ("Commonsense Knowledge Base Completion", ACL).

One triple a line, fields separated by tabs (heads and tails are phrases with spaces)::

    relation <TAB> head <TAB> tail [<TAB> label]

- ``dev1.txt``, ``dev2.txt``, ``test.txt``: the fourth field is the label, ``1`` (true) or
  ``0`` (false: the negatives of the triple-classification task).
- ``train100k.txt`` (and ``train300k``/``600k``): every triple is true and the fourth field is
  a positive confidence weight (``2.5``), not a label.
- Some copies drop the fourth field: three fields mean a true triple.

So the fourth field reads as a number: ``0`` is false, any positive number true; anything else
(a negative or non-numeric value, two or five fields, an empty field) stops with
``FILE:LINE: what was expected``. Blank lines are skipped. The file has no prompts: each
triple's prompt is its relation's template (``--relations-file``, ``[X]`` = head, ``[Y]`` =
the masked tail), and a relation without one is an error naming it and its first line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from bertology.data.facts import Fact, Relation, deduplicate, read_relations
from bertology.errors import InputError, quote
from bertology.io import iter_text_lines

FIELDS = "relation, head, tail[, label]"


@dataclass
class LabeledTriples:
    """A triple file's true facts and its false ones (label 0), each deduplicated."""

    positives: list[Fact]
    negatives: list[Fact]
    relations: dict[str, Relation]
    duplicates_removed: int = 0
    conflicts: int = 0  # triples labelled both true and false: kept as true only


def _label(text: str, path: Path, lineno: int) -> bool:
    """``True`` for a positive number (label 1 or a confidence weight), ``False`` for 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value < 0:
        raise InputError(
            f"the fourth field must be a label (1 true, 0 false) or a positive confidence "
            f"weight, got {quote(text)}",
            path,
            lineno,
        )
    return value > 0


def read_conceptnet(path: str | Path, relations_file: str | Path | None) -> LabeledTriples:
    """Read a ConceptNet-100k TSV (see the module docstring) with relation templates."""
    path = Path(path)
    if relations_file is None:
        raise InputError(
            "a ConceptNet TSV has no prompts; give --relations-file with a template "
            '({"relation", "template"} with [X] and [Y]) for each relation',
            path,
        )
    relations = read_relations(relations_file)
    pos: list[Fact] = []
    neg: list[Fact] = []
    for lineno, line in iter_text_lines(path):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) not in (3, 4):
            raise InputError(
                f"expected 3 or 4 tab-separated fields ({FIELDS}), got {len(fields)}",
                path,
                lineno,
            )
        for name, value in zip(("relation", "head", "tail"), fields, strict=False):
            if not value:
                raise InputError(f"empty {name} field (expected {FIELDS})", path, lineno)
        relation, head, tail = fields[:3]
        rel = relations.get(relation)
        if rel is None:
            raise InputError(
                f"relation {relation!r} has no template in {relations_file} (known relations: "
                f"{', '.join(sorted(relations))})",
                path,
                lineno,
            )
        true = _label(fields[3], path, lineno) if len(fields) == 4 else True
        fact = Fact(head, relation, tail, (rel.prompt_for(head),), f"{path}:{lineno}")
        (pos if true else neg).append(fact)
    if not pos and not neg:
        raise InputError("no triples in file (empty fact set)", path)
    positives, dupes = deduplicate(pos)
    negatives, neg_dupes = deduplicate(neg)
    true_keys = {f.key for f in positives}
    kept = [f for f in negatives if f.key not in true_keys]
    return LabeledTriples(
        positives, kept, relations, dupes + neg_dupes, conflicts=len(negatives) - len(kept)
    )
