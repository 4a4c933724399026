"""The objective module: masked-only head, attention-path switching, regularizer wiring."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from bertology.models import (
    SmallMLMConfig,
    build_mlm,
    train_bpe_tokenizer,
    train_wordpiece_tokenizer,
)
from bertology.models.attention import attention_path, set_attention_path
from bertology.train.objective import MLMObjective

TEXTS = [
    "the quick brown fox jumps over the lazy dog",
    "a farmer sees the old horse near the river",
] * 20


def _model(arch: str, attn: str = "sdpa"):
    tok = (train_bpe_tokenizer if arch == "roberta" else train_wordpiece_tokenizer)(
        TEXTS, vocab_size=300
    )
    cfg = SmallMLMConfig(
        arch=arch, layers=2, hidden=32, heads=4, max_position=64, dropout=0.0, seed=0
    )
    return build_mlm(cfg, tok, attn=attn), tok


def _inputs(tok, B: int = 3, T: int = 16, pad: bool = True):
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, len(tok), (B, T), generator=g)
    am = torch.ones(B, T, dtype=torch.long)
    if pad:
        am[1, 10:] = 0
        ids[1, 10:] = tok.pad_token_id
    rows = torch.tensor([0, 0, 1, 2, 2])
    cols = torch.tensor([1, 7, 3, 0, 15])
    return ids, am, rows, cols


@pytest.mark.parametrize("arch", ["bert", "roberta", "distilbert"])
def test_head_at_masked_positions_equals_full_forward_logits(arch):
    model, tok = _model(arch, attn="eager")
    ids, am, rows, cols = _inputs(tok)
    targets = ids[rows, cols]
    with torch.no_grad():
        full = model(input_ids=ids, attention_mask=am).logits[rows, cols]  # (K, V)
        ce_sum, n_ok, reg = MLMObjective(model)(ids, am, rows, cols, targets)
    assert torch.allclose(ce_sum, F.cross_entropy(full, targets, reduction="sum"), atol=1e-5)
    assert int(n_ok) == int((full.argmax(-1) == targets).sum())
    assert reg == 0


@pytest.mark.parametrize("pad", [False, True])
def test_sdpa_and_eager_paths_give_equal_logits_on_the_same_weights(pad):
    model, tok = _model("bert", attn="sdpa")
    ids, am, _, _ = _inputs(tok, pad=pad)
    with torch.no_grad():
        assert attention_path(model) == "sdpa"
        fast = model(input_ids=ids, attention_mask=am).logits
        set_attention_path(model, "eager")
        assert attention_path(model) == "eager"
        out = model(input_ids=ids, attention_mask=am, output_attentions=True)
        set_attention_path(model, "sdpa")
        again = model(input_ids=ids, attention_mask=am).logits
    keep = am.bool()
    torch.testing.assert_close(out.logits[keep], fast[keep], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(again, fast)
    assert len(out.attentions) == 2 and out.attentions[0].shape == (3, 4, 16, 16)


def test_regularizer_term_is_computed_from_the_eager_attentions():
    from bertology.syntax.regularizer import SyntacticRegularizer, syntactic_attention_loss

    model, tok = _model("bert", attn="eager")
    ids, am, rows, cols = _inputs(tok, pad=False)
    edges = torch.tensor([[0, 1, 2], [1, 4, 3], [2, 9, 12]])
    with torch.no_grad():
        attn = model(input_ids=ids, attention_mask=am, output_attentions=True).attentions
        reg_max = SyntacticRegularizer(lam=-1.0, reduction="max")
        _, _, reg = MLMObjective(model, reg_max)(ids, None, rows, cols, ids[rows, cols], edges)
        reg_sum = SyntacticRegularizer(lam=-1.0, reduction="sum")
        _, _, total = MLMObjective(model, reg_sum)(ids, None, rows, cols, ids[rows, cols], edges)
    torch.testing.assert_close(reg, syntactic_attention_loss(attn, edges, "max"))
    torch.testing.assert_close(total, syntactic_attention_loss(attn, edges, "sum"))
    assert 0 < reg < total  # the objective uses its regularizer's reduction


def test_bf16_autocast_loss_is_close_to_fp32() -> None:
    """bf16 autocast gives the fp32 masked-LM loss up to bf16 rounding, and that tolerance
    is tight enough that the loss of the wrong targets (or positions) falls outside it.

    The loss is a sum over K = 5 masked tokens of ``logsumexp(z) - z_target``, taken in
    fp32 from bf16 logits. bf16 keeps 8 significant bits (unit roundoff u = 2^-8), so each
    logit is off by a few u * |z| and each token's loss by about twice that. Here the
    logits are small (|z| < 0.4) while each token's loss is about log V = 4.7, so the
    relative error of the sum is far below u (measured 4e-5 = u / 100): ``rtol = u`` (0.09
    on a loss of 23) bounds it with margin. The old ``rtol=0.02, atol=0.05`` allowed
    +-0.52, more than the 0.44 by which the loss against the neighbouring token's target
    differs.
    """
    model, tok = _model("bert", attn="sdpa")
    ids, am, rows, cols = _inputs(tok)
    targets = ids[rows, cols]
    obj = MLMObjective(model)
    with torch.no_grad():
        ref = obj(ids, am, rows, cols, targets)[0]
        wrong = obj(ids, am, rows, cols, targets.roll(1))[0]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = obj(ids, am, rows, cols, targets)[0]
    assert low.dtype == torch.float32  # the cross-entropy is taken in fp32
    tol = 2**-8 * ref.abs()
    assert abs(wrong - ref) > tol  # the comparison can tell the right targets from wrong ones
    assert abs(low - ref) <= tol
