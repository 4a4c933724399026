"""P@k and MRR from ranks; per-relation, macro (mean over relations) and micro (over facts)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class RankMetrics:
    """Metrics of one group of facts. ``p_at`` maps k to P@k; ranks are 1-based."""

    n: int
    p_at: dict[int, float]
    mrr: float
    skipped: int = 0

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"n": self.n, "skipped": self.skipped}
        d.update({f"p@{k}": v for k, v in sorted(self.p_at.items())})
        d["mrr"] = self.mrr
        return d


def rank_metrics(
    ranks: Sequence[int], ks: Iterable[int] = (1, 10), skipped: int = 0
) -> RankMetrics:
    """P@k = fraction of ranks <= k; MRR = mean of 1/rank. Empty -> NaN metrics, n = 0."""
    ks = sorted(set(ks))
    n = len(ranks)
    if n == 0:
        nan = float("nan")
        return RankMetrics(0, {k: nan for k in ks}, nan, skipped)
    if any(r < 1 for r in ranks):
        raise ValueError("ranks are 1-based")
    p_at = {k: sum(r <= k for r in ranks) / n for k in ks}
    mrr = sum(1.0 / r for r in ranks) / n
    return RankMetrics(n, p_at, mrr, skipped)


def aggregate(
    ranks_by_relation: dict[str, Sequence[int]],
    skipped_by_relation: dict[str, int] | None = None,
    ks: Iterable[int] = (1, 10),
) -> dict[str, Any]:
    """``{"relations": {r: {...}}, "macro": {...}, "micro": {...}}``.

    Macro averages the per-relation metrics over relations with at least one scored fact;
    micro pools every scored fact.
    """
    ks = sorted(set(ks))
    skipped_by_relation = skipped_by_relation or {}
    names = sorted(set(ranks_by_relation) | set(skipped_by_relation))
    per = {
        r: rank_metrics(ranks_by_relation.get(r, []), ks, skipped_by_relation.get(r, 0))
        for r in names
    }
    scored = [m for m in per.values() if m.n > 0]
    nan = float("nan")
    macro: dict[str, Any] = {"n_relations": len(scored)}
    for k in ks:
        macro[f"p@{k}"] = sum(m.p_at[k] for m in scored) / len(scored) if scored else nan
    macro["mrr"] = sum(m.mrr for m in scored) / len(scored) if scored else nan
    all_ranks = [r for rel in names for r in ranks_by_relation.get(rel, [])]
    micro = rank_metrics(all_ranks, ks, sum(skipped_by_relation.values())).as_dict()
    return {"relations": {r: m.as_dict() for r, m in per.items()}, "macro": macro, "micro": micro}
