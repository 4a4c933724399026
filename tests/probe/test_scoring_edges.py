"""Edge cases of cloze preparation: which form (after a space or not) gold ids and candidate
files take, skip reasons, and prompts that must never be truncated.

Expected ids are computed here by tokenizing the words directly, not through
``bertology.data.vocab``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bertology.data.facts import MASK, Fact
from bertology.errors import InputError
from bertology.probe.scoring import encode_prompts, prepare_facts


def _single(tok: Any, text: str) -> int | None:
    """The id of ``text`` if it is exactly one token, else None."""
    ids = tok(text, add_special_tokens=False)["input_ids"]
    return ids[0] if len(ids) == 1 else None


def _vocab(tmp_path: Path, *words: str) -> Path:
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(words) + "\n")
    return path


def test_first_prompt_decides_gold_form(bpe_tokenizer: Any) -> None:
    """The gold is the form predicted at the first prompt's mask: with a sentence-initial
    first prompt and a mid-sentence second one, "the" is the bare token, not ``Ġthe``."""
    tok = bpe_tokenizer
    bare, spaced = _single(tok, "the"), _single(tok, " the")
    assert bare is not None and spaced is not None and bare != spaced
    fact = Fact("cat", "article", "the", (f"{MASK} cat sat .", f"near {MASK} window ."))
    prepared, skipped = prepare_facts([fact], tok)
    assert skipped == []
    assert [pf.gold_id for pf in prepared] == [bare]
    assert prepared[0].prompts == tuple(p.replace(MASK, tok.mask_token) for p in fact.prompts)


def test_candidate_file_check_uses_first_prompt_form(bpe_tokenizer: Any, tmp_path: Path) -> None:
    """A candidate file whose words are single tokens only in their bare form is valid for
    facts whose (first) prompt starts with the mask: no error, and the gold is a candidate."""
    tok = bpe_tokenizer
    assert _single(tok, "paris") is not None and _single(tok, " paris") is None
    vocab = _vocab(tmp_path, "paris")
    fact = Fact("fr", "capital", "paris", (f"{MASK} is the capital of france .", f"x {MASK} ."))
    prepared, skipped = prepare_facts([fact], tok, vocab)
    assert skipped == []
    assert [pf.candidates.tolist() for pf in prepared] == [[_single(tok, "paris")]]


def test_candidate_file_valid_in_one_of_the_facts_forms(bpe_tokenizer: Any, tmp_path: Path) -> None:
    """Facts in both forms, a file whose words are single tokens in the bare form only: the
    file is usable (for the sentence-initial fact), the other fact is skipped as not a
    candidate rather than the whole run failing."""
    tok = bpe_tokenizer
    paris = _single(tok, "paris")
    assert paris is not None and _single(tok, " paris") is None
    vocab = _vocab(tmp_path, "paris")
    initial = Fact("fr", "capital", "paris", (f"{MASK} is the capital of france .",))
    middle = Fact("fr2", "capital", "france", (f"paris is the capital of {MASK} .",))
    assert _single(tok, " france") is not None
    prepared, skipped = prepare_facts([initial, middle], tok, vocab)
    assert [(pf.fact.subject, pf.gold_id, pf.candidates.tolist()) for pf in prepared] == [
        ("fr", paris, [paris])
    ]
    assert [(f.subject, why) for f, why in skipped] == [("fr2", "object_not_in_candidates")]


def test_not_candidate_is_skipped_with_reason(tiny_bert_dir: Path, tmp_path: Path) -> None:
    """A single-token object missing from the candidate file is skipped and counted under
    ``object_not_in_candidates``; candidate objects are kept."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_bert_dir)
    assert _single(tok, "france") is not None and _single(tok, "italy") is not None
    vocab = _vocab(tmp_path, "france")
    facts = [
        Fact("a", "capital", "france", (f"paris is the capital of {MASK} .",)),
        Fact("b", "capital", "italy", (f"rome is the capital of {MASK} .",)),
    ]
    prepared, skipped = prepare_facts(facts, tok, vocab)
    assert [pf.fact.subject for pf in prepared] == ["a"]
    assert [(f.subject, why) for f, why in skipped] == [("b", "object_not_in_candidates")]


def test_no_facts_with_spaced_candidate_file(bpe_tokenizer: Any, tmp_path: Path) -> None:
    """With no facts, the candidate file is checked in the mid-sentence (spaced) form: a file
    of words that are single tokens after a space is accepted, and nothing is prepared."""
    tok = bpe_tokenizer
    assert _single(tok, " france") is not None and _single(tok, "france") is None
    assert prepare_facts([], tok, _vocab(tmp_path, "france")) == ([], [])


def test_no_facts_with_unusable_candidate_file_raises(bpe_tokenizer: Any, tmp_path: Path) -> None:
    """A file with no single-token word (in the spaced form) is rejected even with no facts."""
    tok = bpe_tokenizer
    assert _single(tok, " extraordinarily") is None
    with pytest.raises(InputError):
        prepare_facts([], tok, _vocab(tmp_path, "extraordinarily"))


def test_encode_prompts_never_truncates(tiny_bert_dir: Path) -> None:
    """A prompt longer than the tokenizer's ``model_max_length`` is encoded whole: truncation
    would silently drop words (or the mask) from the prompt being scored."""
    import torch
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_bert_dir, model_max_length=8)
    prompt = "the cat sat on the mat near the window and " + tok.mask_token + " ."
    n = len(tok(prompt, add_special_tokens=True, truncation=False)["input_ids"])
    assert n > 8
    enc = encode_prompts(tok, [prompt], torch.device("cpu"))
    assert enc["input_ids"].shape == (1, n)
    assert int((enc["input_ids"] == tok.mask_token_id).sum()) == 1


def test_too_long_check_counts_special_tokens(wordpiece_tokenizer: Any) -> None:
    """The position limit is checked on the prompt as the model sees it, ``[CLS]`` and
    ``[SEP]`` included: a prompt that fills the positions exactly is scored, one token more
    is refused with an :class:`InputError` (not an index error inside the model)."""
    from bertology.models import SmallMLMConfig, build_mlm
    from bertology.probe.scoring import iter_mask_log_probs

    tok = wordpiece_tokenizer
    fits = f"the cat sat on the {tok.mask_token} ."
    n = len(tok(fits)["input_ids"])  # with [CLS] and [SEP]
    assert n == len(tok(fits, add_special_tokens=False)["input_ids"]) + 2
    cfg = SmallMLMConfig(arch="bert", layers=1, hidden=16, heads=2, seed=0, max_position=n)
    model = build_mlm(cfg, tok).eval()
    assert model.config.max_position_embeddings == n
    ((idx, lp),) = list(iter_mask_log_probs(model, tok, [fits]))
    assert idx == [0] and lp.shape == (1, model.config.vocab_size)
    longer = f"the cat sat on the mat {tok.mask_token} ."
    assert len(tok(longer)["input_ids"]) == n + 1
    with pytest.raises(InputError, match="longer than"):
        list(iter_mask_log_probs(model, tok, [longer]))
