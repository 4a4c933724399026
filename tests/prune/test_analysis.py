"""Analyses: random control, Jaccard overlap, combinations, sparsity, specialization."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
import torch

from bertology.data.facts import Fact
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


def _objects(facts: Sequence[Fact]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in facts:
        out.setdefault(f.relation, set()).add(f.object)
    return out


def test_specialization_matrix_matches_every_cell_evaluated_by_hand(
    scaled_bert: Any,
    wordpiece_tokenizer: Any,
    small_facts: list[Fact],
    reference_ranks: Callable[..., list[int]],
) -> None:
    """Guards the R × R specialization matrix: cell (i, j) is relation i's P@1 under relation
    j's mask. Every cell, off-diagonal included, equals an independent evaluation (the facts
    of i on an HF copy whose weights were multiplied by j's mask by hand), and so do the
    diagonal mean and the mean off-diagonal drop P[i][i] − P[i][j]. The matrix is not
    symmetric, so a transposed matrix or a row's own mask in every column fails."""
    from bertology.prune.train import PruneConfig, train_relation_masks

    tok = wordpiece_tokenizer
    # trained masks specialize (random ones barely move P@1 over four candidates)
    cfg = PruneConfig(layers="all", epochs=30, lr=0.01, batch_size=8, split_ratios=(1.0, 0.0, 0.0))
    trained = train_relation_masks(scaled_bert, tok, small_facts, cfg).relations
    masks = {r: trained[r].mask for r in ("capital", "material")}
    by_rel = {r: [f for f in small_facts if f.relation == r] for r in masks}
    cands = _objects(small_facts)
    kw = {"candidates": "relation", "candidate_facts": small_facts}
    spec = specialization_matrix(scaled_bert, tok, by_rel, masks, **kw)
    rels = ["capital", "material"]
    assert spec["relations"] == rels
    want = [
        [
            sum(r == 1 for r in ranks) / len(ranks)
            for ranks in (
                reference_ranks(scaled_bert, tok, by_rel[ri], cands, masks[rj].keep) for rj in rels
            )
        ]
        for ri in rels
    ]
    assert spec["p@1"] == want
    assert want[0][1] != want[1][0] and want[0][0] != want[0][1]  # the fixture has power
    assert spec["diagonal_mean"] == pytest.approx((want[0][0] + want[1][1]) / 2)
    assert spec["mean_offdiagonal_drop"] == pytest.approx(
        ((want[0][0] - want[0][1]) + (want[1][1] - want[1][0])) / 2
    )


def test_relation_candidates_are_the_objects_of_the_whole_fact_set_not_of_the_evaluated_facts(
    scaled_bert: Any,
    wordpiece_tokenizer: Any,
    small_facts: list[Fact],
    reference_ranks: Callable[..., list[int]],
) -> None:
    """Guards ``candidates="relation"``: each fact is ranked among the objects of its relation
    in ``candidate_facts`` (the whole fact set), not among those of the facts being evaluated
    (a split). Ranks, P@1 and MRR of the full model and of the subnetwork equal an independent
    computation over the whole set's objects, and that computation over the evaluated facts'
    objects alone gives different ranks, so drawing from the split fails."""
    from bertology.prune.analysis import evaluate_mask, subnetwork_vs_controls

    tok = wordpiece_tokenizer
    targets = find_targets(scaled_bert, "all")
    mask = _mask(targets, "capital", 0, 0.3)
    # an evaluated "split": paris and madrid, whose objects the others' can outrank
    facts = [f for f in small_facts if f.subject in ("paris", "madrid")]
    kw = {"candidates": "relation", "candidate_facts": small_facts}
    every, split = _objects(small_facts), _objects(facts)
    assert len(every["capital"]) == 4 and len(split["capital"]) == 2
    want = {}
    for name, m in (("full", None), ("subnetwork", mask)):
        ev = evaluate_mask(scaled_bert, tok, facts, m, **kw)
        assert [s.fact for s in ev.scores] == facts
        want[name] = reference_ranks(scaled_bert, tok, facts, every, m and m.keep)
        assert [s.rank for s in ev.scores] == want[name]
        wrong = reference_ranks(scaled_bert, tok, facts, split, m and m.keep)
        assert wrong != want[name]  # the fixture tells the two candidate sets apart
    got = subnetwork_vs_controls(scaled_bert, tok, facts, mask, **kw)
    for name, ranks in want.items():
        assert got[name]["p@1"] == pytest.approx(sum(r == 1 for r in ranks) / len(ranks))
        assert got[name]["mrr"] == pytest.approx(sum(1 / r for r in ranks) / len(ranks))
