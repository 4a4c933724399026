"""Alignment edge cases: words without pieces, tokenizers without an unknown token, duck-typed
tokenizers, and the maximum input length from a tokenizer and a model's position embeddings.

Expectations are written by hand from the tokenizers' documented behaviour (WordPiece ignores
spaces, byte-level BPE writes a leading space as ``Ġ``), never from the code under test.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

import pytest

from bertology.errors import InputError
from bertology.syntax.align import align_words, model_max_length

ZWSP = "\u200b"  # zero-width space: WordPiece's normaliser removes it, leaving no piece


def _pieces(tok: Any, ids: list[int]) -> list[str]:
    return tok.convert_ids_to_tokens(ids)


# --- words without pieces --------------------------------------------------------------------


@pytest.mark.parametrize("position", [0, 1, 2])
def test_pieceless_word_becomes_one_unknown_token_at_any_position(wp_tok: Any, position: int):
    """A word WordPiece gives no piece (first, middle or last) is one ``[UNK]`` piece, the
    special tokens stay word-less (-1), and every word keeps exactly its own pieces."""
    words = ["the", "dog", "cat"]
    words.insert(position, ZWSP)
    (a,) = align_words(wp_tok, [words])
    expected = ["[CLS]", "the", "dog", "cat", "[SEP]"]
    expected.insert(position + 1, "[UNK]")
    assert _pieces(wp_tok, a.input_ids) == expected
    assert a.token_word == [-1, 0, 1, 2, 3, -1]
    assert a.input_ids[position + 1] == wp_tok.unk_token_id  # the unknown token, not padding
    assert a.n_words == 4


def test_empty_first_word_in_byte_level_bpe_is_one_unknown_piece_without_a_space(bpe_tok: Any):
    """Byte-level BPE gives an empty first word no piece; it becomes ``<unk>`` in its
    sentence-initial form (no ``Ġ`` piece before it), so it owns exactly one token."""
    (a,) = align_words(bpe_tok, [["", "the", "dog"]])
    assert _pieces(bpe_tok, a.input_ids) == ["<s>", "<unk>", "Ġthe", "Ġdog", "</s>"]
    assert a.token_word == [-1, 0, 1, 2, -1]


def test_tokenizer_without_unknown_or_padding_token_aligns_ordinary_words(wp_tok: Any):
    """Without an unknown (or padding) token, sentences whose words all have pieces still
    align; only a piece-less word is an error."""
    tok = copy.deepcopy(wp_tok)
    tok.unk_token = None
    tok.pad_token = None
    (a,) = align_words(tok, [["the", "dog"]])
    assert _pieces(tok, a.input_ids) == ["[CLS]", "the", "dog", "[SEP]"]
    assert a.token_word == [-1, 0, 1, -1]
    with pytest.raises(InputError, match="no unknown token"):
        align_words(tok, [["the", ZWSP, "dog"]])


@pytest.mark.parametrize("position", [0, 1, 2])
def test_word_that_even_the_unknown_token_cannot_piece_is_an_error(wp_tok: Any, position: int):
    """If the replacement still gives a word no piece, alignment refuses (naming the word)
    instead of returning a sentence with a word-less slot, wherever the word is."""
    tok = copy.deepcopy(wp_tok)
    tok.unk_token = ZWSP  # an "unknown token" that is itself removed by the normaliser
    words = ["the", "dog"]
    words.insert(position, ZWSP)
    with pytest.raises(InputError, match="get no subword pieces") as err:
        align_words(tok, [words])
    assert repr([ZWSP]) in str(err.value)  # the piece-less word, not the others
    assert "'the'" not in str(err.value) and "'dog'" not in str(err.value)


def test_duck_typed_tokenizer_without_is_fast_is_refused() -> None:
    """An object that does not declare ``is_fast`` cannot be trusted to have
    ``word_ids()``: it is refused with the clear error, not called."""

    class Duck:
        def __call__(self, *args: Any, **kwargs: Any) -> None:
            raise AssertionError("a tokenizer without is_fast must not be called")

    with pytest.raises(InputError, match="slow"):
        align_words(Duck(), [["the", "dog"]])


# --- the longest input -----------------------------------------------------------------------


def _tok(max_len: Any = None) -> SimpleNamespace:
    return SimpleNamespace(model_max_length=max_len)


def _model(positions: Any = None, padding_idx: Any = None) -> SimpleNamespace:
    embeddings = SimpleNamespace(padding_idx=padding_idx)
    return SimpleNamespace(
        config=SimpleNamespace(max_position_embeddings=positions),
        base_model=SimpleNamespace(embeddings=embeddings),
    )


@pytest.mark.parametrize(
    "tok_max, positions, padding_idx, expected",
    [
        (128, 512, None, 128),  # the tokenizer's limit is smaller
        (512, 100, None, 100),  # the model's positions are smaller
        (None, 100, 1, 98),  # RoBERTa-style: padding_idx + 1 positions are unusable
        (None, 514, 1, 512),
        (None, 100, 0, 99),
        (1, 512, None, 1),  # the smallest real limit still counts
        (0, 100, None, 100),  # 0: not set
        (None, 1, None, 1),
        (None, 0, None, 512),  # no positions: the default
        (None, None, None, 512),  # nothing known: the default
        (999_999, None, None, 999_999),  # a large but real limit
        (1_000_000, None, None, 512),  # Hugging Face's "no limit" sentinels: not a limit
        (int(1e30), 300, None, 300),
        (int(1e30), None, None, 512),
        ("512", None, None, 512),  # not an int: ignored
    ],
)
def test_model_max_length_is_the_smaller_known_limit(
    tok_max: Any, positions: Any, padding_idx: Any, expected: int
) -> None:
    """min(tokenizer limit when set, position embeddings - (padding_idx + 1) when known),
    512 when neither is known."""
    assert model_max_length(_model(positions, padding_idx), _tok(tok_max)) == expected


def test_model_max_length_without_a_config_uses_the_tokenizer() -> None:
    """A model with no config at all: only the tokenizer's limit (or the default) applies."""
    assert model_max_length(SimpleNamespace(), _tok(64)) == 64
    assert model_max_length(SimpleNamespace(), _tok(None)) == 512
