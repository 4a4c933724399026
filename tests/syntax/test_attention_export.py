"""``bertology uas`` writes ``RUN/attention.json``: the word-level attention it counted, for
the first sentences, checked against Hugging Face's attentions pooled by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from bertology.data.dependency import write_conllu
from bertology.report.attention import item_attention, read_attention
from bertology.syntax.config import UASConfig, UASImpl
from bertology.syntax.run import run_uas


@pytest.fixture(scope="module")
def uas_run(tmp_path_factory, syn_bert_dir, trees):
    tmp = tmp_path_factory.mktemp("uas-attention")
    conllu = tmp / "trees.conllu"
    write_conllu([trees[i % len(trees)] for i in range(12)], conllu)
    cfg = UASConfig(
        model=str(syn_bert_dir),
        conllu=str(conllu),
        min_relation_count=2,
        attention_sentences=5,
        impl=UASImpl(batch_size=3, device="cpu", progress=False),
    )
    run_uas(cfg, tmp / "run")
    return tmp / "run"


def _by_hand(model_dir, tokenizer, words: list[str]) -> tuple[np.ndarray, list[int]]:
    """Word-level attention (L, H, W, W) from HF attentions: rows attend, sum over the
    attended word's pieces, mean over the attending word's pieces; and pieces per word."""
    from transformers import AutoModelForMaskedLM

    model = AutoModelForMaskedLM.from_pretrained(model_dir, attn_implementation="eager").eval()
    pieces = [tokenizer(("" if i == 0 else " ") + w, add_special_tokens=False)["input_ids"]
              for i, w in enumerate(words)]  # fmt: skip
    ids = [tokenizer.cls_token_id] + [p for ps in pieces for p in ps] + [tokenizer.sep_token_id]
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids]), output_attentions=True)
    att = torch.stack(out.attentions, 1)[0].double().numpy()  # (L, H, T, T)
    spans, pos = [], 1
    for ps in pieces:
        spans.append(list(range(pos, pos + len(ps))))
        pos += len(ps)
    W = len(words)
    word = np.zeros(att.shape[:2] + (W, W))
    for i in range(W):
        for j in range(W):
            to_j = att[:, :, spans[i], :][:, :, :, spans[j]].sum(-1)  # (L, H, |P(i)|)
            word[:, :, i, j] = to_j.mean(-1)
    return word, [len(p) for p in pieces]


def test_uas_writes_the_word_level_attention_it_counted(uas_run, syn_bert_dir, wp_tok, trees):
    doc = read_attention(uas_run / "attention.json")
    res = json.loads((uas_run / "results.json").read_text())
    assert doc["kind"] == "dependency" and doc["variants"] == ["full"]
    assert (doc["layers"], doc["heads"]) == (2, 4)
    assert len(doc["items"]) == 5
    for k, item in enumerate(doc["items"]):
        tree = trees[k % len(trees)]
        assert item["tokens"] == tree.forms
        assert item["gold_heads"] == [h - 1 for h in tree.heads]
        assert item["query"] is None
        a = item_attention(doc, k)
        n = len(item["tokens"])
        # special tokens are dropped, not renormalised: rows sum to at most 1
        rows = a.sum(-1)
        assert (rows <= 1 + n / 255).all() and (rows > 0.1).all()
    best = res["best"]["clean"]
    assert doc["best_heads"]["all"] == [best["layer"], best["head"]]
    for rel, row in res["by_relation"].items():
        assert doc["best_heads"][rel] == [row["layer"], row["head"]]
    grid = np.array(res["uas"]["clean"][best["direction"]])
    np.testing.assert_allclose(np.array(doc["head_scores"]["values"]), grid)
    assert best["direction"] in doc["head_scores"]["name"]


def test_word_level_matrix_equals_hf_attention_pooled_by_hand(uas_run, syn_bert_dir, wp_tok):
    doc = read_attention(uas_run / "attention.json")
    k = 1  # "Unbelievable transformations happened yesterday .": split words
    words = doc["items"][k]["tokens"]
    expected, n_pieces = _by_hand(syn_bert_dir, wp_tok, words)
    assert max(n_pieces) > 1, "the parity needs a word of several pieces"
    got = item_attention(doc, k)
    np.testing.assert_allclose(got, expected, atol=0.5 / 255 + 1e-6)
    # the discriminating cases: the other pooling choices give other matrices
    assert np.abs(got - expected.transpose(0, 1, 3, 2)).max() > 2 / 255
    counts = np.array(n_pieces, dtype=float)
    summed_from = expected * counts[None, None, :, None]  # sum, not mean, over the attending
    assert np.abs(got - summed_from).max() > 2 / 255
    # and a row plus its attention to [CLS]/[SEP] is the whole row
    from transformers import AutoModelForMaskedLM

    model = AutoModelForMaskedLM.from_pretrained(syn_bert_dir, attn_implementation="eager").eval()
    ids = wp_tok(words, is_split_into_words=True, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        att = torch.stack(model(input_ids=ids, output_attentions=True).attentions, 1)[0].numpy()
    to_special = att[:, :, 1:-1][..., [0, -1]].sum(-1)  # (L, H, pieces)
    starts = np.cumsum([0, *n_pieces])
    special_by_word = np.stack(
        [to_special[:, :, a:b].mean(-1) for a, b in zip(starts[:-1], starts[1:], strict=True)], -1
    )
    n = len(words)
    np.testing.assert_allclose(got.sum(-1) + special_by_word, 1.0, atol=n / 255)


def test_attention_sentences_zero_writes_no_file(tmp_path, syn_bert_dir, trees):
    conllu = tmp_path / "trees.conllu"
    write_conllu(list(trees), conllu)
    cfg = UASConfig(
        model=str(syn_bert_dir),
        conllu=str(conllu),
        attention_sentences=0,
        impl=UASImpl(device="cpu", progress=False),
    )
    run_uas(cfg, tmp_path / "run")
    assert (tmp_path / "run" / "results.json").exists()
    assert not (tmp_path / "run" / "attention.json").exists()


def test_attention_sentences_is_checked():
    from bertology.errors import InputError

    with pytest.raises(InputError, match="attention_sentences"):
        UASConfig(model="m", conllu="c", attention_sentences=-1).validate()
