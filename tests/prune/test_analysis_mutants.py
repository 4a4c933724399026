"""Analysis edge cases: missing relations, the random-control mean, soft masks in the
specialization matrix, refusing masks of other models, Jaccard of empty and one-weight layers,
majority votes with an even number of masks, and the identity a combination carries."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from bertology.data.facts import Fact
from bertology.errors import InputError
from bertology.prune.analysis import (
    combine_masks,
    evaluate_mask,
    jaccard_overlap,
    random_control,
    relation_metrics,
    specialization_matrix,
    subnetwork_vs_controls,
)
from bertology.prune.masks import SubnetworkMask
from bertology.prune.targets import Target, find_targets


def _mask(targets, relation, seed, p, **kw):
    g = torch.Generator().manual_seed(seed)
    keep = {t.name: torch.rand(t.shape, generator=g) > p for t in targets}
    return SubnetworkMask(relation, targets, keep, model_shape_hash=kw.pop("h", "h"), **kw)


@pytest.fixture()
def targets(tiny_bert):
    return find_targets(tiny_bert, "all")


# two one-weight layers: counts small enough to check Jaccard's edge cases by hand
T0 = Target("l0.w", 0, "query", (1, 2))
T1 = Target("l1.w", 1, "query", (1, 2))


def _tiny(relation: str, l0: list[bool], l1: list[bool]) -> SubnetworkMask:
    keep = {"l0.w": torch.tensor([l0]), "l1.w": torch.tensor([l1])}
    return SubnetworkMask(relation, [T0, T1], keep, model_shape_hash="h")


def test_relation_metrics_of_a_relation_without_facts_are_nan_with_n_zero(
    tiny_bert: Any, wordpiece_tokenizer: Any, small_facts: list[Fact]
) -> None:
    capital = [f for f in small_facts if f.relation == "capital"]
    ev = evaluate_mask(tiny_bert, wordpiece_tokenizer, capital)
    got = relation_metrics(ev, "material")
    assert got["n"] == 0
    assert all(math.isnan(got[k]) for k in ("p@1", "p@10", "mrr"))
    assert relation_metrics(ev, "capital")["n"] == len(capital)


def test_random_control_metrics_are_the_mean_over_seeds(
    tiny_bert: Any, wordpiece_tokenizer: Any, small_facts: list[Fact], targets: list[Target]
) -> None:
    """``random`` is the arithmetic mean of the per-seed metrics, each seed's metrics are those
    of evaluating ``random_control(mask, seed)``, and one seed alone works too."""
    tok = wordpiece_tokenizer
    facts = [f for f in small_facts if f.relation == "capital"]
    mask = _mask(targets, "capital", 0, 0.4)
    got = subnetwork_vs_controls(tiny_bert, tok, facts, mask, seeds=(0, 1, 2))
    per_seed = [
        relation_metrics(evaluate_mask(tiny_bert, tok, facts, random_control(mask, s)), "capital")
        for s in (0, 1, 2)
    ]
    assert got["random_seeds"] == per_seed
    for k in ("p@1", "p@10", "mrr"):
        assert got["random"][k] == pytest.approx(sum(r[k] for r in per_seed) / 3)
    assert got["random"]["mrr"] > 0
    assert got["random"]["n"] == len(facts)
    one = subnetwork_vs_controls(tiny_bert, tok, facts, mask, seeds=(1,), full=got["full"])
    assert one["random"] == {**per_seed[1]}


def test_specialization_with_soft_asked_uses_hard_masks_that_have_no_soft_values(
    tiny_bert: Any, wordpiece_tokenizer: Any, small_facts: list[Fact], targets: list[Target]
) -> None:
    """``soft=True`` applies σ(G) only to masks that store it; a hard-only mask is evaluated
    hard (no error), so the matrix equals the one computed with ``soft=False``."""
    tok = wordpiece_tokenizer
    masks = {
        "capital": _mask(targets, "capital", 0, 0.3),
        "material": _mask(targets, "material", 1, 0.3),
    }
    by_rel = {r: [f for f in small_facts if f.relation == r] for r in masks}
    hard = specialization_matrix(tiny_bert, tok, by_rel, masks, soft=False)
    soft = specialization_matrix(tiny_bert, tok, by_rel, masks, soft=True)
    assert soft["p@1"] == hard["p@1"]


def test_masks_of_another_model_or_layer_range_are_refused(targets: list[Target]) -> None:
    """Overlap and combination refuse a pair whose shape hash differs (same target names) or
    whose targets differ (same shape hash), whichever of the masks is the odd one out."""
    a = _mask(targets, "a", 0, 0.5)
    other_model = _mask(targets, "b", 1, 0.5, h="other")
    other_layers = _mask([t for t in targets if t.layer == 0], "c", 2, 0.5)
    for bad in (other_model, other_layers):
        for pair in ([a, bad], [bad, a], [a, a, bad], [a, bad, a]):
            with pytest.raises(InputError, match="different models or layer ranges"):
                jaccard_overlap(pair)
            with pytest.raises(InputError, match="different models or layer ranges"):
                combine_masks(pair, "union")


def test_jaccard_of_one_mask_and_of_empty_and_one_weight_layers() -> None:
    """By hand: layer 0, a keeps one weight and b none (|A∪B| = 1, J = 0), a and c keep the same
    one weight (J = 1); layer 1, a and b keep nothing (J of two empty sets = 1). A single mask
    has overlap 1 with itself."""
    a = _tiny("a", [True, False], [False, False])
    b = _tiny("b", [False, False], [False, False])
    c = _tiny("c", [True, False], [False, True])
    ov = jaccard_overlap([a, b, c])
    assert ov["per_layer"]["0"] == [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    assert ov["per_layer"]["1"] == [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert ov["overall"][0][2] == pytest.approx(1 / 2)
    single = jaccard_overlap([c])
    assert single["overall"] == [[1.0]] and single["per_layer"]["0"] == [[1.0]]


def test_majority_of_an_even_number_of_masks_needs_more_than_half() -> None:
    """With 4 masks a weight kept by exactly 2 is not a majority; kept by 3 it is. With 2 masks
    majority is the intersection."""
    ms = [
        _tiny("a", [True, True], [True, False]),
        _tiny("b", [True, True], [False, False]),
        _tiny("c", [True, False], [False, False]),
        _tiny("d", [False, False], [True, False]),
    ]
    maj = combine_masks(ms, "majority")
    assert maj.keep["l0.w"].tolist() == [[True, False]]  # 3 votes, 2 votes
    assert maj.keep["l1.w"].tolist() == [[False, False]]  # 2 votes, 0 votes
    two = combine_masks(ms[:2], "majority")
    assert two.keep["l1.w"].tolist() == [[False, False]]  # 1 vote of 2
    assert two.keep["l0.w"].tolist() == [[True, True]]


def test_a_combination_carries_the_first_masks_model_identity() -> None:
    """The combined (hard) mask is written with the first mask's model name, fingerprint and
    threshold; a combination of a single mask is that mask's kept weights."""
    a = _tiny("a", [True, False], [False, True])
    b = _tiny("b", [True, True], [False, False])
    a.model_name, a.model_fingerprint, a.threshold = "bert-base", "fa", 0.3
    b.model_name, b.model_fingerprint, b.threshold = "/models/bert-base", "fb", 0.5
    for how in ("union", "intersection", "majority"):
        out = combine_masks([a, b], how)
        assert (out.model_name, out.model_fingerprint, out.threshold) == ("bert-base", "fa", 0.3)
        assert out.mode == "deterministic" and out.soft is None
        solo = combine_masks([b], how)
        assert solo.model_name == "/models/bert-base"
        assert {k: v.tolist() for k, v in solo.keep.items()} == {
            k: v.tolist() for k, v in b.keep.items()
        }
