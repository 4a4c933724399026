"""attention_probs: the early-stopping capture gives exactly what output_attentions gives,
and really skips the last layer's feed-forward block."""

from __future__ import annotations

import pytest
import torch

from bertology.models import SmallMLMConfig, build_mlm
from bertology.syntax.capture import attention_probs


def _model(arch: str, tokenizer, layers: int = 3):
    cfg = SmallMLMConfig(arch=arch, layers=layers, hidden=32, heads=4, dropout=0.0, seed=1)
    return build_mlm(cfg, tokenizer, attn="eager").eval()


def _batch(tokenizer):
    enc = tokenizer(
        ["the dog chased the cat .", "she gave the boy a red ball in the park ."],
        padding=True,
        return_tensors="pt",
    )
    return enc["input_ids"], enc["attention_mask"]


def _reference(encoder, ids, mask):
    out = encoder(input_ids=ids, attention_mask=mask, output_attentions=True)
    return out.attentions


@pytest.mark.parametrize("arch", ["bert", "roberta", "distilbert", "albert"])
def test_same_tensors_as_output_attentions(arch, wp_tok, bpe_tok):
    tok = bpe_tok if arch == "roberta" else wp_tok
    encoder = _model(arch, tok).base_model
    ids, mask = _batch(tok)
    with torch.inference_mode():
        ref = _reference(encoder, ids, mask)
        got = attention_probs(encoder, ids, mask)
    assert got is not None and len(got) == len(ref) == 3
    for g, r in zip(got, ref, strict=True):
        assert g.shape == r.shape
        assert torch.equal(g, r)
    # padding columns get no attention: the mask really was applied
    assert float(got[0][0, :, :, mask[0] == 0].abs().max()) == 0.0


def _last_ffn(encoder):
    return encoder.encoder.layer[-1].intermediate  # BERT's last feed-forward input matrix


def _n_hooks(encoder) -> int:
    return sum(len(m._forward_hooks) for m in encoder.modules())


def test_last_layer_feed_forward_is_skipped(wp_tok):
    encoder = _model("bert", wp_tok).base_model
    ids, mask = _batch(wp_tok)
    with torch.inference_mode():  # Hugging Face installs its own recording hooks once, here
        _reference(encoder, ids, mask)
    calls = []
    handle = _last_ffn(encoder).register_forward_hook(lambda *a: calls.append(1))
    try:
        with torch.inference_mode():
            before = _n_hooks(encoder)
            attention_probs(encoder, ids, mask)
            assert calls == []
            assert _n_hooks(encoder) == before  # its own hooks are removed again
            attention_probs(encoder, ids, mask, early_stop=False)
            assert calls == [1]
    finally:
        handle.remove()


def test_undeclared_attention_class_falls_back(wp_tok, monkeypatch):
    encoder = _model("bert", wp_tok).base_model
    monkeypatch.setattr(type(encoder), "_can_record_outputs", {}, raising=False)
    ids, mask = _batch(wp_tok)
    with torch.inference_mode():
        got = attention_probs(encoder, ids, mask)
    monkeypatch.undo()
    with torch.inference_mode():
        ref = _reference(encoder, ids, mask)
    assert got is not None
    assert all(torch.equal(g, r) for g, r in zip(got, ref, strict=True))
