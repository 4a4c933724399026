"""The syntactic regularizer on edge cases: one-layer models, head = first word, batch mismatch.

Every expected value is computed here by explicit loops over layers, heads and edges.
"""

from __future__ import annotations

import pytest
import torch

from bertology.errors import InputError
from bertology.syntax.regularizer import (
    SyntacticRegularizer,
    syntactic_attention_loss,
    token_edges,
)


def _attn(layers: int, b: int = 2, h: int = 3, t: int = 5, seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [
        torch.randn(b, h, t, t, generator=g).softmax(-1).requires_grad_(True) for _ in range(layers)
    ]


def _by_hand(attn: list[torch.Tensor], edges: list[tuple[int, int, int]], reduction: str) -> float:
    """Mean over edges of gamma(i, j), by loops: max (or sum) over layers and heads of A[i, j],
    plus the same of A[j, i]."""
    total = 0.0
    for b, i, j in edges:
        fwd = [float(a[b, h, i, j].detach()) for a in attn for h in range(a.shape[1])]
        bwd = [float(a[b, h, j, i].detach()) for a in attn for h in range(a.shape[1])]
        total += (max(fwd) + max(bwd)) if reduction == "max" else (sum(fwd) + sum(bwd))
    return total / len(edges)


@pytest.mark.parametrize("reduction", ["max", "sum"])
@pytest.mark.parametrize("n_layers", [1, 3])
def test_loss_equals_by_hand_value_per_edge_for_one_and_several_layers(
    reduction: str, n_layers: int
) -> None:
    """R for a one-layer model (and a three-layer one) is the by-hand mean over edges of the
    per-edge gamma, both as a tuple of layers and stacked (L, B, H, T, T)."""
    attn = _attn(n_layers)
    edges = [(0, 1, 3), (1, 4, 0), (1, 2, 1)]
    want = _by_hand(attn, edges, reduction)
    e = torch.tensor(edges)
    got = syntactic_attention_loss(attn, e, reduction)
    assert float(got.detach()) == pytest.approx(want, rel=1e-6)
    stacked = syntactic_attention_loss(torch.stack(attn), e, reduction)
    assert float(stacked.detach()) == pytest.approx(want, rel=1e-6)


def test_one_layer_without_edges_gives_an_attached_zero() -> None:
    """A one-layer model with no edges: R = 0, attached to the graph, with a zero gradient."""
    attn = _attn(1)
    r = syntactic_attention_loss(attn, torch.zeros((0, 3), dtype=torch.long))
    assert float(r.detach()) == 0.0 and r.requires_grad
    r.backward()
    assert attn[0].grad is not None and torch.count_nonzero(attn[0].grad) == 0


def test_switched_off_regularizer_on_a_one_layer_model_is_zero() -> None:
    """After ``until_step`` the term is 0 on a one-layer stacked (1, B, H, T, T) attention,
    and before it the term is lambda times the by-hand R."""
    attn = _attn(1)
    stacked = torch.stack(attn)
    edges = [(0, 0, 4), (1, 3, 1)]
    reg = SyntacticRegularizer(lam=-0.5, reduction="max", until_step=3)
    off = reg(stacked, torch.tensor(edges), step=3)
    assert float(off.detach()) == 0.0
    on = reg(stacked, torch.tensor(edges), step=2)
    assert float(on.detach()) == pytest.approx(-0.5 * _by_hand(attn, edges, "max"), rel=1e-6)


def test_token_edges_keep_edges_whose_head_is_the_first_word() -> None:
    """Words headed by word 1 (the first word) get an edge to its first piece; only the root
    (head 0) gets none.

    Sentence: ``[CLS] the dog+s bark [SEP]``, heads (1-based) the->dogs, dogs->bark,
    bark->root; a second sentence ``[CLS] run fast [SEP]`` with fast->run (head 1).
    """
    heads = [[2, 3, 0], [0, 1]]
    word_ids = [[None, 0, 1, 1, 2, None], [None, 0, 1, None]]
    got = token_edges(heads, word_ids).tolist()
    # by hand: first pieces are sentence 0: word0->1, word1->2, word2->4; sentence 1: 1, 2
    assert sorted(got) == sorted([[0, 1, 2], [0, 2, 4], [1, 2, 1]])


def test_token_edges_refuse_a_batch_whose_trees_and_encodings_differ_in_length() -> None:
    """Two trees but one encoded sentence is a caller error, not a silently shorter batch
    (which would drop the second sentence's edges from R)."""
    with pytest.raises(ValueError):
        token_edges([[0, 1], [2, 0]], [[None, 0, 1, None]])


def test_token_edges_of_a_batch_with_only_roots_is_an_empty_e_by_3_tensor() -> None:
    """One-word sentences have no edge: the result is a (0, 3) long tensor, not a bogus
    (0, 0, 0) edge nor a tensor of another width."""
    got = token_edges([[0], [0]], [[None, 0, None], [None, 0, 0, None]])
    assert got.shape == (0, 3) and got.dtype == torch.long


def test_an_unknown_reduction_is_refused_when_the_regularizer_is_built() -> None:
    with pytest.raises(InputError, match="unknown reduction 'mean'; known reductions: max, sum"):
        SyntacticRegularizer(lam=-1.0, reduction="mean")
