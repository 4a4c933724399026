"""Gold ids of byte-level BPE objects where the mask starts the sentence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bertology.data.facts import MASK, Fact
from bertology.models import load_mlm
from bertology.probe.scoring import prepare_facts, score_facts

# (sentence, object): sentence-initial objects, and one mid-sentence object for contrast
CASES = [
    ("paris is the capital of france .", "paris"),
    ("the cat sat on the mat near the window .", "the"),
    ("a dog is an animal that barks .", "a"),
    ("paris is the capital of france .", "france"),
]


def _single(tok: Any, text: str) -> int | None:
    """The id of ``text`` if it is exactly one token, else None."""
    ids = tok(text, add_special_tokens=False)["input_ids"]
    return ids[0] if len(ids) == 1 else None


def test_sentence_initial_bpe_object_is_scored_in_its_no_space_form(
    tiny_roberta_dir: Path, hf_reference: Any
) -> None:
    """Guards the RoBERTa gold id of a sentence-initial mask: ``paris``, not ``Ġparis``.

    The corpus has "paris" and "a" only sentence-initially, so their leading-space forms are
    several tokens (a leading-space lookup would drop them as multi-token); "the" is one token
    in both forms (a leading-space lookup would score the wrong token).
    """
    model, tok = load_mlm(tiny_roberta_dir, device="cpu")
    assert _single(tok, " paris") is None and _single(tok, " a") is None
    the_spaced, the_bare = _single(tok, " the"), _single(tok, "the")
    assert the_spaced is not None and the_bare is not None and the_spaced != the_bare

    facts = []
    for i, (sentence, word) in enumerate(CASES):
        words = sentence.split()
        j = words.index(word)
        facts.append(Fact(f"s{i}", "r", word, (" ".join([*words[:j], MASK, *words[j + 1 :]]),)))
    prepared, skipped = prepare_facts(facts, tok)
    assert skipped == []
    for pf, (sentence, _) in zip(prepared, CASES, strict=True):
        prompt = pf.prompts[0]
        assert pf.gold_id == hf_reference.gold_id(tok, sentence, prompt), prompt
    assert tok.convert_ids_to_tokens([pf.gold_id for pf in prepared]) == [
        "paris",
        "the",
        "a",
        "Ġfrance",
    ]

    scores, _ = score_facts(model, tok, prepared)
    for pf, s in zip(prepared, scores, strict=True):
        lp = hf_reference.log_probs(model, tok, pf.prompts[0])
        hf_reference.assert_rank(s.rank, lp, pf.gold_id)


def test_candidates_of_a_sentence_initial_bpe_mask_take_the_no_space_form(
    tiny_roberta_dir: Path, tmp_path: Path, hf_reference: Any
) -> None:
    """Guards candidate sets (relation objects, and a candidate file) where the mask starts
    a RoBERTa prompt: the candidates must be the forms predicted there (``paris``, ``the``),
    else every such fact is skipped as not a candidate, or ranked among the wrong tokens.
    """
    model, tok = load_mlm(tiny_roberta_dir, device="cpu")
    facts = [
        Fact("france", "capital", "paris", (f"{MASK} is the capital of france .",)),
        Fact("germany", "capital", "berlin", (f"{MASK} is the capital of germany .",)),
        Fact("spain", "capital", "madrid", (f"{MASK} is the capital of spain .",)),
        Fact("cat", "article", "the", (f"{MASK} cat sat on the mat near the window .",)),
        Fact("dog", "article", "a", (f"{MASK} dog is an animal that barks .",)),
    ]
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("paris\nberlin\nmadrid\nrome\nthe\na\nextraordinarily\n")
    relation_words = {"capital": ["paris", "berlin", "madrid"], "article": ["the", "a"]}
    for candidates in ("relation", str(vocab)):
        prepared, skipped = prepare_facts(facts, tok, candidates)
        assert skipped == [], candidates
        scores, _ = score_facts(model, tok, prepared)
        for pf, s in zip(prepared, scores, strict=True):
            prompt = pf.prompts[0]
            words = (
                relation_words[pf.fact.relation]
                if candidates == "relation"
                else vocab.read_text().split()
            )
            in_place = [
                hf_reference.gold_id(tok, prompt.replace(tok.mask_token, w), prompt) for w in words
            ]
            expected = sorted({i for i in in_place if i is not None})
            assert sorted(pf.candidates.tolist()) == expected, (candidates, prompt)
            lp = hf_reference.log_probs(model, tok, prompt)
            hf_reference.assert_rank(s.rank, lp, pf.gold_id, expected)


def test_object_that_is_the_unknown_token_is_skipped(tiny_bert_dir: Path) -> None:
    """Guards the [UNK] rule: an object outside the vocabulary (one token, but [UNK]) is
    skipped as not scorable, never ranked as if [UNK] were the answer."""
    _, tok = load_mlm(tiny_bert_dir, device="cpu")
    assert tok("7", add_special_tokens=False)["input_ids"] == [tok.unk_token_id]
    facts = [
        Fact("paris", "capital", "7", (f"paris is the capital of {MASK} .",)),
        Fact("rome", "capital", "italy", (f"rome is the capital of {MASK} .",)),
    ]
    prepared, skipped = prepare_facts(facts, tok)
    assert [pf.fact.object for pf in prepared] == ["italy"]
    assert [(f.object, why) for f, why in skipped] == [("7", "multi_token_object")]
