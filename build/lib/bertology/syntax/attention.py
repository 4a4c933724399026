"""Word-level attention from subword attention, batched over sentences, layers and heads.

For words i, j with pieces P(i), P(j) (Clark et al. 2019; DESIGN.md):

    A_word[i, j] = FROM over a in P(i) of ( TO over b in P(j) of A_tok[a, b] )

with TO = sum (attention *to* a word is the total it receives) and FROM = mean (attention
*from* a word is the average of its pieces) by default; each can be ``first``, ``mean`` or
``sum``. Special tokens belong to no word, so their rows and columns are dropped; the rest is
not renormalised. Both poolings are linear, so the whole map is two batched matmuls with
piece-to-word matrices R (B, W, T):

    A_word = R_from @ A_tok @ R_to^T
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from bertology.syntax.align import piece_to_word_matrix


def word_level_attention(
    attn: torch.Tensor | Sequence[torch.Tensor],
    token_word: torch.Tensor,
    n_words: int | None = None,
    from_agg: str = "mean",
    to_agg: str = "sum",
) -> torch.Tensor:
    """Pool token-level attention to word level.

    Args:
        attn: (B, H, T, T), (B, L, H, T, T), or the per-layer tuple of (B, H, T, T) that
            Hugging Face models return with ``output_attentions=True``.
        token_word: (B, T) word index of each token, -1 for special tokens and padding.
        n_words: W, the number of word slots (default: the largest word index + 1).
        from_agg, to_agg: how pieces of the attending / attended word are pooled.

    Returns:
        (B, H, W, W) or (B, L, H, W, W) (the tuple form gives (B, L, H, W, W)), in float32
        (float64 for float64 attention).
    """
    if n_words is None:
        n_words = int(token_word.max()) + 1
    first = attn if isinstance(attn, torch.Tensor) else attn[0]
    dtype = torch.promote_types(first.dtype, torch.float32)  # bf16/fp16 pooled in fp32
    r_from = piece_to_word_matrix(token_word, n_words, from_agg, dtype)  # (B, W, T)
    r_to_t = piece_to_word_matrix(token_word, n_words, to_agg, dtype).transpose(1, 2)  # (B, T, W)
    if isinstance(attn, torch.Tensor):
        return _pool(attn, r_from, r_to_t)
    # one layer at a time: never stack the full (B, L, H, T, T) token attention
    return torch.stack([_pool(a, r_from, r_to_t) for a in attn], dim=1)  # (B, L, H, W, W)


def _pool(attn: torch.Tensor, r_from: torch.Tensor, r_to_t: torch.Tensor) -> torch.Tensor:
    """``r_from @ attn @ r_to_t`` broadcast over the head (and layer) dimensions."""
    extra = attn.dim() - 3  # 1 for (B, H, T, T), 2 for (B, L, H, T, T)
    shape = (r_from.shape[0],) + (1,) * extra
    r_from = r_from.reshape(*shape, *r_from.shape[1:])  # (B, 1, [1,] W, T)
    r_to_t = r_to_t.reshape(*shape, *r_to_t.shape[1:])  # (B, 1, [1,] T, W)
    # pool the pieces of the attended word, then those of the attending word
    to_word = attn.to(r_to_t.dtype) @ r_to_t  # (B, [L,] H, T, W)
    return r_from @ to_word  # (B, [L,] H, W, W)
