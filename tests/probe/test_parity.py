"""Parity of batched probing with ``transformers.pipeline("fill-mask")``, one prompt at a time."""

from __future__ import annotations

import pytest
import torch

from bertology.data.facts import MASK, Fact
from bertology.models import load_mlm
from bertology.probe.scoring import prepare_facts, score_facts


def _prompts(corpus: list[str], n: int) -> list[tuple[str, str]]:
    """(prompt with [MASK], masked word) for every word of every unique sentence."""
    out = []
    for sent in dict.fromkeys(corpus):
        words = sent.split()
        for i, w in enumerate(words):
            if w.isalpha():
                out.append((" ".join([*words[:i], MASK, *words[i + 1 :]]), w))
    assert len(out) >= n
    return out[:n]


@pytest.mark.parametrize("model_fixture", ["tiny_bert_dir", "tiny_roberta_dir"])
def test_top10_and_scores_match_fill_mask_pipeline(model_fixture, request, corpus):
    from transformers import pipeline

    model, tok = load_mlm(request.getfixturevalue(model_fixture), device="cpu")
    pairs = _prompts(corpus, 60)
    facts = [Fact(f"s{i}", "r", w, (p,)) for i, (p, w) in enumerate(pairs)]
    prepared, skipped = prepare_facts(facts, tok)
    assert len(prepared) + len(skipped) == 60 and len(prepared) >= 50
    scores, _ = score_facts(model, tok, prepared, batch_size=16, top=10)
    fill = pipeline("fill-mask", model=model, tokenizer=tok, top_k=10, device="cpu")
    for pf, s in zip(prepared, scores, strict=True):
        ref = fill(pf.prompts[0])
        assert s.top_ids == [r["token"] for r in ref], pf.prompts[0]
        torch.testing.assert_close(
            torch.tensor(s.top_log_probs).exp(),
            torch.tensor([r["score"] for r in ref]),
            rtol=0,
            atol=1e-5,
        )


def test_average_prompts_ranks_by_the_mean_log_probability(tiny_bert_dir):
    model, tok = load_mlm(tiny_bert_dir, device="cpu")
    p1, p2 = f"paris is the capital of {MASK} .", f"the capital of {MASK} is paris ."
    two = Fact("paris", "capital", "france", (p1, p2))
    prepared, _ = prepare_facts(
        [two, Fact("a", "capital", "france", (p1,)), Fact("b", "capital", "france", (p2,))], tok
    )
    avg, _ = score_facts(model, tok, prepared[:1], average_prompts=True)
    singles, _ = score_facts(model, tok, prepared[1:])
    first_only, _ = score_facts(model, tok, prepared[:1], average_prompts=False)
    expected = (singles[0].gold_log_prob + singles[1].gold_log_prob) / 2
    assert abs(avg[0].gold_log_prob - expected) < 1e-5
    assert abs(first_only[0].gold_log_prob - singles[0].gold_log_prob) < 1e-5
