"""Mask parametrization edge cases: config validation bounds, stochastic init at zero sparsity,
the binary-concrete distribution and its noise clamp, expected and hard sparsity."""

from __future__ import annotations

import math

import pytest
import torch

from bertology.errors import InputError
from bertology.prune.masks import (
    MaskConfig,
    SubnetworkMask,
    expected_sparsity,
    inference_masks,
    init_scores,
    stochastic_mask,
)
from bertology.prune.targets import Target


def test_mask_config_accepts_the_closed_ends_and_refuses_the_open_ends() -> None:
    """init_sparsity is in [0, 1), threshold in (0, 1), tau > 0: 0 sparsity is allowed, a
    sparsity or threshold of 1 and a zero temperature are refused with the option's name."""
    assert MaskConfig(init_sparsity=0.0).init_sparsity == 0.0
    with pytest.raises(InputError, match="--init-sparsity"):
        MaskConfig(init_sparsity=1.0)
    with pytest.raises(InputError, match="--threshold"):
        MaskConfig(threshold=1.0)
    with pytest.raises(InputError, match="--tau"):
        MaskConfig(tau=0.0)
    with pytest.raises(InputError, match="--tau"):
        MaskConfig(tau=-0.5)


def test_stochastic_init_at_zero_sparsity_keeps_every_weight() -> None:
    """With init_sparsity 0 (logit(1) is infinite) the stochastic scores start at a finite,
    large value: every weight is kept by the hard mask and σ(G) is close to 1."""
    cfg = MaskConfig(mode="stochastic", init_sparsity=0.0)
    targets = [Target("w", 0, "query", (3, 4))]
    (g,) = init_scores(targets, cfg, torch.Generator().manual_seed(0))
    assert torch.isfinite(g).all()
    (hard,) = inference_masks([g], cfg, hard=True)
    assert bool(hard.all())
    assert float(expected_sparsity([g.detach()], cfg)) == pytest.approx(
        1 - 1 / (1 + math.exp(-6.0)), abs=1e-6
    )


def test_expected_sparsity_is_one_minus_the_mean_sigmoid_over_all_weights() -> None:
    """Brute force: 1 − Σσ(G)/N over every weight of every target (matrices of unequal size)."""
    a = torch.tensor([[0.0, 2.0, -1.0]])
    b = torch.tensor([[3.0], [-4.0]])
    vals = [0.0, 2.0, -1.0, 3.0, -4.0]
    want = 1.0 - sum(1 / (1 + math.exp(-v)) for v in vals) / len(vals)
    got = expected_sparsity([a, b], MaskConfig())
    assert float(got) == pytest.approx(want, abs=1e-6)


def test_binary_concrete_samples_follow_the_closed_form_cdf() -> None:
    """A binary-concrete sample X = σ((G + L)/τ), L logistic, has P(X ≤ y) = σ(τ·logit(y) − G).
    The empirical CDF of many samples matches it for τ = 0.5."""
    g, tau, n = 0.7, 0.5, 200_000
    x = stochastic_mask(torch.full((n,), g), tau, torch.Generator().manual_seed(0))
    for y in (0.1, 0.3, 0.5, 0.8, 0.95):
        want = 1 / (1 + math.exp(-(tau * math.log(y / (1 - y)) - g)))
        assert float((x <= y).float().mean()) == pytest.approx(want, abs=0.01), y


def test_binary_concrete_noise_is_clamped_at_one_minus_1e_6() -> None:
    """The uniform noise is clamped to [1e-6, 1 − 1e-6], so the logistic noise is at most
    logit(1 − 1e-6) ≈ 13.8 and a weight with score G = −20 is never sampled above
    σ((−20 + 13.8)/τ), even over millions of draws (some of which fall above 1 − 1e-6)."""
    n, g, tau = 1 << 22, -20.0, 1.0
    gen_seed = 1
    u = torch.rand((n,), generator=torch.Generator().manual_seed(gen_seed))
    assert int((u > 1 - 1e-6).sum()) > 0  # the draw reaches the clamped region
    x = stochastic_mask(torch.full((n,), g), tau, torch.Generator().manual_seed(gen_seed))
    bound = 1 / (1 + math.exp(-(g + math.log((1 - 1e-6) / 1e-6)) / tau))
    assert float(x.max()) <= bound * (1 + 1e-4)


def test_hard_sparsity_of_a_single_weight_and_of_an_empty_mask() -> None:
    """sparsity is the pruned fraction: 0 for one kept weight, 1 for one pruned weight; a mask
    with no weights reports 1.0 rather than dividing by zero."""
    t = Target("w", 0, "query", (1, 1))
    assert SubnetworkMask("r", [t], {"w": torch.ones(1, 1, dtype=torch.bool)}).sparsity == 0.0
    assert SubnetworkMask("r", [t], {"w": torch.zeros(1, 1, dtype=torch.bool)}).sparsity == 1.0
    assert SubnetworkMask("r", [], {}).sparsity == 1.0
