"""Subnetworks for multiple choice: relations' masks combined, and the combination chosen on dev.

A candidate is a non-empty set of relations from a prune run and a way to combine their
masks (:func:`bertology.prune.analysis.combine_masks`: union, intersection or majority).
One relation is its own hard mask (every way of combining one mask gives it back), so it is
one candidate, not three. Candidates come in a fixed order: smaller sets first, sets in the
order of the relations given, ways of combining in the order given.

**Selection looks only at dev.** :func:`select_on_dev` scores every candidate on the dev items,
takes the first candidate with the highest dev accuracy (ties: the earlier, hence smaller, one)
and then scores that one candidate, and no other, on the test items. The test items reach the
scorer once, for the chosen candidate, so no number measured on test can steer the choice.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bertology.choice.data import ChoiceItem
from bertology.choice.scoring import ItemScore
from bertology.errors import InputError
from bertology.prune.analysis import combine_masks
from bertology.prune.followup import load_run_masks
from bertology.prune.masks import SubnetworkMask


@dataclass(frozen=True)
class Candidate:
    """Relations whose masks are combined, and how (None: one relation's own mask)."""

    relations: tuple[str, ...]
    how: str | None = None

    @property
    def label(self) -> str:
        """``capital`` or ``union(capital,material)``."""
        return self.relations[0] if self.how is None else f"{self.how}({','.join(self.relations)})"

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "relations": list(self.relations), "combine": self.how}


def single_candidate(relations: Sequence[str], how: str) -> Candidate:
    """The one candidate of a run without selection."""
    return Candidate(tuple(relations), None if len(relations) == 1 else how)


def candidates(relations: Sequence[str], modes: Sequence[str]) -> list[Candidate]:
    """Every non-empty subset of ``relations`` × every way in ``modes`` (a singleton once)."""
    out: list[Candidate] = []
    for size in range(1, len(relations) + 1):
        for subset in itertools.combinations(relations, size):
            if size == 1:
                out.append(Candidate(subset))
            else:
                out += [Candidate(subset, how) for how in modes]
    return out


def load_relation_masks(
    run: str | Path, model: Any, relations: Sequence[str] | None
) -> dict[str, SubnetworkMask]:
    """The masks of ``relations`` (all of the run's when None) from a prune run, each checked
    against ``model`` (a mask made for another model is an error naming its file). An unknown
    relation is an error listing the relations that have masks."""
    masks = load_run_masks(run, model)
    for r in relations or []:
        if r not in masks:
            raise InputError(
                f"unknown relation {r!r}: the prune run has masks for "
                f"{', '.join(sorted(masks)) or '(none)'}",
                run,
            )
    names = list(relations) if relations else sorted(masks)
    return {r: masks[r] for r in names}


def subnetwork(masks: Mapping[str, SubnetworkMask], candidate: Candidate) -> SubnetworkMask:
    """The hard mask of ``candidate``: its relations' keep bits combined."""
    return combine_masks(
        [masks[r] for r in candidate.relations], candidate.how or "union", name=candidate.label
    )


def choose(dev_accuracies: Sequence[float]) -> int:
    """The first index with the highest dev accuracy."""
    best = 0
    for i in range(1, len(dev_accuracies)):
        if dev_accuracies[i] > dev_accuracies[best]:
            best = i
    return best


@dataclass
class Selection:
    """Every candidate's dev scores, the chosen one, and its test scores."""

    candidates: list[Candidate]
    dev: list[list[ItemScore]]
    chosen: int
    test: list[ItemScore] = field(default_factory=list)

    @property
    def dev_accuracies(self) -> list[float]:
        return [sum(s.correct for s in d) / len(d) for d in self.dev]


Scorer = Callable[[Candidate, Sequence[ChoiceItem]], list[ItemScore]]


def select_on_dev(
    cands: Sequence[Candidate],
    dev: Sequence[ChoiceItem],
    test: Sequence[ChoiceItem],
    score: Scorer,
    on_candidate: Callable[[Candidate, list[ItemScore]], None] | None = None,
) -> Selection:
    """Score every candidate on ``dev`` (``score(candidate, items)``), choose by dev accuracy,
    then score only the chosen candidate on ``test``. ``on_candidate`` sees each dev result."""
    if not cands:
        raise InputError("no candidate combinations to choose from")
    if not dev or not test:
        raise InputError("selection needs dev and test items")
    dev_scores = []
    for c in cands:
        scored = score(c, dev)
        dev_scores.append(scored)
        if on_candidate is not None:
            on_candidate(c, scored)
    sel = Selection(list(cands), dev_scores, 0)
    sel.chosen = choose(sel.dev_accuracies)
    sel.test = score(cands[sel.chosen], test)
    return sel
