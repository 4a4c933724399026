"""Parity of batched probing with Hugging Face, one prompt at a time.

Top-10 ids and scores are checked against ``transformers.pipeline("fill-mask")``; the gold id,
the skip decision and the gold rank against ``hf_reference`` (conftest), which takes the gold
id from the tokenization of the unmasked sentence and the rank from the model's own logits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from bertology.data.facts import MASK, Fact
from bertology.models import load_mlm
from bertology.probe.scoring import SKIP_MULTI_TOKEN, prepare_facts, score_facts

RARE = "an extraordinarily unbelievable story ."  # the corpus sentence seen once

ARCHS = ["tiny_bert_dir", "tiny_roberta_dir", "tiny_albert_dir", "tiny_distilbert_dir"]


def _prompts(corpus: list[str]) -> list[tuple[str, str, str]]:
    """(sentence, prompt with [MASK], masked word) for every word of every unique sentence."""
    out = []
    for sent in dict.fromkeys(corpus):
        words = sent.split()
        for i, w in enumerate(words):
            if w.isalpha():
                out.append((sent, " ".join([*words[:i], MASK, *words[i + 1 :]]), w))
    return out


@pytest.mark.parametrize("model_fixture", ARCHS)
def test_gold_ids_ranks_and_top10_match_hugging_face(
    model_fixture: str, request: pytest.FixtureRequest, corpus: list[str], hf_reference: Any
) -> None:
    """Guards gold id (incl. sentence-initial BPE and SentencePiece ``▁`` objects), skips,
    rank and top-10 of batched scoring on BERT, RoBERTa, ALBERT and DistilBERT.

    The 60 common prompts are the words of the first unique corpus sentences. Each of those
    words occurs four times in the corpus in the same in-context form (sentence-initial words
    without a leading space, the others with one), the tokenizers keep every form seen at least
    twice, and none hit its vocabulary size, so all 60 are one token: none may be skipped.
    The three words of the sentence seen once other than "an" (which also occurs in "a dog is
    an animal") are split by every tokenizer and must be skipped as multi-token.
    """
    from transformers import pipeline

    model, tok = load_mlm(request.getfixturevalue(model_fixture), device="cpu")
    every = _prompts(corpus)
    triples = every[:60] + [t for t in every if t[0] == RARE]
    facts = [Fact(f"s{i}", "r", w, (p,)) for i, (_, p, w) in enumerate(triples)]
    prepared, skipped = prepare_facts(facts, tok)

    expected_gold = {
        f"s{i}": hf_reference.gold_id(tok, s, p.replace(MASK, tok.mask_token))
        for i, (s, p, _) in enumerate(triples)
    }
    assert {f.object for f, _ in skipped} == {"extraordinarily", "unbelievable", "story"}
    assert sorted(f.subject for f, _ in skipped) == sorted(
        k for k, v in expected_gold.items() if v is None
    )
    assert all(why == SKIP_MULTI_TOKEN for _, why in skipped)
    assert len(prepared) == 61 and len(skipped) == 3
    for pf in prepared:
        assert pf.gold_id == expected_gold[pf.fact.subject], pf.prompts[0]

    scores, _ = score_facts(model, tok, prepared, batch_size=16, top=10)
    fill = pipeline("fill-mask", model=model, tokenizer=tok, top_k=10, device="cpu")
    for pf, s in zip(prepared, scores, strict=True):
        prompt = pf.prompts[0]
        lp = hf_reference.log_probs(model, tok, prompt)
        hf_reference.assert_rank(s.rank, lp, pf.gold_id)
        assert abs(s.gold_log_prob - float(lp[pf.gold_id])) < hf_reference.EPS, prompt
        ref = fill(prompt)
        assert s.top_ids == [r["token"] for r in ref], prompt
        torch.testing.assert_close(
            torch.tensor(s.top_log_probs).exp(),
            torch.tensor([r["score"] for r in ref]),
            rtol=0,
            atol=1e-5,
        )
    # a random tiny model rarely ranks the gold first: the ranks must not all be trivial
    assert len({s.rank for s in scores}) > 10


def test_average_prompts_ranks_by_the_mean_log_probability(tiny_bert_dir: Path) -> None:
    """Guards ``average_prompts``: the mean of the per-prompt log-probabilities, not the first."""
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
