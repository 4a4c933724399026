"""P@k and MRR from ranks; per-relation, macro (mean over relations) and micro (over facts).

With ``ci=True`` every metric carries a 95% bootstrap interval over facts
(:mod:`bertology.stats`), under the key ``"<metric>_ci"`` beside the metric (``"p@1_ci": [lo,
hi]``): a relation's and the micro interval resample its facts' 0/1 hits (reciprocal ranks for
MRR); the macro interval resamples each relation's facts within the relation (a stratified
bootstrap of the mean of the relations' means). An interval is ``None`` below 2 facts, and the
macro one is ``None`` when a scored relation has only one fact. A test set of 10 facts moves
P@1 by 0.1 per fact: read the interval, not the point value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bertology.stats import mean_ci, mean_of_means_ci

Interval = list[float] | None


def hits_at(ranks: Sequence[int], k: int) -> list[float]:
    """Per fact, 1.0 when the gold object ranks in the top ``k`` (ranks are 1-based), else 0.0:
    P@k is their mean."""
    return [1.0 if r <= k else 0.0 for r in ranks]


def reciprocal_ranks(ranks: Sequence[int]) -> list[float]:
    """Per fact, 1 / rank: MRR is their mean."""
    return [1.0 / r for r in ranks]


def _per_fact(ranks: Sequence[int], ks: Iterable[int]) -> dict[str, list[float]]:
    """Each metric's per-fact values, keyed as the metric is (``p@1``, ..., ``mrr``)."""
    values = {f"p@{k}": hits_at(ranks, k) for k in ks}
    values["mrr"] = reciprocal_ranks(ranks)
    return values


@dataclass
class RankMetrics:
    """Metrics of one group of facts. ``p_at`` maps k to P@k; ranks are 1-based. ``ci`` maps a
    metric's key (``"p@1"``, ``"mrr"``) to its 95% interval, or is None when not computed."""

    n: int
    p_at: dict[int, float]
    mrr: float
    skipped: int = 0
    ci: dict[str, Interval] | None = None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"n": self.n, "skipped": self.skipped}
        values = {f"p@{k}": v for k, v in sorted(self.p_at.items())}
        values["mrr"] = self.mrr
        for key, v in values.items():
            d[key] = v
            if self.ci is not None:
                d[f"{key}_ci"] = self.ci.get(key)
        return d


def rank_metrics(
    ranks: Sequence[int],
    ks: Iterable[int] = (1, 10),
    skipped: int = 0,
    ci: bool = False,
    seed: int = 0,
) -> RankMetrics:
    """P@k = fraction of ranks <= k; MRR = mean of 1/rank. Empty -> NaN metrics, n = 0.

    ``ci``: add each metric's 95% bootstrap interval over the facts (seeded by ``seed``)."""
    ks = sorted(set(ks))
    n = len(ranks)
    if n == 0:
        nan = float("nan")
        none: dict[str, Interval] = {f"p@{k}": None for k in ks} | {"mrr": None}
        return RankMetrics(0, {k: nan for k in ks}, nan, skipped, none if ci else None)
    if any(r < 1 for r in ranks):
        raise ValueError("ranks are 1-based")
    p_at = {k: sum(r <= k for r in ranks) / n for k in ks}
    mrr = sum(1.0 / r for r in ranks) / n
    intervals = None
    if ci:
        intervals = {key: mean_ci(v, seed) for key, v in _per_fact(ranks, ks).items()}
    return RankMetrics(n, p_at, mrr, skipped, intervals)


def aggregate(
    ranks_by_relation: dict[str, Sequence[int]],
    skipped_by_relation: dict[str, int] | None = None,
    ks: Iterable[int] = (1, 10),
    ci: bool = False,
    seed: int = 0,
) -> dict[str, Any]:
    """``{"relations": {r: {...}}, "macro": {...}, "micro": {...}}``.

    Macro averages the per-relation metrics over relations with at least one scored fact;
    micro pools every scored fact. ``ci``: every metric gets its 95% bootstrap interval
    (``"p@1_ci"``), seeded by ``seed``; see the module's docstring.
    """
    ks = sorted(set(ks))
    skipped_by_relation = skipped_by_relation or {}
    names = sorted(set(ranks_by_relation) | set(skipped_by_relation))
    per = {
        r: rank_metrics(ranks_by_relation.get(r, []), ks, skipped_by_relation.get(r, 0), ci, seed)
        for r in names
    }
    scored = [r for r in names if per[r].n > 0]
    nan = float("nan")
    macro: dict[str, Any] = {"n_relations": len(scored)}
    per_fact = {r: _per_fact(ranks_by_relation[r], ks) for r in scored} if ci else {}
    for k in ks:
        key = f"p@{k}"
        macro[key] = sum(per[r].p_at[k] for r in scored) / len(scored) if scored else nan
        if ci:
            macro[f"{key}_ci"] = _macro_ci([per_fact[r][key] for r in scored], seed)
    macro["mrr"] = sum(per[r].mrr for r in scored) / len(scored) if scored else nan
    if ci:
        macro["mrr_ci"] = _macro_ci([per_fact[r]["mrr"] for r in scored], seed)
    all_ranks = [r for rel in names for r in ranks_by_relation.get(rel, [])]
    micro = rank_metrics(all_ranks, ks, sum(skipped_by_relation.values()), ci, seed).as_dict()
    return {"relations": {r: m.as_dict() for r, m in per.items()}, "macro": macro, "micro": micro}


def _macro_ci(groups: list[list[float]], seed: int) -> Interval:
    """Interval of the mean over relations of each relation's mean (None without relations)."""
    return mean_of_means_ci(groups, seed) if groups else None


def _fmt(value: float, interval: Interval) -> str:
    if interval is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{interval[0]:.3f}, {interval[1]:.3f}]"


def summary_lines(metrics: Mapping[str, Any], keys: Sequence[str] = ("p@1", "mrr")) -> list[str]:
    """A table of ``aggregate``'s result: one line per relation, then macro and micro, each
    metric of ``keys`` with its 95% interval in brackets when there is one."""
    rows = [(r, m) for r, m in metrics["relations"].items() if m["n"] > 0]
    width = max([len("relation"), *(len(r) for r, _ in rows)])
    head = "   ".join(f"{k.upper()} [95% CI]".ljust(24) for k in keys)
    out = [f"{'relation'.ljust(width)}  {'n':>6}   {head.rstrip()}"]

    def line(name: str, n: Any, m: Mapping[str, Any]) -> str:
        cells = "   ".join(_fmt(m[k], m.get(f"{k}_ci")).ljust(24) for k in keys)
        return f"{name.ljust(width)}  {n!s:>6}   {cells.rstrip()}"

    out += [line(r, m["n"], m) for r, m in rows]
    out.append(line("macro", f"{metrics['macro']['n_relations']} rel", metrics["macro"]))
    out.append(line("micro", metrics["micro"]["n"], metrics["micro"]))
    return out
