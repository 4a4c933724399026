"""Which form of an object the model predicts at the mask: space sensitivity and mask position."""

from __future__ import annotations

from typing import Any

import pytest

from bertology.data.vocab import is_space_sensitive, mask_follows_space, object_token_id


def _wordlevel_bytelevel(vocab: list[str]) -> Any:
    """A word-level tokenizer over byte-level pre-tokenization (``Ġ`` marks a leading space),
    with an unknown token for words outside ``vocab``."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    ids = {w: i for i, w in enumerate(["[UNK]", *vocab])}
    tok = Tokenizer(models.WordLevel(vocab=ids, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]")


def test_space_sensitive_when_only_some_words_change_with_a_leading_space() -> None:
    """One word that tokenizes differently after a space makes the tokenizer space sensitive,
    even if another probe word maps to ``[UNK]`` both ways (``paris`` is unknown here).

    The mid-sentence object must then be looked up in its ``Ġ`` form: id of ``Ġthe``, not of
    ``the``.
    """
    tok = _wordlevel_bytelevel(["the", "Ġthe", "a", "Ġa", "x", "Ġx"])
    # by hand: the probe word "paris" is [UNK] with or without the space
    assert tok(" paris", add_special_tokens=False)["input_ids"] == [0]
    assert tok("paris", add_special_tokens=False)["input_ids"] == [0]
    assert is_space_sensitive(tok) is True
    assert object_token_id(tok, "the", after_space=True) == 2  # Ġthe
    assert object_token_id(tok, "the", after_space=False) == 1  # the


def test_space_insensitive_when_no_probe_word_changes() -> None:
    """A plain word-level tokenizer (no ``Ġ``) is not space sensitive; objects keep one id."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    ids = {"[UNK]": 0, "the": 1, "paris": 2, "a": 3, "x": 4}
    raw = Tokenizer(models.WordLevel(vocab=ids, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="[UNK]")
    assert is_space_sensitive(tok) is False
    assert object_token_id(tok, "paris", after_space=True) == 2
    assert object_token_id(tok, "rome", after_space=True) is None  # [UNK] is never scored


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("Paris is the capital of [MASK].", True),
        ("[MASK] is the capital of France.", False),
        ("[MASK] is the capital of France. ", False),  # trailing space: still sentence-initial
        ("[MASK] is the capital of France.\n", False),
        ('"[MASK]" is a city.', False),  # after a quote, not after whitespace
        ("(x)[MASK] is a city.", False),
        (" [MASK] is a city.", True),  # one leading space: the mask follows whitespace
        ("\t[MASK] is a city.", True),
        ("a [MASK]", True),
        ("no placeholder here ", False),
    ],
)
def test_mask_follows_space_exactly_when_preceded_by_whitespace(
    prompt: str, expected: bool
) -> None:
    """True iff the character just before the mask is whitespace; a sentence-initial mask is
    False whatever the prompt ends with, and a prompt without the mask is False."""
    assert mask_follows_space(prompt) is expected
