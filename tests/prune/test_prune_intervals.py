"""95% bootstrap intervals of the prune analyses: every P@1 carries ``p@1_ci`` (over facts) and
``n``, and every difference of P@1 on the same facts is bootstrapped *paired*, on per-fact
differences. The evaluations are stand-ins with hand-made per-fact hits, so each interval can
be checked against :func:`bertology.stats.mean_ci` of exactly the values it should resample."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest
import torch

from bertology.data.facts import Fact
from bertology.probe.metrics import aggregate
from bertology.probe.run import Evaluation
from bertology.probe.scoring import FactScore
from bertology.prune import analysis
from bertology.prune.intervals import (
    drop_per_fact,
    fmt_ci,
    mean_hits,
    mean_over_relations_ci,
    p1_ci,
    paired_difference,
    relation_hits,
)
from bertology.prune.masks import SubnetworkMask
from bertology.prune.targets import Target
from bertology.stats import mean_ci, mean_of_means_ci

A = [Fact(f"a{i}", "A", "x", (f"a{i} is [MASK] .",)) for i in range(8)]
B = [Fact(f"b{i}", "B", "y", (f"b{i} is [MASK] .",)) for i in range(8)]


def _evaluation(hits: dict[Fact, float]) -> Evaluation:
    """An evaluation whose fact ``f`` ranks its gold object 1st (hit) or 2nd (miss)."""
    scores = [FactScore(f, 1 if h else 2, 0.0, [], []) for f, h in hits.items()]
    ranks: dict[str, list[int]] = {}
    for s in scores:
        ranks.setdefault(s.fact.relation, []).append(s.rank)
    return Evaluation(aggregate(ranks, {}, (1, 10)), scores, [], {})


def _mask(relation: str) -> SubnetworkMask:
    t = Target("w", 0, "query", (1, 1))
    return SubnetworkMask(relation, [t], {"w": torch.ones(1, 1, dtype=torch.bool)})


def test_relation_hits_are_per_fact_top_1_in_order() -> None:
    ev = _evaluation({A[0]: 1, B[0]: 0, A[1]: 0, A[2]: 1})
    assert relation_hits(ev, "A") == [1.0, 0.0, 1.0]
    assert relation_hits(ev, "B") == [0.0]
    assert relation_hits(ev, "C") == []


def test_a_p_at_1_interval_contains_the_value_and_needs_two_facts() -> None:
    hits = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0]
    ci = p1_ci(hits)
    assert ci == mean_ci(hits, 0)
    assert ci[0] <= sum(hits) / len(hits) <= ci[1] and ci[0] < ci[1]
    assert p1_ci([1.0]) is None and p1_ci([]) is None
    assert p1_ci([1.0, 1.0]) == [1.0, 1.0]


def test_relation_metrics_carry_the_interval_of_their_own_facts() -> None:
    hits = {**{f: float(i % 3 == 0) for i, f in enumerate(A)}, B[0]: 1.0}
    ev = _evaluation(hits)
    a = analysis.relation_metrics(ev, "A")
    assert a["n"] == 8 and a["p@1"] == pytest.approx(3 / 8)
    assert a["p@1_ci"] == mean_ci([float(i % 3 == 0) for i in range(8)], 0)
    assert a["p@1_ci"][0] <= a["p@1"] <= a["p@1_ci"][1]
    b = analysis.relation_metrics(ev, "B")
    assert b["n"] == 1 and b["p@1_ci"] is None  # one fact: no interval
    none = analysis.relation_metrics(ev, "C")
    assert none["n"] == 0 and none["p@1_ci"] is None and math.isnan(none["p@1"])


def test_a_difference_of_identical_hits_has_the_interval_zero_zero_when_paired() -> None:
    """Both models hit the same facts: the paired difference is exactly 0 with interval
    [0, 0]; subtracting the two unpaired intervals would give a wide one."""
    hits = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    d = paired_difference(hits, hits)
    assert d == {"diff": 0.0, "diff_ci": [0.0, 0.0], "n": 8}
    lo, hi = mean_ci(hits, 0)
    assert hi - lo > 0.3  # what an unpaired comparison would have to work with


def test_a_paired_difference_resamples_per_fact_differences() -> None:
    a = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0]
    b = [0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    d = paired_difference(a, b)
    assert d["diff"] == pytest.approx(0.2) and d["n"] == 10
    assert d["diff_ci"] == mean_ci([x - y for x, y in zip(a, b, strict=True)], 0)
    assert d["diff_ci"][0] >= 0.0  # b never beats a on a fact: no resample goes below 0
    with pytest.raises(ValueError):
        paired_difference(a, b[:-1])
    empty = paired_difference([], [])
    assert math.isnan(empty["diff"]) and empty["diff_ci"] is None and empty["n"] == 0


def test_drop_per_fact_is_own_hit_minus_the_mean_hit_under_the_other_masks() -> None:
    own = [1.0, 0.0, 1.0]
    others = [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    assert drop_per_fact(own, others) == [0.5, -0.5, 1.0]
    assert mean_hits(others) == [0.5, 0.5, 0.0]
    with pytest.raises(ValueError):
        drop_per_fact(own, [[1.0, 0.0]])


def test_mean_over_relations_resamples_within_relations() -> None:
    g1, g2 = [1.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    assert mean_over_relations_ci([g1, [], g2]) == mean_of_means_ci([g1, g2], 0)
    assert mean_over_relations_ci([[], []]) is None
    assert mean_over_relations_ci([g1, [1.0]]) is None  # a one-fact relation: no interval


def test_fmt_ci() -> None:
    assert fmt_ci(0.4123, [0.3, 0.53]) == "0.412 [0.300, 0.530]"
    assert fmt_ci(0.4123, None) == "0.412"
    assert fmt_ci(None, None) == "–"


# --- the analyses, with evaluate_mask replaced by hand-made per-fact hits -----------------

# relation A: identical hits under both masks (paired drop exactly 0, interval [0, 0]);
# relation B: its own mask hits 4 facts, A's mask only 3 of them
HITS = {
    ("A", "A"): [1, 0, 1, 0, 1, 0, 1, 0],
    ("A", "B"): [1, 0, 1, 0, 1, 0, 1, 0],
    ("B", "B"): [1, 1, 1, 1, 0, 0, 0, 0],
    ("B", "A"): [0, 1, 1, 1, 0, 0, 0, 0],
}


def _fake_evaluate(hits: dict[tuple[str, str], Sequence[int]]) -> Any:
    """``evaluate_mask`` returning ``hits[(relation evaluated, mask's relation)]``."""

    def evaluate_mask(model, tokenizer, facts, mask=None, soft=False, batch_size=64, **kw):
        name = "full" if mask is None else mask.relation
        by_fact = {}
        for rel in ("A", "B"):
            chosen = [f for f in facts if f.relation == rel]
            if not chosen:
                continue
            for f, h in zip(chosen, hits[(rel, name)], strict=True):
                by_fact[f] = float(h)
        return _evaluation(by_fact)

    return evaluate_mask


def test_the_specialization_matrix_reports_paired_drops_with_intervals(monkeypatch) -> None:
    monkeypatch.setattr(analysis, "evaluate_mask", _fake_evaluate(HITS))
    spec = analysis.specialization_matrix(
        None, None, {"A": A, "B": B}, {"A": _mask("A"), "B": _mask("B")}
    )
    assert spec["relations"] == ["A", "B"] and spec["n"] == [8, 8]
    for i, ri in enumerate("AB"):
        for j, rj in enumerate("AB"):
            hits = [float(h) for h in HITS[(ri, rj)]]
            assert spec["p@1"][i][j] == pytest.approx(sum(hits) / 8)
            assert spec["p@1_ci"][i][j] == mean_ci(hits, 0)
            lo, hi = spec["p@1_ci"][i][j]
            assert lo <= spec["p@1"][i][j] <= hi
    # A: same hits under both masks -> drop 0 with the paired interval [0, 0]
    assert spec["drop"][0] == 0.0 and spec["drop_ci"][0] == [0.0, 0.0]
    # B: per-fact drops [1, 0, ..., 0]
    diff_b = [1.0] + [0.0] * 7
    assert spec["drop"][1] == pytest.approx(1 / 8)
    assert spec["drop_ci"][1] == mean_ci(diff_b, 0)
    assert spec["mean_offdiagonal_drop"] == pytest.approx(1 / 16)
    assert spec["mean_offdiagonal_drop_ci"] == mean_of_means_ci([[0.0] * 8, diff_b], 0)
    lo, hi = spec["mean_offdiagonal_drop_ci"]
    assert lo <= spec["mean_offdiagonal_drop"] <= hi
    diag = [[float(h) for h in HITS[("A", "A")]], [float(h) for h in HITS[("B", "B")]]]
    assert spec["diagonal_mean_ci"] == mean_of_means_ci(diag, 0)


def test_the_mean_drop_resamples_facts_within_each_relation(monkeypatch) -> None:
    """Relations of 8 and 4 facts: the mean drop is the mean of the two relations' drops (not
    the pooled mean over 12 facts), and its interval resamples within each relation."""
    hits = {
        ("A", "A"): [1, 0, 1, 0, 1, 0, 1, 0],
        ("A", "B"): [1, 0, 0, 0, 1, 0, 1, 0],
        ("B", "B"): [1, 1, 1, 0],
        ("B", "A"): [0, 0, 1, 0],
    }
    monkeypatch.setattr(analysis, "evaluate_mask", _fake_evaluate(hits))
    spec = analysis.specialization_matrix(
        None, None, {"A": A, "B": B[:4]}, {"A": _mask("A"), "B": _mask("B")}
    )
    diff_a, diff_b = [0.0, 0.0, 1.0] + [0.0] * 5, [1.0, 1.0, 0.0, 0.0]
    assert spec["n"] == [8, 4] and spec["drop"] == pytest.approx([1 / 8, 1 / 2])
    assert spec["mean_offdiagonal_drop"] == pytest.approx((1 / 8 + 1 / 2) / 2)
    assert spec["mean_offdiagonal_drop_ci"] == mean_of_means_ci([diff_a, diff_b], 0)
    assert spec["mean_offdiagonal_drop_ci"] != mean_ci(diff_a + diff_b, 0)  # not pooled
    assert spec["drop_ci"] == [mean_ci(diff_a, 0), mean_ci(diff_b, 0)]


def test_a_single_relation_has_no_drop(monkeypatch) -> None:
    monkeypatch.setattr(analysis, "evaluate_mask", _fake_evaluate(HITS))
    spec = analysis.specialization_matrix(None, None, {"A": A}, {"A": _mask("A")})
    assert math.isnan(spec["drop"][0]) and spec["drop_ci"] == [None]
    assert spec["mean_offdiagonal_drop_ci"] is None


def test_controls_carry_intervals_and_paired_differences(monkeypatch) -> None:
    """Random: each fact's hit rate over the seeds is resampled (facts, not seeds, are the
    unit); subnetwork − full and subnetwork − random are paired over facts."""
    hits = {
        ("A", "full"): [1, 0, 1, 0, 0, 0, 1, 0],
        ("A", "A"): [1, 1, 1, 0, 0, 0, 1, 0],
        ("A", "random(A,seed=0)"): [1, 0, 0, 0, 0, 0, 1, 0],
        ("A", "random(A,seed=1)"): [0, 0, 1, 0, 0, 0, 1, 1],
    }
    monkeypatch.setattr(analysis, "evaluate_mask", _fake_evaluate(hits))
    got = analysis.subnetwork_vs_controls(None, None, A, _mask("A"), seeds=(0, 1))
    as_float = {k: [float(h) for h in v] for k, v in hits.items()}
    rand = mean_hits([as_float[("A", "random(A,seed=0)")], as_float[("A", "random(A,seed=1)")]])
    assert rand == [0.5, 0.0, 0.5, 0.0, 0.0, 0.0, 1.0, 0.5]
    assert got["random"]["p@1"] == pytest.approx(sum(rand) / 8)
    assert got["random"]["p@1_ci"] == mean_ci(rand, 0)
    assert got["full"]["p@1_ci"] == mean_ci(as_float[("A", "full")], 0)
    assert got["subnetwork"]["p@1_ci"] == mean_ci(as_float[("A", "A")], 0)
    assert [s["p@1_ci"] for s in got["random_seeds"]] == [
        mean_ci(as_float[("A", f"random(A,seed={s})")], 0) for s in (0, 1)
    ]
    sub = as_float[("A", "A")]
    vs_full = [s - f for s, f in zip(sub, as_float[("A", "full")], strict=True)]
    assert got["subnetwork_minus_full"] == {
        "diff": pytest.approx(1 / 8),
        "diff_ci": mean_ci(vs_full, 0),
        "n": 8,
    }
    vs_random = [s - r for s, r in zip(sub, rand, strict=True)]
    assert got["subnetwork_minus_random"]["diff_ci"] == mean_ci(vs_random, 0)
    assert got["subnetwork_minus_random"]["diff"] == pytest.approx(sum(vs_random) / 8)
    # a full-model result passed in has no per-fact hits: no subnetwork − full then
    given = analysis.subnetwork_vs_controls(None, None, A, _mask("A"), seeds=(0,),
                                            full=got["full"])  # fmt: skip
    assert "subnetwork_minus_full" not in given and "subnetwork_minus_random" in given
