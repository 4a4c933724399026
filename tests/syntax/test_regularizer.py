"""The syntactic regularizer: parity with a dense implementation, and its sign in training."""

from __future__ import annotations

import copy

import pytest
import torch

from bertology.errors import InputError
from bertology.syntax.align import align_words
from bertology.syntax.regularizer import (
    SyntacticRegularizer,
    syntactic_attention_loss,
    token_edges,
)


def dense_loss(attn: torch.Tensor, edges: torch.Tensor, reduction: str) -> torch.Tensor:
    """Naive: reduce the full (L, B, H, T, T) over layers and heads, then mask (B, T, T)."""
    L, B, H, T, _ = attn.shape
    reduce = torch.amax if reduction == "max" else torch.sum
    reduced = reduce(attn, dim=(0, 2))  # (B, T, T)
    mask = torch.zeros(B, T, T)
    for b, i, j in edges.tolist():
        mask[b, i, j] = 1.0
    both = reduced * mask + reduced.transpose(1, 2) * mask  # gamma(i, j) at (b, i, j)
    return both.sum() / mask.sum()


def _attention(L=3, B=2, H=4, T=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(L, B, H, T, T, generator=g)
    return logits.softmax(-1).requires_grad_(True)


EDGES = torch.tensor([[0, 1, 2], [0, 2, 4], [0, 3, 4], [1, 1, 5], [1, 6, 5], [1, 2, 1]])


@pytest.mark.parametrize("reduction", ["max", "sum"])
def test_gathered_loss_and_gradient_equal_the_dense_implementation(reduction):
    attn = _attention()
    loss = syntactic_attention_loss(attn, EDGES, reduction)
    (grad,) = torch.autograd.grad(loss, attn)
    attn2 = attn.detach().clone().requires_grad_(True)
    expected = dense_loss(attn2, EDGES, reduction)
    (grad2,) = torch.autograd.grad(expected, attn2)
    torch.testing.assert_close(loss, expected)
    torch.testing.assert_close(grad, grad2)
    # the per-layer tuple that Hugging Face returns gives the same value
    as_tuple = tuple(attn.detach().unbind(0))
    torch.testing.assert_close(syntactic_attention_loss(as_tuple, EDGES, reduction), expected)


def test_loss_is_a_mean_over_edges_so_it_does_not_grow_with_the_batch():
    attn = _attention(B=1).detach()
    edges = EDGES[EDGES[:, 0] == 0]
    one = syntactic_attention_loss(attn, edges)
    doubled = torch.cat([attn, attn], dim=1)  # the same sentence twice
    edges2 = torch.cat([edges, edges + torch.tensor([1, 0, 0])])
    torch.testing.assert_close(syntactic_attention_loss(doubled, edges2), one)


def test_no_edges_gives_zero_that_still_backpropagates():
    attn = _attention()
    loss = syntactic_attention_loss(attn, torch.zeros(0, 3, dtype=torch.long))
    assert loss.item() == 0.0
    loss.backward()
    assert attn.grad is not None and attn.grad.abs().sum() == 0


def test_unknown_reduction_is_an_error():
    with pytest.raises(InputError, match="max, sum"):
        syntactic_attention_loss(_attention(), EDGES, "mean")


def test_token_edges_sit_on_the_first_piece_of_each_word(trees, wp_tok):
    (a,) = align_words(wp_tok, [trees[1].forms])  # "Unbelievable transformations happened ..."
    word_ids = [None if w < 0 else w for w in a.token_word]
    edges = token_edges([trees[1].heads], [word_ids])
    first = {w: word_ids.index(w) for w in range(len(trees[1]))}
    expected = [(0, first[i], first[h - 1]) for i, h in enumerate(trees[1].heads) if h != 0]
    assert [tuple(e) for e in edges.tolist()] == expected
    # edges to words cut off by truncation are dropped; excluded relations too
    cut = word_ids[: first[2]] + [None]
    assert token_edges([trees[1].heads], [cut]).tolist() == [[0, first[0], first[1]]]
    no_punct = token_edges([trees[1].heads], [word_ids], [trees[1].deprels], {"punct"})
    assert len(no_punct) == len(expected) - 1


def test_schedule_switches_the_term_off():
    reg = SyntacticRegularizer(lam=-0.5, until_step=3000)
    assert reg.weight(0) == -0.5 and reg.weight(2999) == -0.5 and reg.weight(3000) == 0.0
    attn = _attention()
    assert reg(attn, EDGES, step=5000).item() == 0.0
    torch.testing.assert_close(
        reg(attn, EDGES, step=0), -0.5 * syntactic_attention_loss(attn, EDGES)
    )


LAM = 5.0


def _mean_edge_attention(model, batch, edges) -> float:
    """Mean attention on the gold edges, over layers, heads, both directions and edges."""
    model.eval()
    with torch.no_grad():
        attn = model(**batch, output_attentions=True).attentions
    return syntactic_attention_loss(attn, edges, "sum").item() / (2 * len(attn) * attn[0].shape[1])


@pytest.mark.parametrize("reduction", ["max", "sum"])
def test_one_step_with_negative_lambda_raises_edge_attention_and_positive_lowers_it(
    syn_bert, wp_tok, trees, reduction
):
    """The function's sign on a hand-built loss. The pre-training loop's own path (its
    objective, micro-batch weighting and optimizer) is tested in
    tests/train/test_regularizer_in_loop.py."""
    words = [t.forms for t in trees]
    enc = wp_tok(
        [[w if i == 0 else " " + w for i, w in enumerate(ws)] for ws in words],
        is_split_into_words=True,
        padding=True,
        return_tensors="pt",
    )
    edges = token_edges([t.heads for t in trees], [enc.word_ids(b) for b in range(len(trees))])
    labels = enc["input_ids"].clone()
    labels[enc["attention_mask"] == 0] = -100
    batch = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
    before = _mean_edge_attention(syn_bert, batch, edges)
    after = {}
    for lam in (-LAM, 0.0, LAM):
        model = copy.deepcopy(syn_bert)
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        out = model(**batch, labels=labels, output_attentions=True)
        loss = out.loss + lam * syntactic_attention_loss(out.attentions, edges, reduction)
        loss.backward()
        opt.step()
        after[lam] = _mean_edge_attention(model, batch, edges)
    assert after[-LAM] > before > after[LAM]
    assert after[-LAM] > after[0.0] > after[LAM]  # the MLM step alone is the control
