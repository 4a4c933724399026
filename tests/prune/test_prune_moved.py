"""How far a mask moved from its initialisation: ``moved`` is the fraction of all target weights
whose hard mask differs from the hard mask before the first update, checked against a
brute-force count (every weight visited one by one), in the training history and results."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from bertology.data.facts import Fact
from bertology.prune.masks import MaskConfig, hard_keep, init_scores, moved_fraction
from bertology.prune.targets import find_targets
from bertology.prune.train import PruneConfig, relation_seed, train_relation_masks

T = 0.5  # threshold: logit(0.5) = 0, so a weight is kept iff its score is > 0


def _brute_force(initial: list[torch.Tensor], scores: list[torch.Tensor], t: float) -> float:
    """Visit every weight: count those whose σ(G) > t decision differs from its initial one."""
    changed = total = 0
    for k, g in zip(initial, scores, strict=True):
        for before, score in zip(k.reshape(-1).tolist(), g.reshape(-1).tolist(), strict=True):
            now = 1.0 / (1.0 + torch.exp(torch.tensor(-score)).item()) > t
            changed += int(now != before)
            total += 1
    return changed / total


def test_moved_is_zero_when_the_scores_have_not_changed() -> None:
    scores = [torch.tensor([[1.0, -1.0, 2.0]]), torch.tensor([[-3.0], [0.5]])]
    initial = [hard_keep(g, T) for g in scores]
    assert moved_fraction(initial, scores, T) == 0.0
    # moving a score without crossing the threshold does not move the mask either
    nudged = [g + 0.1 * torch.sign(g) for g in scores]
    assert moved_fraction(initial, nudged, T) == 0.0


def test_moved_counts_flipped_weights_over_all_matrices_weighted_by_size() -> None:
    """A (1, 3) matrix with 1 flip and a (4, 2) matrix with 3 flips: 4 of 11 weights moved,
    not the mean of the per-matrix fractions (1/3 + 3/8) / 2, nor 4 of 3 + 4 or 4 of 2."""
    before = [
        torch.tensor([[1.0, -1.0, 2.0]]),
        torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [2.0, -2.0]]),
    ]
    after = [
        torch.tensor([[-1.0, -1.0, 2.0]]),  # 1 flip: kept -> pruned
        torch.tensor([[1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [2.0, -2.0]]),  # 3 flips
    ]
    initial = [hard_keep(g, T) for g in before]
    got = moved_fraction(initial, after, T)
    assert got == pytest.approx(_brute_force(initial, after, T)) == pytest.approx(4 / 11)
    # scores that flipped there and back again have not moved
    assert moved_fraction(initial, before, T) == 0.0
    # every decision reversed: everything moved
    assert moved_fraction(initial, [-g for g in before], T) == 1.0


def test_moved_uses_the_threshold_and_refuses_mismatched_shapes() -> None:
    initial = [torch.tensor([[True, False]])]
    scores = [torch.tensor([[0.3, 0.3]])]  # σ = 0.574: kept at t = 0.5, pruned at t = 0.6
    assert moved_fraction(initial, scores, 0.5) == 0.5
    assert moved_fraction(initial, scores, 0.6) == 0.5
    assert moved_fraction([torch.tensor([[True, True]])], scores, 0.6) == 1.0
    with pytest.raises(ValueError, match="differ"):
        moved_fraction([torch.tensor([[True], [False]])], scores, 0.5)
    with pytest.raises(ValueError):
        moved_fraction(initial + initial, scores, 0.5)


def test_moved_on_random_scores_matches_a_brute_force_count() -> None:
    g = torch.Generator().manual_seed(0)
    before = [torch.randn(3, 5, generator=g), torch.randn(7, 2, generator=g)]
    after = [b + torch.randn(b.shape, generator=g) for b in before]
    initial = [hard_keep(b, 0.4) for b in before]
    expected = _brute_force(initial, after, 0.4)
    assert 0 < expected < 1
    assert moved_fraction(initial, after, 0.4) == pytest.approx(expected)


def test_training_reports_moved_from_the_initial_not_the_previous_mask(
    scaled_bert: Any, wordpiece_tokenizer: Any, small_facts: list[Fact]
) -> None:
    """Every epoch row has ``moved`` in [0, 1]; the kept mask's ``moved`` is a brute-force
    count of its weights whose decision differs from the initial scores' (re-drawn from the
    relation's seed), which a comparison with the previous epoch's mask would not give."""
    cfg = PruneConfig(layers="all", epochs=4, lr=0.05, batch_size=4, patience=0,
                      split_ratios=(1.0, 0.0, 0.0), seed=1)  # fmt: skip
    out = train_relation_masks(scaled_bert, wordpiece_tokenizer, small_facts, cfg)
    targets = find_targets(scaled_bert, cfg.layers)
    mcfg: MaskConfig = cfg.mask_config()
    for rel, rt in out.relations.items():
        gen = torch.Generator().manual_seed(relation_seed(cfg.seed, rel))
        start = [hard_keep(g.detach(), cfg.threshold) for g in init_scores(targets, mcfg, gen)]
        final = [rt.mask.keep[t.name] for t in targets]
        flips = sum(int((a != b).sum()) for a, b in zip(start, final, strict=True))
        total = sum(k.numel() for k in start)
        assert rt.moved == pytest.approx(flips / total)
        assert 0 < rt.moved <= 1  # lr 0.05 on scores 0.05 apart: the mask moved
        assert rt.initial_sparsity == pytest.approx(1 - sum(int(k.sum()) for k in start) / total)
        assert rt.initial_sparsity == pytest.approx(0.5, abs=0.01)
        moved = [row["moved"] for row in rt.history]
        assert len(moved) == 4 and all(0 <= m <= 1 for m in moved)
        assert rt.moved == moved[rt.best_epoch - 1]
        # with no dev split the last epoch is kept: its mask moved, and it moved relative to the
        # *initial* mask (the previous epoch's mask would give only the last epoch's flips)
        assert rt.best_epoch == 4
