"""Edges of P@k / MRR aggregation: invalid ranks refused, per-relation skip counts exact."""

from __future__ import annotations

import pytest

from bertology.probe.metrics import aggregate, rank_metrics


@pytest.mark.parametrize("ranks", [[1, 0], [3, -2], [0]])
def test_ranks_below_one_are_refused_not_scored(ranks: list[int]) -> None:
    """Ranks are 1-based: a 0 or negative rank (one bad rank among good ones too) is an error.

    A negative rank would otherwise count as a hit for every k and add a negative reciprocal
    to the MRR; a rank 0 would divide by zero.
    """
    with pytest.raises(ValueError, match="1-based"):
        rank_metrics(ranks, ks=(1, 10))


def test_rank_one_is_accepted_and_counted_everywhere() -> None:
    """The smallest valid rank, 1, is a hit at every k and contributes 1 to the MRR."""
    m = rank_metrics([1], ks=(1, 5))
    assert m.p_at == {1: 1.0, 5: 1.0} and m.mrr == 1.0 and m.n == 1


def test_relation_missing_from_skip_counts_reports_zero_skipped() -> None:
    """A relation with ranks but no entry in the skip counts skipped nothing (0, not 1 or -1);
    a relation given only a skip count reports that count."""
    agg = aggregate({"a": [2, 1], "b": [4]}, {"b": 3}, ks=(1,))
    assert agg["relations"]["a"]["skipped"] == 0
    assert agg["relations"]["b"]["skipped"] == 3
    assert agg["micro"]["skipped"] == 3 and agg["micro"]["n"] == 3
    # by hand: P@1 of a = 1/2, of b = 0; MRR of a = (1/2 + 1) / 2, of b = 1/4
    assert agg["macro"]["p@1"] == pytest.approx((0.5 + 0.0) / 2)
    assert agg["macro"]["mrr"] == pytest.approx((0.75 + 0.25) / 2)
    assert agg["micro"]["mrr"] == pytest.approx((0.5 + 1 + 0.25) / 3)


def test_without_skip_counts_every_relation_reports_zero_skipped() -> None:
    """``skipped_by_relation=None``: every relation and the micro pool report 0 skipped."""
    agg = aggregate({"a": [1], "b": [3, 1]}, None, ks=(1, 10))
    assert [agg["relations"][r]["skipped"] for r in ("a", "b")] == [0, 0]
    assert agg["micro"]["skipped"] == 0
