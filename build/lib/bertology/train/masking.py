"""BERT's masking: choose ``prob`` of the tokens, then 80% ``[MASK]``, 10% random, 10% unchanged.

Masking is a pure function of ``(seed, step)`` and the batch: the random numbers come from a
CPU generator seeded with both, drawn for the *global* batch. So a resumed run masks exactly
as an uninterrupted one, and a DDP rank that takes rows ``[a, b)`` of the global batch masks
them exactly as a single process would.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from bertology.train.config import MaskingConfig


@dataclass
class MaskedBatch:
    """Model inputs with masks applied, and the prediction targets at the masked positions."""

    input_ids: Tensor  # (B, T) int64, with [MASK] / random / kept tokens at the masked positions
    rows: Tensor  # (K,) int64, batch row of each masked position
    cols: Tensor  # (K,) int64, sequence position of each masked position
    targets: Tensor  # (K,) int64, the original token there


def step_generator(seed: int, step: int, stream: int = 0) -> torch.Generator:
    """A CPU generator that depends only on ``(seed, step, stream)``."""
    g = torch.Generator(device="cpu")
    g.manual_seed((seed * 1_000_003 + step * 7_919 + stream * 104_729) % (2**63 - 1))
    return g


def mask_tokens(
    input_ids: Tensor,
    first_pos: Tensor,
    cfg: MaskingConfig,
    mask_id: int,
    random_ids: Tensor,
    generator: torch.Generator,
) -> MaskedBatch:
    """Mask a batch.

    ``input_ids (B, T)``; ``first_pos (B, T)`` gives, for each token, the position of the first
    piece of its word, and -1 for special and padding tokens (never masked). With
    ``whole_word`` a word is chosen as a unit: all its pieces are predicted or none.
    ``random_ids (R,)`` are the ids a random replacement is drawn from (no special tokens).
    The draws are made on the CPU from ``generator``, so any device gives the same masks.
    """
    B, T = input_ids.shape
    maskable = first_pos >= 0  # (B, T)
    u_select = torch.rand((B, T), generator=generator)  # (B, T)
    u_action = torch.rand((B, T), generator=generator)  # (B, T)
    u_random = torch.randint(0, len(random_ids), (B, T), generator=generator)  # (B, T)
    u_select, u_action, u_random = (x.to(input_ids.device) for x in (u_select, u_action, u_random))
    if cfg.whole_word:
        # each piece takes the draw of its word's first piece
        u_select = u_select.gather(1, first_pos.clamp(min=0))  # (B, T)
    selected = maskable & (u_select < cfg.prob)  # (B, T)
    if not bool(selected.any()):
        # a tiny batch drew no mask: predict its first maskable token rather than divide by 0
        flat = maskable.flatten().nonzero()
        if len(flat):
            selected.view(-1)[flat[0, 0]] = True
    rows, cols = selected.nonzero(as_tuple=True)  # (K,), (K,)
    targets = input_ids[rows, cols]  # (K,)
    a = u_action[rows, cols]  # (K,)
    new = targets.clone()
    new = torch.where(a < cfg.mask, torch.full_like(new, mask_id), new)
    use_random = (a >= cfg.mask) & (a < cfg.mask + cfg.random)
    new = torch.where(use_random, random_ids.to(new.device)[u_random[rows, cols]], new)
    masked = input_ids.clone()
    masked[rows, cols] = new
    return MaskedBatch(input_ids=masked, rows=rows, cols=cols, targets=targets)


def random_token_ids(tokenizer: object) -> Tensor:
    """Ids a random replacement may take: the whole vocabulary except special tokens."""
    special = set(getattr(tokenizer, "all_special_ids", []))
    return torch.tensor([i for i in range(len(tokenizer)) if i not in special], dtype=torch.long)
