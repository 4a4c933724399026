"""Analyses: random control, Jaccard overlap, combinations, sparsity, specialization."""

from __future__ import annotations

import pytest
import torch

from bertology.errors import InputError
from bertology.prune.analysis import (
    combine_masks,
    jaccard_overlap,
    random_control,
    sparsity_stats,
    specialization_matrix,
)
from bertology.prune.masks import SubnetworkMask
from bertology.prune.targets import find_targets


def _mask(targets, relation, seed, p):
    g = torch.Generator().manual_seed(seed)
    keep = {t.name: torch.rand(t.shape, generator=g) > p for t in targets}
    return SubnetworkMask(relation, targets, keep, model_shape_hash="h")


@pytest.fixture()
def targets(tiny_bert):
    return find_targets(tiny_bert, "all")


def test_random_control_matches_the_sparsity_of_every_matrix(targets):
    # a mask with a different sparsity in every matrix
    keep = {}
    g = torch.Generator().manual_seed(0)
    for i, t in enumerate(targets):
        keep[t.name] = torch.rand(t.shape, generator=g) < (i + 1) / (len(targets) + 2)
    mask = SubnetworkMask("capital", targets, keep)
    controls = [random_control(mask, seed) for seed in (0, 1, 2)]
    for c in controls:
        for t in targets:
            assert int(c.keep[t.name].sum()) == int(mask.keep[t.name].sum()), t.name
    assert not torch.equal(controls[0].keep[targets[0].name], controls[1].keep[targets[0].name])
    assert not torch.equal(controls[0].keep[targets[0].name], mask.keep[targets[0].name])


def test_jaccard_overlap_matches_a_brute_force_count(targets):
    a, b = _mask(targets, "a", 0, 0.5), _mask(targets, "b", 1, 0.3)
    ov = jaccard_overlap([a, b])
    ka = torch.cat([a.keep[t.name].reshape(-1) for t in targets])
    kb = torch.cat([b.keep[t.name].reshape(-1) for t in targets])
    want = float((ka & kb).sum()) / float((ka | kb).sum())
    assert ov["overall"][0][1] == pytest.approx(want)
    assert ov["overall"][0][0] == 1.0 and ov["overall"][1][0] == ov["overall"][0][1]
    layer1 = [t for t in targets if t.layer == 1]
    la = torch.cat([a.keep[t.name].reshape(-1) for t in layer1])
    lb = torch.cat([b.keep[t.name].reshape(-1) for t in layer1])
    assert ov["per_layer"]["1"][0][1] == pytest.approx(
        float((la & lb).sum()) / float((la | lb).sum())
    )


def test_union_intersection_and_majority_combine_kept_weights(targets):
    ms = [_mask(targets, r, s, 0.5) for r, s in (("a", 0), ("b", 1), ("c", 2))]
    t = targets[0].name
    k = torch.stack([m.keep[t] for m in ms])
    assert torch.equal(combine_masks(ms, "union").keep[t], k.any(0))
    assert torch.equal(combine_masks(ms, "intersection").keep[t], k.all(0))
    assert torch.equal(combine_masks(ms, "majority").keep[t], k.sum(0) >= 2)
    with pytest.raises(InputError, match="known combinations"):
        combine_masks(ms, "xor")


def test_sparsity_is_reported_per_matrix_and_per_layer(targets):
    keep = {
        t.name: torch.zeros(t.shape, dtype=torch.bool)
        if t.layer == 0
        else torch.ones(t.shape, dtype=torch.bool)
        for t in targets
    }
    s = sparsity_stats(SubnetworkMask("x", targets, keep))
    assert s["per_layer"] == {"0": 1.0, "1": 0.0}
    assert s["overall"] == pytest.approx(0.5)
    assert all(v in (0.0, 1.0) for v in s["per_matrix"].values())


def test_specialization_matrix_has_a_row_per_relation_and_a_column_per_mask(
    tiny_bert, wordpiece_tokenizer, small_facts, targets
):
    masks = {
        "capital": _mask(targets, "capital", 0, 0.2),
        "material": _mask(targets, "material", 1, 0.2),
    }
    by_rel = {r: [f for f in small_facts if f.relation == r] for r in masks}
    spec = specialization_matrix(tiny_bert, wordpiece_tokenizer, by_rel, masks)
    assert spec["relations"] == ["capital", "material"]
    assert len(spec["p@1"]) == 2 and all(len(row) == 2 for row in spec["p@1"])
    p = spec["p@1"]
    assert spec["mean_offdiagonal_drop"] == pytest.approx(
        ((p[0][0] - p[0][1]) + (p[1][1] - p[1][0])) / 2
    )


def test_relation_candidates_rank_within_the_relations_objects(
    tiny_bert, wordpiece_tokenizer, small_facts, targets
):
    """With --candidates relation every gold rank is at most its full-vocabulary rank and at
    most the number of the relation's objects; the metrics are not the same as over all."""
    from bertology.prune.analysis import evaluate_mask, subnetwork_vs_controls

    mask = _mask(targets, "capital", 0, 0.3)
    facts = [f for f in small_facts if f.relation == "capital"]
    kw = {"candidates": "relation", "candidate_facts": small_facts}
    n_objects = len({f.object for f in facts})
    for m in (None, mask):
        every = evaluate_mask(tiny_bert, wordpiece_tokenizer, facts, m)
        rel = evaluate_mask(tiny_bert, wordpiece_tokenizer, facts, m, **kw)
        assert [s.fact for s in rel.scores] == [s.fact for s in every.scores]
        for a, b in zip(rel.scores, every.scores, strict=True):
            assert 1 <= a.rank <= min(b.rank, n_objects)
    both = {
        c: subnetwork_vs_controls(
            tiny_bert, wordpiece_tokenizer, facts, mask, candidates=c, candidate_facts=small_facts
        )
        for c in ("all", "relation")
    }
    for k in ("full", "subnetwork", "random"):
        assert both["relation"][k]["mrr"] >= both["all"][k]["mrr"]
        assert both["relation"][k]["mrr"] >= 1 / n_objects
