"""95% bootstrap intervals of P@k and MRR: per relation and micro over facts' 0/1 hits, macro
stratified by relation; checked against ``scipy.stats.bootstrap`` called here directly."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import bootstrap

from bertology.probe.metrics import aggregate, hits_at, rank_metrics, summary_lines

RANKS = {
    "a": [1, 2, 1, 5, 1, 30, 1, 2, 1, 1, 7, 1],
    "b": [3, 1, 12, 1, 1, 2, 40, 9],
    "c": [2, 2, 1, 4, 6, 1, 1, 3, 2, 50, 1, 1, 2, 1],
}
KEYS = ("p@1", "p@10", "mrr")


def scipy_interval(samples: list[list[float]], seed: int = 0) -> list[float]:
    """The 95% percentile bootstrap of the mean (one sample) or of the mean of the samples'
    means (several, each resampled within itself), straight from scipy."""

    def statistic(*xs: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.mean([np.mean(x, axis=axis) for x in xs], axis=0)

    res = bootstrap(
        tuple(np.asarray(s, dtype=float) for s in samples),
        statistic,
        n_resamples=2000,
        confidence_level=0.95,
        method="percentile",
        random_state=seed,
    )
    return [res.confidence_interval.low, res.confidence_interval.high]


def per_fact(ranks: list[int], key: str) -> list[float]:
    if key == "mrr":
        return [1 / r for r in ranks]
    k = int(key[2:])
    return [float(r <= k) for r in ranks]


def test_every_metric_carries_an_interval_that_contains_it() -> None:
    agg = aggregate(RANKS, {"a": 2}, ks=(1, 10), ci=True)
    groups = [*agg["relations"].values(), agg["macro"], agg["micro"]]
    for m in groups:
        for key in KEYS:
            lo, hi = m[f"{key}_ci"]
            assert lo <= m[key] <= hi and lo < hi, (key, m)


def test_relation_and_micro_intervals_are_scipys_bootstrap_of_the_hits() -> None:
    agg = aggregate(RANKS, None, ks=(1, 10), ci=True, seed=3)
    for r, ranks in RANKS.items():
        for key in KEYS:
            want = scipy_interval([per_fact(ranks, key)], seed=3)
            assert agg["relations"][r][f"{key}_ci"] == pytest.approx(want, abs=1e-12), (r, key)
    pooled = [x for ranks in RANKS.values() for x in ranks]
    for key in KEYS:
        want = scipy_interval([per_fact(pooled, key)], seed=3)
        assert agg["micro"][f"{key}_ci"] == pytest.approx(want, abs=1e-12), key


def test_macro_interval_resamples_within_each_relation() -> None:
    agg = aggregate(RANKS, None, ks=(1, 10), ci=True)
    for key in KEYS:
        want = scipy_interval([per_fact(RANKS[r], key) for r in sorted(RANKS)])
        assert agg["macro"][f"{key}_ci"] == pytest.approx(want, abs=1e-12), key
    # not the pooled interval: the macro mean weighs relations, not facts
    assert agg["macro"]["p@1_ci"] != agg["micro"]["p@1_ci"]


def test_below_two_facts_there_is_no_interval() -> None:
    agg = aggregate({"one": [1], "two": [1, 3]}, {"none": 4}, ks=(1,), ci=True)
    assert agg["relations"]["one"]["p@1_ci"] is None and agg["relations"]["one"]["mrr_ci"] is None
    assert agg["relations"]["none"]["p@1_ci"] is None  # skipped only: n = 0
    assert agg["relations"]["two"]["p@1_ci"] == pytest.approx([0.0, 1.0])
    assert agg["macro"]["p@1_ci"] is None  # a relation with one fact cannot be resampled
    assert agg["micro"]["p@1_ci"] is not None and agg["micro"]["n"] == 3
    assert rank_metrics([2], ks=(1,), ci=True).ci == {"p@1": None, "mrr": None}


def test_all_hits_give_a_point_interval() -> None:
    m = rank_metrics([1, 1, 1], ks=(1,), ci=True).as_dict()
    assert m["p@1_ci"] == [1.0, 1.0] and m["mrr_ci"] == [1.0, 1.0]


def test_without_ci_no_interval_keys_appear() -> None:
    agg = aggregate(RANKS, None, ks=(1,))
    assert not [k for m in agg["relations"].values() for k in m if k.endswith("_ci")]
    assert not [k for k in (*agg["macro"], *agg["micro"]) if k.endswith("_ci")]


def test_interval_keys_sit_beside_their_metric() -> None:
    keys = list(rank_metrics([1, 2, 3], ks=(1, 10), ci=True).as_dict())
    assert keys == ["n", "skipped", "p@1", "p@1_ci", "p@10", "p@10_ci", "mrr", "mrr_ci"]


def test_hits_at_k() -> None:
    assert hits_at([1, 2, 10, 11], 10) == [1.0, 1.0, 1.0, 0.0]
    assert hits_at([1, 2], 1) == [1.0, 0.0]


def test_summary_prints_each_relation_macro_and_micro_with_intervals() -> None:
    agg = aggregate({"a": [1, 2, 1, 1], "b": [1]}, {"gone": 2}, ks=(1,), ci=True)
    lines = summary_lines(agg)
    assert "P@1 [95% CI]" in lines[0] and "MRR [95% CI]" in lines[0]
    a = agg["relations"]["a"]
    row = next(line for line in lines if line.startswith("a "))
    assert f"{a['p@1']:.3f} [{a['p@1_ci'][0]:.3f}, {a['p@1_ci'][1]:.3f}]" in row
    assert row.split()[1] == "4"  # n
    b_row = next(line for line in lines if line.startswith("b "))
    assert "[" not in b_row  # one fact: no interval to print
    assert not any(line.startswith("gone") for line in lines)  # nothing scored
    assert lines[-2].startswith("macro") and lines[-1].startswith("micro")
    assert f"[{agg['micro']['p@1_ci'][0]:.3f}," in lines[-1]
