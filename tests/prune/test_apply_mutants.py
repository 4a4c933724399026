"""Applying masks: mask lists must match the targets one to one, a closed handle fails loudly,
and frozen() really freezes every parameter for the block."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from bertology.prune.apply import frozen, masked
from bertology.prune.masks import MaskConfig, init_scores, training_masks
from bertology.prune.targets import find_targets


def test_a_mask_list_longer_or_shorter_than_the_targets_is_refused(tiny_bert: Any) -> None:
    """Masks given in target order must be exactly one per target: an extra mask is an error,
    not silently dropped, and a missing one is an error too."""
    targets = find_targets(tiny_bert, "all")
    ones = [torch.ones(t.shape) for t in targets]
    with masked(tiny_bert, targets) as mm:
        mm.set(ones)  # the right count is accepted
        with pytest.raises(ValueError):
            mm.set([*ones, torch.ones(targets[0].shape)])
        with pytest.raises(ValueError):
            mm.set(ones[:-1])


def test_a_handle_used_after_its_block_fails_instead_of_masking_nothing(
    tiny_bert: Any, wordpiece_tokenizer: Any
) -> None:
    """Once the block is left the model is unmasked; setting masks through the stale handle
    raises rather than silently storing masks that no longer reach the model."""
    targets = find_targets(tiny_bert, "all")
    enc = wordpiece_tokenizer(["the cat sat ."], return_tensors="pt")
    tiny_bert.eval()
    with torch.no_grad():
        full = tiny_bert(**enc).logits
        with masked(tiny_bert, targets) as mm:
            pass
        with pytest.raises(KeyError):
            mm.set({t.name: torch.zeros(t.shape) for t in targets})
        assert torch.equal(tiny_bert(**enc).logits, full)


def test_frozen_turns_off_grad_on_every_parameter_and_restores_it(
    tiny_bert: Any, wordpiece_tokenizer: Any
) -> None:
    """Inside frozen(), no parameter requires grad, so a backward pass through the masked model
    reaches the mask scores only; afterwards each parameter's flag is as before (one that was
    off stays off)."""
    params = list(tiny_bert.parameters())
    was = params[0].requires_grad
    params[0].requires_grad_(False)
    before = [p.requires_grad for p in params]
    targets = find_targets(tiny_bert, "all")
    cfg = MaskConfig()
    scores = init_scores(targets, cfg, torch.Generator().manual_seed(0))
    enc = wordpiece_tokenizer(["the cat sat ."], return_tensors="pt")
    try:
        for p in params:
            p.grad = None
        with frozen(tiny_bert):
            assert not any(p.requires_grad for p in tiny_bert.parameters())
            with masked(tiny_bert, targets) as mm:
                mm.set(training_masks(scores, cfg, None))
                tiny_bert(**enc).logits.sum().backward()
        assert all(p.grad is None for p in params)
        assert any(g.grad is not None for g in scores)
        assert [p.requires_grad for p in params] == before
    finally:
        params[0].requires_grad_(was)
