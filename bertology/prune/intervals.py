"""95% bootstrap intervals for the P@1 values and P@1 differences of the prune analyses.

Every P@1 a prune run or ``specialize`` reports is the mean of per-fact 0/1 hits (1 when the
gold object ranks first), so its interval is a seeded percentile bootstrap over facts of that
mean (:func:`bertology.stats.mean_ci`). A *difference* of two P@1 on the same facts (the
subnetwork minus the full model, a relation's own mask minus other relations' masks) is
bootstrapped on the per-fact differences: resampling a fact resamples both of its outcomes
together (a paired bootstrap). Two unpaired intervals would ignore that both P@1 are measured
on the same facts and would be far too wide whenever the two models agree on most facts.

The hits of one relation are listed in the order the evaluation scored them, which is the
order of the facts given to it: evaluations of the same fact list pair up element by element.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bertology.probe.run import Evaluation
from bertology.stats import mean_ci, mean_of_means_ci

CI_SEED = 0  # every interval of a run uses this seed, so re-running gives the same numbers


def relation_hits(ev: Evaluation, relation: str) -> list[float]:
    """Per-fact P@1 hits (1.0 if the gold object ranks first, else 0.0) of ``relation``'s
    scored facts, in evaluation order; their mean is the relation's P@1."""
    return [1.0 if s.rank <= 1 else 0.0 for s in ev.scores if s.fact.relation == relation]


def p1_ci(hits: Sequence[float]) -> list[float] | None:
    """The 95% interval ``[low, high]`` of the mean of ``hits``; None below 2 facts."""
    return mean_ci(list(hits), CI_SEED)


def mean_over_relations_ci(per_relation: Sequence[Sequence[float]]) -> list[float] | None:
    """The interval of the mean over relations of each relation's mean (a macro P@1 from
    per-fact hits, a mean drop from per-fact drops), relations without facts left out,
    resampling facts within each relation; None if a relation has a single fact."""
    groups = [list(h) for h in per_relation if len(h)]
    if not groups:
        return None
    return mean_of_means_ci(groups, CI_SEED)


def mean_hits(runs: Sequence[Sequence[float]]) -> list[float]:
    """Per-fact mean over several evaluations of the same facts (the random control's hit
    rate over its seeds): the random P@1 is their mean, and facts stay the unit resampled."""
    if not runs:
        return []
    n = len(runs[0])
    if any(len(r) != n for r in runs):
        raise ValueError("evaluations of the same facts have different numbers of facts")
    return [sum(r[i] for r in runs) / len(runs) for i in range(n)]


def paired_difference(a: Sequence[float], b: Sequence[float]) -> dict[str, Any]:
    """``{"diff", "diff_ci", "n"}``: mean of ``a − b`` over paired facts and its paired
    bootstrap interval (None below 2 facts; ``diff`` NaN without facts)."""
    if len(a) != len(b):
        raise ValueError(f"paired hits have different lengths ({len(a)} and {len(b)})")
    d = [x - y for x, y in zip(a, b, strict=True)]
    return {
        "diff": sum(d) / len(d) if d else float("nan"),
        "diff_ci": p1_ci(d),
        "n": len(d),
    }


def drop_per_fact(own: Sequence[float], others: Sequence[Sequence[float]]) -> list[float]:
    """Per fact: the hit under the relation's own mask minus the mean hit under the other
    relations' masks. Its mean is the relation's specialization drop."""
    mean_other = mean_hits(others)
    if len(mean_other) != len(own):
        raise ValueError("own and other masks' hits cover different numbers of facts")
    return [o - m for o, m in zip(own, mean_other, strict=True)]


def fmt_ci(value: float | None, ci: Sequence[float] | None, digits: int = 3) -> str:
    """``0.412 [0.300, 0.530]`` for tables; just the value when there is no interval."""
    if value is None:
        return "–"
    text = f"{value:.{digits}f}"
    if ci:
        text += f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"
    return text
