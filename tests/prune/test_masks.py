"""Mask parametrization: parity with Hugging Face, binary/soft masks, gradients, init sparsity."""

from __future__ import annotations

import pytest
import torch

from bertology.errors import InputError
from bertology.models import SmallMLMConfig, build_mlm
from bertology.prune.apply import masked
from bertology.prune.masks import (
    MaskConfig,
    deterministic_mask,
    inference_masks,
    init_scores,
    stochastic_mask,
    training_masks,
)
from bertology.prune.targets import find_targets, layer_count


def _model(arch, tok, layers=2):
    return build_mlm(SmallMLMConfig(arch=arch, layers=layers, hidden=32, heads=4, seed=1), tok)


@pytest.mark.parametrize("arch", ["bert", "roberta", "distilbert", "albert"])
def test_all_ones_masks_give_exactly_the_hugging_face_logits(
    arch, wordpiece_tokenizer, bpe_tokenizer
):
    tok = bpe_tokenizer if arch == "roberta" else wordpiece_tokenizer
    model = _model(arch, tok)
    enc = tok(
        ["paris is the capital of france .", "the cat sat ."], padding=True, return_tensors="pt"
    )
    if arch == "distilbert":
        enc.pop("token_type_ids", None)
    with torch.no_grad():
        ref = model(**enc).logits  # (B, T, V)
        targets = find_targets(model, "all")
        with masked(model, targets) as mm:
            mm.set({t.name: torch.ones(t.shape) for t in targets})
            got = model(**enc).logits
    assert torch.equal(got, ref)
    # leaving the context restores the original parameters (same objects, same names)
    assert all(p.requires_grad is not None for p in model.parameters())
    assert {n for n, _ in model.named_parameters()} >= {t.name for t in targets}


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
