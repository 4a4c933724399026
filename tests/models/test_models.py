"""Model loading and building."""

from __future__ import annotations

import pytest
import torch

from bertology.errors import InputError
from bertology.models import SUPPORTED_ARCHS, SmallMLMConfig, build_mlm, load_mlm, mask_token
from bertology.models.heads import logits_at, mask_positions


@pytest.mark.parametrize("arch", SUPPORTED_ARCHS)
def test_build_mlm_every_arch_fills_masks_with_head_at_masked_positions_only(
    arch, wordpiece_tokenizer, bpe_tokenizer
):
    tok = bpe_tokenizer if arch == "roberta" else wordpiece_tokenizer
    model = build_mlm(SmallMLMConfig(arch=arch, layers=2, hidden=32, heads=4), tok)
    batch = tok(
        [f"the cat sat on the {tok.mask_token} .", f"paris is the {tok.mask_token} of france ."],
        return_tensors="pt",
        padding=True,
    )
    if arch == "distilbert":
        batch.pop("token_type_ids", None)
    rows, cols = mask_positions(batch["input_ids"], tok.mask_token_id)
    with torch.no_grad():
        full = model(**batch).logits[rows, cols]
        head_only = logits_at(model, dict(batch), rows, cols)
    torch.testing.assert_close(head_only, full, rtol=0, atol=1e-5)


def test_build_mlm_is_seeded(wordpiece_tokenizer):
    a = build_mlm(SmallMLMConfig(seed=3), wordpiece_tokenizer)
    b = build_mlm(SmallMLMConfig(seed=3), wordpiece_tokenizer)
    c = build_mlm(SmallMLMConfig(seed=4), wordpiece_tokenizer)
    pa, pb, pc = (next(m.parameters()) for m in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)


def test_unknown_architecture_lists_supported():
    with pytest.raises(InputError, match="known architectures: albert, bert, distilbert, roberta"):
        build_mlm(SmallMLMConfig(arch="gpt2"))


def test_load_mlm_roundtrip_bert_and_roberta(tiny_bert_dir, tiny_roberta_dir):
    m, t = load_mlm(tiny_bert_dir, device="cpu")
    assert mask_token(t) == "[MASK]" and not m.training
    m, t = load_mlm(tiny_roberta_dir, device="cpu", attn="sdpa")
    assert mask_token(t) == "<mask>"


def test_load_mlm_refuses_encoder_without_mlm_head(tmp_path, wordpiece_tokenizer):
    from transformers import BertConfig, BertModel

    enc = BertModel(
        BertConfig(
            vocab_size=len(wordpiece_tokenizer),
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=64,
        )
    )
    enc.save_pretrained(tmp_path)
    wordpiece_tokenizer.save_pretrained(tmp_path)
    with pytest.raises(InputError, match="no masked-LM head"):
        load_mlm(tmp_path, device="cpu")


def test_load_mlm_rejects_non_model_directory(tmp_path):
    with pytest.raises(InputError, match="no config.json"):
        load_mlm(tmp_path)


def test_sdpa_and_eager_give_the_same_logits(tiny_bert_dir):
    eager, tok = load_mlm(tiny_bert_dir, device="cpu", attn="eager")
    sdpa, _ = load_mlm(tiny_bert_dir, device="cpu", attn="sdpa")
    batch = tok(["the cat sat on the mat .", "a dog ."], return_tensors="pt", padding=True)
    with torch.no_grad():
        a, b = eager(**batch).logits, sdpa(**batch).logits
    mask = batch["attention_mask"].bool()
    torch.testing.assert_close(a[mask], b[mask], rtol=1e-5, atol=1e-5)
