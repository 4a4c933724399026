"""Masking rules at the edges: a real token at position 0, independent whole words, and the
fallback token of a batch that drew no mask."""

from __future__ import annotations

import torch

from bertology.train.config import MaskingConfig
from bertology.train.masking import mask_tokens, step_generator

MASK, V = 4, 50
RANDOM = torch.arange(5, V)


def test_a_real_token_at_position_zero_is_maskable() -> None:
    """Without a leading special token, position 0 holds a word (first piece at 0): with
    prob = 1 every non-special token is predicted, position 0 included, specials never."""
    ids = torch.tensor([[7, 8, 9, 3], [10, 11, 3, 0]])
    first = torch.tensor([[0, 1, 1, -1], [0, 1, -1, -1]])
    mb = mask_tokens(ids, first, MaskingConfig(prob=1.0), MASK, RANDOM, step_generator(0, 0))
    got = sorted(zip(mb.rows.tolist(), mb.cols.tolist(), strict=True))
    assert got == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    assert mb.targets.tolist() == [ids[r, c].item() for r, c in got]


def test_whole_words_at_positions_zero_and_one_are_chosen_independently() -> None:
    """Two one-piece words at positions 0 and 1 (no special token before them) are distinct
    words: with prob = 0.5 over 256 rows, they are not always chosen together.

    If both took the same draw they would agree in all 256 rows; independent draws agree in
    about half of them (all 256 agreeing has probability 2^-256).
    """
    B = 256
    ids = torch.full((B, 4), 9)
    first = torch.tensor([0, 1, 2, 2]).expand(B, 4).clone()
    cfg = MaskingConfig(prob=0.5, whole_word=True)
    mb = mask_tokens(ids, first, cfg, MASK, RANDOM, step_generator(5, 0))
    sel = torch.zeros((B, 4), dtype=torch.bool)
    sel[mb.rows, mb.cols] = True
    assert torch.equal(sel[:, 2], sel[:, 3])  # one word of two pieces: both or neither
    agree = (sel[:, 0] == sel[:, 1]).float().mean().item()
    assert 0.3 < agree < 0.7


def test_fallback_predicts_the_first_maskable_token_in_reading_order() -> None:
    """prob = 0 draws no mask; the one predicted token is then the first maskable token of the
    batch in row-major order (row 0 here has none, row 1's first is at column 2)."""
    ids = torch.tensor([[2, 3, 0, 0, 0], [2, 0, 21, 22, 3]])
    first = torch.tensor([[-1, -1, -1, -1, -1], [-1, -1, 2, 3, -1]])
    mb = mask_tokens(ids, first, MaskingConfig(prob=0.0), MASK, RANDOM, step_generator(0, 0))
    assert mb.rows.tolist() == [1] and mb.cols.tolist() == [2] and mb.targets.tolist() == [21]
