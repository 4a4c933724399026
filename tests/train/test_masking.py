"""BERT masking: rates, specials, whole words, determinism, and slicing for DDP."""

from __future__ import annotations

import torch

from bertology.train.config import MaskingConfig
from bertology.train.masking import mask_tokens, step_generator

MASK, V = 4, 1000
RANDOM = torch.arange(5, V)


def _batch(B: int = 64, T: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, V, (B, T), generator=g)
    first = torch.arange(T).expand(B, T).clone()
    first[:, 0] = -1  # [CLS]
    first[:, -1] = -1  # [SEP]
    ids[:, 0], ids[:, -1] = 2, 3
    return ids, first


def test_fifteen_percent_selected_and_80_10_10():
    ids, first = _batch()
    mb = mask_tokens(ids, first, MaskingConfig(), MASK, RANDOM, step_generator(0, 0))
    n = (first >= 0).sum().item()
    assert abs(len(mb.targets) / n - 0.15) < 0.01
    new = mb.input_ids[mb.rows, mb.cols]
    frac_mask = (new == MASK).float().mean().item()
    frac_same = (new == mb.targets).float().mean().item()
    assert abs(frac_mask - 0.8) < 0.03
    assert abs(frac_same - 0.1) < 0.03  # kept (a random draw equal to the target is rare)
    assert torch.equal(mb.targets, ids[mb.rows, mb.cols])
    unmasked = torch.ones_like(ids, dtype=torch.bool)
    unmasked[mb.rows, mb.cols] = False
    assert torch.equal(mb.input_ids[unmasked], ids[unmasked])


def test_special_tokens_are_never_masked():
    ids, first = _batch()
    mb = mask_tokens(ids, first, MaskingConfig(prob=0.9), MASK, RANDOM, step_generator(0, 0))
    assert (first[mb.rows, mb.cols] >= 0).all()
    assert set(mb.input_ids[mb.rows, mb.cols].tolist()) <= {MASK, *range(5, V)}


def test_whole_word_masking_takes_all_pieces_of_a_word_or_none():
    ids, _ = _batch(8, 12)
    # words: [CLS] (1 2 3) (4) (5 6) (7 8 9 10) [SEP]
    first = torch.tensor([-1, 1, 1, 1, 4, 5, 5, 7, 7, 7, 7, -1]).expand(8, 12).clone()
    cfg = MaskingConfig(prob=0.4, whole_word=True)
    for step in range(20):
        mb = mask_tokens(ids, first, cfg, MASK, RANDOM, step_generator(1, step))
        sel = torch.zeros_like(ids, dtype=torch.bool)
        sel[mb.rows, mb.cols] = True
        for lo, hi in [(1, 4), (4, 5), (5, 7), (7, 11)]:
            word = sel[:, lo:hi]
            assert (word.all(1) | ~word.any(1)).all()


def test_masks_depend_only_on_seed_and_step():
    ids, first = _batch()
    a = mask_tokens(ids, first, MaskingConfig(), MASK, RANDOM, step_generator(3, 17))
    b = mask_tokens(ids, first, MaskingConfig(), MASK, RANDOM, step_generator(3, 17))
    c = mask_tokens(ids, first, MaskingConfig(), MASK, RANDOM, step_generator(3, 18))
    assert torch.equal(a.input_ids, b.input_ids)
    assert not torch.equal(a.input_ids, c.input_ids)


def test_a_batch_that_draws_no_mask_still_predicts_one_token():
    ids, first = _batch(1, 6)
    mb = mask_tokens(ids, first, MaskingConfig(prob=1e-9), MASK, RANDOM, step_generator(0, 0))
    assert len(mb.targets) == 1 and first[mb.rows, mb.cols].item() >= 0
