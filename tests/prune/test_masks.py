"""Mask parametrization: parity with Hugging Face, binary/soft masks, the threshold, gradients,
init sparsity."""

from __future__ import annotations

import copy
import math
import re
from typing import Any

import pytest
import torch

from bertology.errors import InputError
from bertology.models import SmallMLMConfig, build_mlm
from bertology.prune.apply import masked
from bertology.prune.masks import (
    MaskConfig,
    deterministic_mask,
    hard_keep,
    inference_masks,
    init_scores,
    stochastic_mask,
    training_masks,
)
from bertology.prune.targets import Target, find_targets, layer_count


def _model(arch, tok, layers=2):
    return build_mlm(SmallMLMConfig(arch=arch, layers=layers, hidden=32, heads=4, seed=1), tok)


# Hand-written names of the prunable matrices (six per layer), independent of prune.targets
_PRUNABLE = {
    "bert": r"bert\.encoder\.layer\.\d+\.(attention\.self\.(query|key|value)|attention\.output"
    r"\.dense|intermediate\.dense|output\.dense)\.weight",
    "roberta": r"roberta\.encoder\.layer\.\d+\.(attention\.self\.(query|key|value)|attention"
    r"\.output\.dense|intermediate\.dense|output\.dense)\.weight",
    "distilbert": r"distilbert\.transformer\.layer\.\d+\.(attention\.(q|k|v|out)_lin|ffn\.lin[12])"
    r"\.weight",
    "albert": r"albert\.encoder\.albert_layer_groups\.0\.albert_layers\.0\.(attention\.(query|key"
    r"|value|dense)|ffn|ffn_output)\.weight",
}


@pytest.mark.parametrize("soft", [False, True], ids=["half-pruned", "soft"])
@pytest.mark.parametrize("arch", ["bert", "roberta", "distilbert", "albert"])
def test_masked_logits_equal_hugging_face_with_the_weights_multiplied_by_hand(
    arch: str, soft: bool, wordpiece_tokenizer: Any, bpe_tokenizer: Any
) -> None:
    """Guards the mask application: W ⊙ M inside the model gives exactly the logits of a plain
    HF model whose matrices were multiplied by M by hand, for a random mask that prunes about
    half of every matrix (or a soft mask in [0, 1)). A mask that is ignored, applied to the
    wrong matrix, transposed or inverted fails; leaving the context restores the full model."""
    tok = bpe_tokenizer if arch == "roberta" else wordpiece_tokenizer
    model = _model(arch, tok).eval()
    enc = tok(
        ["paris is the capital of france .", "the cat sat ."], padding=True, return_tensors="pt"
    )
    if arch == "distilbert":
        enc.pop("token_type_ids", None)
    g = torch.Generator().manual_seed(0)
    masks = {
        n: torch.rand(p.shape, generator=g) if soft else (torch.rand(p.shape, generator=g) > 0.5)
        for n, p in model.named_parameters()
        if re.fullmatch(_PRUNABLE[arch], n)
    }
    masks = {n: m.float() for n, m in masks.items()}
    assert len(masks) == (6 if arch == "albert" else 12)
    reference = copy.deepcopy(model)
    with torch.no_grad():
        for n, p in reference.named_parameters():
            if n in masks:
                p.mul_(masks[n])
        want = reference(**enc).logits  # (B, T, V)
        full = model(**enc).logits
        before = list(model.named_parameters())
        targets = find_targets(model, "all")
        assert {t.name for t in targets} == set(masks)
        with masked(model, targets) as mm:
            mm.set(masks)
            got = model(**enc).logits
        after = model(**enc).logits
    assert torch.equal(got, want)
    assert (got - full).abs().max() > 1e-3  # the mask matters: an ignored mask fails above
    # leaving the context restores the full model: same parameter objects, same logits
    assert torch.equal(after, full)
    assert all(a is b for (_, a), (_, b) in zip(model.named_parameters(), before, strict=True))


def test_targets_are_six_matrices_per_layer_for_every_architecture(
    wordpiece_tokenizer, bpe_tokenizer
):
    for arch in ("bert", "roberta", "distilbert"):
        tok = bpe_tokenizer if arch == "roberta" else wordpiece_tokenizer
        model = _model(arch, tok, layers=3)
        assert layer_count(model) == 3
        targets = find_targets(model, "1-2")
        assert len(targets) == 12 and {t.layer for t in targets} == {1, 2}
        assert sorted({t.kind for t in targets}) == sorted(
            ["query", "key", "value", "attn_out", "ffn_in", "ffn_out"]
        )
        assert not any("LayerNorm" in t.name or "bias" in t.name for t in targets)
    albert = _model("albert", wordpiece_tokenizer, layers=4)
    assert layer_count(albert) == 1  # one shared layer
    assert len(find_targets(albert, "0-0")) == 6


def test_layer_range_outside_the_model_names_its_layer_count(tiny_bert):
    with pytest.raises(InputError, match="2 prunable layers"):
        find_targets(tiny_bert, "6-11")
    with pytest.raises(InputError, match="LB-LT"):
        find_targets(tiny_bert, "six")


def test_unsupported_architecture_lists_the_supported_ones(tiny_bert):
    class Fake(torch.nn.Module):
        class config:  # noqa: N801
            model_type = "gpt2"

    with pytest.raises(InputError, match="supported: albert, bert, distilbert, roberta"):
        find_targets(Fake())


def test_deterministic_mask_is_binary_and_gradient_reaches_the_scores(tiny_bert):
    targets = find_targets(tiny_bert, "1-1")
    cfg = MaskConfig(mode="deterministic", init_sparsity=0.5)
    scores = init_scores(targets, cfg, torch.Generator().manual_seed(0))
    masks = training_masks(scores, cfg, None)
    for m in masks:
        assert set(m.unique().tolist()) == {0.0, 1.0}
    ids = torch.tensor([[2, 10, 11, 4, 3]])
    with masked(tiny_bert, targets) as mm:
        mm.set(masks)
        loss = tiny_bert(input_ids=ids).logits[0, 3].logsumexp(-1)
        loss.backward()
    for g in scores:
        assert g.grad is not None and g.grad.abs().sum() > 0
    # straight-through: d mask / d score = sigmoid'(score)
    g = torch.tensor([-1.0, 0.5], requires_grad=True)
    deterministic_mask(g, 0.5).sum().backward()
    s = torch.sigmoid(g.detach())
    assert torch.allclose(g.grad, s * (1 - s))


def test_stochastic_mask_is_in_open_interval_when_training_and_its_expectation_at_inference():
    # tau=1 and |G| <= 2 keep the logits inside fp32's range where sigmoid is not rounded to
    # exactly 0 or 1 (with tau=0.1 most samples saturate in float, as binary concrete intends)
    cfg = MaskConfig(mode="stochastic", init_sparsity=0.3, tau=1.0)
    g = torch.linspace(-2, 2, 10_000).reshape(100, 100).requires_grad_(True)
    sample = stochastic_mask(g, cfg.tau, torch.Generator().manual_seed(0))
    assert bool(((sample > 0) & (sample < 1)).all())
    sample.sum().backward()
    assert g.grad.abs().sum() > 0
    two = stochastic_mask(g, cfg.tau, torch.Generator().manual_seed(1))
    assert not torch.equal(sample, two)  # resampled every step
    (soft,) = inference_masks([g], cfg, hard=False)
    assert torch.equal(soft, torch.sigmoid(g.detach()))
    (hard,) = inference_masks([g], cfg, hard=True)
    assert torch.equal(hard, (torch.sigmoid(g.detach().double()) > cfg.threshold).float())
    # P(sample > 1/2) = sigmoid(G): the sample's mean pruned fraction matches the expectation
    samples = torch.stack(
        [stochastic_mask(g.detach(), 0.1, torch.Generator().manual_seed(s)) for s in range(20)]
    )
    assert abs(float((samples > 0.5).float().mean()) - float(soft.mean())) < 0.01


def test_a_score_exactly_at_the_threshold_is_pruned_and_the_next_float_up_is_kept() -> None:
    """Guards the strict rule keep = 1[σ(G) > t]: at σ(G) == t (G = 0, t = ½, both exact) the
    weight is pruned by the hard rule, the straight-through training mask and the hard inference
    mask of either mode; the next float below is pruned and the next float above is kept."""
    at = torch.tensor(0.0)  # σ(0) == 0.5 exactly
    g = torch.stack(
        [torch.nextafter(at, torch.tensor(-1.0)), at, torch.nextafter(at, torch.tensor(1.0))]
    )
    assert torch.sigmoid(g[1]).item() == 0.5
    assert hard_keep(g, 0.5).tolist() == [False, False, True]
    assert deterministic_mask(g, 0.5).tolist() == [0.0, 0.0, 1.0]
    for mode in ("deterministic", "stochastic"):
        (m,) = inference_masks([g], MaskConfig(mode=mode, threshold=0.5), hard=True)
        assert m.tolist() == [0.0, 0.0, 1.0], mode


def test_stochastic_default_init_sits_on_the_threshold_so_its_hard_mask_keeps_nothing() -> None:
    """Guards the initial stochastic mask: with the defaults (s = ½, t = ½) every score starts
    at G = logit(1 − s) = 0, i.e. σ(G) = t exactly. The soft mask is ½ everywhere and the hard
    mask, σ(G) > t, keeps no weight at all (a `>=` threshold would keep every weight)."""
    cfg = MaskConfig(mode="stochastic")
    assert (cfg.init_sparsity, cfg.threshold) == (0.5, 0.5)
    targets = [Target("a.weight", 0, "query", (3, 5)), Target("b.weight", 0, "key", (4, 4))]
    scores = init_scores(targets, cfg, torch.Generator().manual_seed(0))
    for soft in inference_masks(scores, cfg, hard=False):
        assert bool((soft == 0.5).all())
    for hard in inference_masks(scores, cfg, hard=True):
        assert int(hard.sum()) == 0
    assert all(not bool(hard_keep(g, cfg.threshold).any()) for g in scores)
    # with s below 1 − t the initial scores lie above the threshold: every weight is kept
    cfg = MaskConfig(mode="stochastic", init_sparsity=0.25)
    scores = init_scores(targets, cfg, torch.Generator().manual_seed(0))
    assert all(bool(m.all()) for m in inference_masks(scores, cfg, hard=True))


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (7, 7), (4, 6)])
def test_deterministic_init_prunes_exactly_the_weights_whose_quantile_is_at_most_s(
    shape: tuple[int, int],
) -> None:
    """Guards the deterministic init and the threshold together: scores are the quantiles
    q = (k + ½)/n shifted so that q = s lands exactly on the threshold; the weights with
    q ≤ s (σ(G) ≤ t) start pruned, i.e. ⌊s·n + ½⌋ of them. With n odd and s = ½ the middle
    weight sits exactly on the threshold and must be pruned."""
    cfg = MaskConfig(mode="deterministic", init_sparsity=0.5, threshold=0.5)
    (g,) = init_scores([Target("w.weight", 0, "query", shape)], cfg, torch.Generator())
    n = shape[0] * shape[1]
    want_pruned = sum(1 for k in range(n) if (k + 0.5) / n <= cfg.init_sparsity)
    assert want_pruned == math.floor(cfg.init_sparsity * n + 0.5)
    (m,) = training_masks([g], cfg, None)
    assert int((m == 0).sum()) == want_pruned
    (m,) = inference_masks([g], cfg, hard=True)
    assert int((m == 0).sum()) == want_pruned


@pytest.mark.parametrize("sparsity", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("mode", ["deterministic", "stochastic"])
def test_initial_sparsity_is_within_one_percent_of_the_request(tiny_bert, mode, sparsity):
    targets = find_targets(tiny_bert, "all")
    cfg = MaskConfig(mode=mode, init_sparsity=sparsity, threshold=0.4)
    scores = init_scores(targets, cfg, torch.Generator().manual_seed(0))
    n = sum(g.numel() for g in scores)
    if mode == "deterministic":
        pruned = sum(float((m == 0).sum()) for m in training_masks(scores, cfg, None)) / n
    else:
        expected = sum(float((1 - torch.sigmoid(g.detach())).sum()) for g in scores) / n
        assert abs(expected - sparsity) < 0.01
        samples = training_masks(scores, cfg, torch.Generator().manual_seed(0))
        pruned = sum(float((m < 0.5).sum()) for m in samples) / n
    assert abs(pruned - sparsity) < 0.01


def test_unknown_mode_is_refused():
    with pytest.raises(InputError, match="known modes: deterministic, stochastic"):
        MaskConfig(mode="magnitude")


def test_leaving_the_mask_context_restores_the_same_parameters_in_the_same_order(tiny_bert):
    before = [(n, p) for n, p in tiny_bert.named_parameters()]
    keys = list(tiny_bert.state_dict())
    with masked(tiny_bert, find_targets(tiny_bert, "all")):
        pass
    after = list(tiny_bert.named_parameters())
    assert [n for n, _ in after] == [n for n, _ in before]
    assert all(a is b for (_, a), (_, b) in zip(after, before, strict=True))
    assert list(tiny_bert.state_dict()) == keys
