"""P@k and MRR on hand-made ranks and logits."""

from __future__ import annotations

import math

import torch

from bertology.probe.metrics import aggregate, rank_metrics
from bertology.probe.scoring import rank_of, top_predictions


def test_rank_metrics_by_hand():
    m = rank_metrics([1, 2, 5, 20], ks=(1, 10))
    assert m.p_at == {1: 0.25, 10: 0.75}
    assert math.isclose(m.mrr, (1 + 0.5 + 0.2 + 0.05) / 4)


def test_macro_averages_relations_and_micro_pools_facts():
    agg = aggregate({"a": [1, 1], "b": [3, 3, 3, 3, 3, 3]}, {"a": 2}, ks=(1,))
    assert agg["relations"]["a"] == {"n": 2, "skipped": 2, "p@1": 1.0, "mrr": 1.0}
    assert agg["macro"]["p@1"] == 0.5
    assert agg["micro"]["p@1"] == 0.25 and agg["micro"]["n"] == 8 and agg["micro"]["skipped"] == 2


def test_relation_without_scored_facts_is_excluded_from_macro():
    agg = aggregate({"a": [1]}, {"b": 3}, ks=(1,))
    assert agg["macro"]["n_relations"] == 1 and agg["macro"]["p@1"] == 1.0
    assert agg["relations"]["b"]["n"] == 0 and math.isnan(agg["relations"]["b"]["p@1"])


def test_rank_over_vocabulary_and_over_candidates():
    lp = torch.log_softmax(torch.tensor([0.0, 5.0, 3.0, 4.0, 1.0]), dim=0)
    assert rank_of(lp, 2, None) == 3  # ids 1 and 3 score higher
    assert rank_of(lp, 2, torch.tensor([0, 2, 4])) == 1
    ids, vals = top_predictions(lp, torch.tensor([0, 2, 4]), k=2)
    assert ids == [2, 4] and vals[0] > vals[1]
