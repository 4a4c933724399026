"""PLL parity (issue 14): per-token log-probabilities equal minicons' ``MaskedLMScorer`` for
``original`` and ``within_word_l2r`` (tiny BERT with WordPiece words split into several
pieces, tiny RoBERTa with byte-level BPE); ``whole_word`` equals a brute-force loop over
HF logits; sub-batching under any token budget gives the same scores."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import AutoModelForMaskedLM, AutoTokenizer

from bertology.errors import InputError
from bertology.evals.pll import pll

SENTENCES = [
    "the cat sat on the mat .",
    "an extraordinarily unbelievable story .",  # multi-piece words
    "paris is the capital of france .",
    "a dog barks",
    "the hammer is used for driving nails near the extraordinarily long river .",
]


def _load(d):
    model = AutoModelForMaskedLM.from_pretrained(d, attn_implementation="eager").eval()
    tok = AutoTokenizer.from_pretrained(d)
    return model, tok


def _tiny_albert(corpus):
    """A tiny ALBERT with a SentencePiece (unigram, ``▁word``) tokenizer trained here."""
    from tokenizers import SentencePieceUnigramTokenizer
    from tokenizers.processors import TemplateProcessing
    from transformers import AlbertTokenizerFast

    from bertology.models import SmallMLMConfig, build_mlm

    sp = SentencePieceUnigramTokenizer()
    specials = ["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"]
    sp.train_from_iterator(corpus, vocab_size=150, special_tokens=specials, unk_token="<unk>")
    cls, sep = sp.token_to_id("[CLS]"), sp.token_to_id("[SEP]")
    sp._tokenizer.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    tok = AlbertTokenizerFast(
        tokenizer_object=sp._tokenizer, unk_token="<unk>", pad_token="<pad>",
        cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
    )  # fmt: skip
    model = build_mlm(SmallMLMConfig(arch="albert", layers=2, hidden=32, heads=4, seed=0), tok)
    return model.eval(), tok


@pytest.fixture(scope="module", params=["bert", "roberta", "albert"])
def model_tok(request, tiny_bert_dir, tiny_roberta_dir, corpus):
    if request.param == "albert":
        return _tiny_albert(corpus)
    return _load(tiny_bert_dir if request.param == "bert" else tiny_roberta_dir)


def _minicons(model, tok, sentences, metric):
    from minicons import scorer

    if not hasattr(tok, "batch_encode_plus"):  # removed in transformers 5; minicons calls it
        tok.batch_encode_plus = lambda texts, **kw: tok(texts, **kw)
    s = scorer.MaskedLMScorer(model, device="cpu", tokenizer=tok, PLL_metric=metric)
    return s.sequence_score(sentences, reduction=lambda x: x, PLL_metric=metric)


def test_the_sentences_have_multi_piece_words(model_tok):
    _, tok = model_tok
    enc = tok(SENTENCES[1])
    words = [w for w in enc.word_ids() if w is not None]
    assert len(words) > len(set(words))  # some word has several pieces: l2r differs from original


@pytest.mark.parametrize(
    ("ours", "theirs"), [("original", "original"), ("word_l2r", "within_word_l2r")]
)
def test_per_token_parity_with_minicons(model_tok, ours, theirs):
    model, tok = model_tok
    ref = _minicons(model, tok, SENTENCES, theirs)
    got = pll(model, tok, SENTENCES, metric=ours)
    for g, r in zip(got, ref, strict=True):
        assert len(g.log_probs) == len(r)
        assert g.log_probs == pytest.approx(r.tolist(), abs=1e-5)
        assert g.total == pytest.approx(float(r.sum()), abs=1e-4)


def test_word_l2r_and_original_differ_only_on_multi_piece_words(model_tok):
    model, tok = model_tok
    a = pll(model, tok, SENTENCES[1:2], metric="original")[0]
    b = pll(model, tok, SENTENCES[1:2], metric="word_l2r")[0]
    c = pll(model, tok, SENTENCES[1:2], metric="whole_word")[0]
    enc = tok(SENTENCES[1], return_special_tokens_mask=True)
    words = [w for w, s in zip(enc.word_ids(), enc["special_tokens_mask"], strict=True) if not s]
    last = [i == len(words) - 1 or words[i + 1] != w for i, w in enumerate(words)]
    first = [i == 0 or words[i - 1] != w for i, w in enumerate(words)]
    for k in range(len(words)):
        single = first[k] and last[k]
        assert (a.log_probs[k] == pytest.approx(b.log_probs[k], abs=1e-6)) == single or not single
        if last[k]:  # the last piece: l2r masks only itself, as original does
            assert b.log_probs[k] == pytest.approx(a.log_probs[k], abs=1e-6)
        if first[k]:  # the first piece: l2r masks the whole word, as whole_word does
            assert b.log_probs[k] == pytest.approx(c.log_probs[k], abs=1e-6)
    assert any(not x for x in last)


def _brute_whole_word(model, tok, sentence):
    """Mask every piece of the target's word, run the full model, read the HF logits."""
    enc = tok(sentence, return_special_tokens_mask=True, return_tensors="pt")
    ids = enc["input_ids"][0]
    words = enc.word_ids()
    out = []
    for t in range(len(ids)):
        if enc["special_tokens_mask"][0, t]:
            continue
        x = ids.clone()
        for j in range(len(ids)):
            if words[j] == words[t] and not enc["special_tokens_mask"][0, j]:
                x[j] = tok.mask_token_id
        with torch.no_grad():
            logits = model(input_ids=x[None]).logits[0, t].double()
        out.append(float(torch.log_softmax(logits, -1)[ids[t]]))
    return out


def test_whole_word_against_brute_force(model_tok):
    model, tok = model_tok
    got = pll(model, tok, SENTENCES, metric="whole_word")
    for g, s in zip(got, SENTENCES, strict=True):
        assert g.log_probs == pytest.approx(_brute_whole_word(model, tok, s), abs=1e-5)


@pytest.mark.parametrize("budget", [1, 7, 40, 333, 100_000])
def test_sub_batching_gives_the_same_scores(model_tok, budget):
    model, tok = model_tok
    ref = pll(model, tok, SENTENCES, token_budget=10**6, head_rows=10**6)
    got = pll(model, tok, SENTENCES, token_budget=budget, head_rows=3)
    for g, r in zip(got, ref, strict=True):
        assert g.log_probs == pytest.approx(r.log_probs, abs=1e-5)


def test_special_tokens_are_never_scored(model_tok):
    model, tok = model_tok
    (s,) = pll(model, tok, ["a dog barks"])
    specials = set(tok.all_special_tokens)
    assert s.tokens and not specials & set(s.tokens)
    assert len(s.tokens) == len(tok("a dog barks", add_special_tokens=False)["input_ids"])
    assert math.isclose(s.total, sum(s.log_probs), abs_tol=1e-9)


def test_bad_input_names_the_sentence(model_tok):
    model, tok = model_tok
    with pytest.raises(InputError, match=r"^pairs.jsonl:7: sentence '' has no tokens to score"):
        pll(model, tok, ["a dog", ""], sources=["pairs.jsonl:3", "pairs.jsonl:7"])
    long = " ".join(["dog"] * 600)
    with pytest.raises(
        InputError, match=r"^f:2: sentence 'dog dog.*longer than the model's \d+ positions"
    ):
        pll(model, tok, ["a dog", long], sources=["f:1", "f:2"])
    with pytest.raises(InputError, match="unknown PLL metric 'mean'"):
        pll(model, tok, ["a dog"], metric="mean")


@pytest.mark.parametrize("budget", [1, 40, 333])
def test_no_encoder_call_exceeds_the_token_budget(model_tok, budget):
    from bertology.evals.pll import PLLStats

    model, tok = model_tok
    stats = PLLStats()
    pll(model, tok, SENTENCES, token_budget=budget, stats=stats)
    longest = max(len(tok(s)["input_ids"]) for s in SENTENCES)
    assert stats.largest_call <= max(budget, longest)  # one copy alone may exceed a tiny budget
    assert stats.copies == sum(
        len(tok(s, add_special_tokens=False)["input_ids"]) for s in SENTENCES
    )
    if budget >= 333:
        assert stats.largest_call > budget // 2  # the calls are filled, not one copy each


def test_a_sentence_of_exactly_the_model_positions_is_scored(model_tok):
    from bertology.models.load import max_tokens

    model, tok = model_tok
    limit = max_tokens(model)
    n_specials = len(tok("dog")["input_ids"]) - len(
        tok("dog", add_special_tokens=False)["input_ids"]
    )
    words = ["dog"] * (limit - n_specials)
    assert len(tok(" ".join(words))["input_ids"]) == limit
    (s,) = pll(model, tok, [" ".join(words)], token_budget=limit * 4)
    assert len(s.log_probs) == limit - n_specials
    with pytest.raises(InputError, match="longer than the model's"):
        pll(model, tok, [" ".join([*words, "dog"])])
