"""The syntactic regularizer of Chen et al. (2024): promote or suppress attention on edges.

Training minimises

    L = L_MLM + lambda * R

where R is the mean over dependency edges (i, j) of gamma(i, j), the attention between the
two tokens. **Sign: lambda < 0 rewards attention on edges and promotes syntactic attention
structure (SAS+); lambda > 0 penalises it and suppresses SAS (SAS-).**

gamma, per edge, with ``reduction``:

- ``"max"`` (the paper's): ``max_{l,h} A[l,h,i,j] + max_{l,h} A[l,h,j,i]``, the strongest
  head in each direction (as the SAS code's ``reg_type="max"``, which adds the two
  directions); the gradient reaches only the strongest head;
- ``"sum"``: ``sum_{l,h} (A[l,h,i,j] + A[l,h,j,i])``, every head (the SAS code's
  ``"uniform"`` with p = 1).

R is averaged over edges, so lambda does not depend on batch size or sentence length (the
SAS code summed over edges). Only the 2 * L * H * E edge entries are gathered; no dense
(T, T) mask is built.

Edges are token-level: ``(E, 3)`` rows of ``(batch, i, j)`` with i the dependent's token and
j its head's token. :func:`token_edges` maps word-level trees to the first piece of each word
(what the pre-training loop feeds in).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from bertology.errors import unknown_name_error

REDUCTIONS = ("max", "sum")


def syntactic_attention_loss(
    attn_probs: Sequence[torch.Tensor] | torch.Tensor,
    edges: torch.Tensor,
    reduction: str = "max",
) -> torch.Tensor:
    """R: the mean over edges of the attention between each edge's two tokens.

    Args:
        attn_probs: the per-layer tuple of (B, H, T, T) attention probabilities that a
            Hugging Face model returns with ``output_attentions=True`` (eager path), or the
            same stacked as (L, B, H, T, T).
        edges: (E, 3) long tensor of (batch index, dependent token, head token).
        reduction: ``"max"`` or ``"sum"`` over layers and heads (see the module docstring).

    Returns:
        A scalar; 0 (still attached to the graph) when there are no edges.
    """
    if reduction not in REDUCTIONS:
        raise unknown_name_error("reduction", reduction, REDUCTIONS)
    layers = (
        list(attn_probs.unbind(0)) if isinstance(attn_probs, torch.Tensor) else list(attn_probs)
    )
    if edges.numel() == 0:
        return layers[0].sum() * 0.0
    edges = edges.to(layers[0].device).long()
    b, i, j = edges[:, 0], edges[:, 1], edges[:, 2]  # (E,) each
    # advanced indices around the head slice put the edge dimension first: (E, H)
    dep_to_head = torch.stack([a[b, :, i, j] for a in layers], dim=1)  # (E, L, H)
    head_to_dep = torch.stack([a[b, :, j, i] for a in layers], dim=1)  # (E, L, H)
    if reduction == "max":
        gamma = dep_to_head.flatten(1).amax(1) + head_to_dep.flatten(1).amax(1)  # (E,)
    else:
        gamma = dep_to_head.flatten(1).sum(1) + head_to_dep.flatten(1).sum(1)  # (E,)
    return gamma.float().mean()


def token_edges(
    heads: Sequence[Sequence[int]],
    word_ids: Sequence[Sequence[int | None]],
    deprels: Sequence[Sequence[str]] | None = None,
    exclude: frozenset[str] | set[str] = frozenset(),
) -> torch.Tensor:
    """Map word-level trees to token-level edges at the first piece of each word.

    Args:
        heads: per sentence, 1-based head of every word (0 = root), as in
            :class:`bertology.data.dependency.DependencySentence`.
        word_ids: per sentence, the word index of every token (``encoding.word_ids(b)``;
            None for special tokens), from the same batch the model sees.
        deprels, exclude: optionally drop edges whose relation is in ``exclude``.

    Returns:
        (E, 3) long tensor of (batch, dependent's first token, head's first token). Root
        words have no edge; edges to words cut off by truncation are dropped.
    """
    rows: list[tuple[int, int, int]] = []
    for b, (hs, wids) in enumerate(zip(heads, word_ids, strict=True)):
        first: dict[int, int] = {}
        for t, w in enumerate(wids):
            if w is not None and w not in first:
                first[w] = t
        for w, h in enumerate(hs):
            if h == 0 or (deprels is not None and deprels[b][w] in exclude):
                continue
            if w in first and (h - 1) in first:
                rows.append((b, first[w], first[h - 1]))
    if not rows:
        return torch.zeros((0, 3), dtype=torch.long)
    return torch.tensor(rows, dtype=torch.long)


@dataclass
class SyntacticRegularizer:
    """``lambda * R`` with an optional switch-off step (the paper's "SAS- until 3k steps").

    ``weight(step)`` is lambda before ``until_step`` and 0 from then on. The pre-training loop
    builds one from ``cfg.sas`` and asks it, per step, whether the term is on (:meth:`active`,
    which also picks the eager attention path) and for R (:meth:`penalty`), which it weights
    by each micro-batch's share of the edges.
    """

    lam: float = 0.0
    reduction: str = "max"
    until_step: int | None = None

    def __post_init__(self) -> None:
        if self.reduction not in REDUCTIONS:
            raise unknown_name_error("reduction", self.reduction, REDUCTIONS)

    def weight(self, step: int) -> float:
        if self.until_step is not None and step >= self.until_step:
            return 0.0
        return self.lam

    def active(self, step: int) -> bool:
        """Whether the term is on for the update at ``step`` (lambda != 0, before the switch-off)."""
        return self.weight(step) != 0.0

    def penalty(
        self, attn_probs: Sequence[torch.Tensor] | torch.Tensor, edges: torch.Tensor
    ) -> torch.Tensor:
        """R, the mean over ``edges`` of gamma with this regularizer's reduction (unweighted)."""
        return syntactic_attention_loss(attn_probs, edges, self.reduction)

    def __call__(
        self, attn_probs: Sequence[torch.Tensor] | torch.Tensor, edges: torch.Tensor, step: int
    ) -> torch.Tensor:
        """The term to add to the MLM loss at ``step`` (0 without computing R when off)."""
        w = self.weight(step)
        if w == 0.0:
            first = attn_probs[0]
            return first.sum() * 0.0
        return w * syntactic_attention_loss(attn_probs, edges, self.reduction)
