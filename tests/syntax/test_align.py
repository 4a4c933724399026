"""Subword/word alignment with WordPiece, byte-level BPE and SentencePiece-style tokenizers."""

from __future__ import annotations

import pytest
import torch

from bertology.errors import InputError
from bertology.syntax.align import (
    align_words,
    collate,
    first_piece_index,
    model_max_length,
    piece_to_word_matrix,
)

WORDS = ["unbelievable", "transformations", "happened", "yesterday", "."]


@pytest.mark.parametrize("tok_name", ["wp_tok", "bpe_tok", "unigram_tok"])
def test_alignment_splits_words_as_running_text_does(request, tok_name):
    """The pieces are exactly those of the joined sentence, and word_ids() groups them."""
    tok = request.getfixturevalue(tok_name)
    (a,) = align_words(tok, [WORDS])
    assert a.input_ids == tok(" ".join(WORDS))["input_ids"]
    assert a.n_words == len(WORDS)
    # special tokens belong to no word; words are contiguous runs in order
    assert a.token_word[0] == -1 and a.token_word[-1] == -1
    inner = a.token_word[1:-1]
    assert inner == sorted(inner) and set(inner) == set(range(len(WORDS)))
    # the rare words really are split into several pieces
    assert inner.count(0) > 1 and inner.count(1) > 1
    # each word's pieces decode back to the word
    for w, word in enumerate(WORDS):
        ids = [i for i, tw in zip(a.input_ids, a.token_word, strict=True) if tw == w]
        assert tok.decode(ids).strip().lower() == word.lower()


def test_bpe_words_after_the_first_get_their_leading_space_form(bpe_tok):
    (a,) = align_words(bpe_tok, [["the", "dog"]])
    pieces = bpe_tok.convert_ids_to_tokens(a.input_ids)
    assert pieces[1] == "the" and pieces[2] == "Ġdog"


def test_piece_to_word_matrix_pools_first_mean_and_sum():
    token_word = torch.tensor([[-1, 0, 0, 0, 1, -1, -1]])  # [CLS] w0 w0 w0 w1 [SEP] pad
    s = piece_to_word_matrix(token_word, 2, "sum")[0]
    m = piece_to_word_matrix(token_word, 2, "mean")[0]
    f = piece_to_word_matrix(token_word, 2, "first")[0]
    assert s.tolist() == [[0, 1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0]]
    assert torch.allclose(m[0], torch.tensor([0, 1 / 3, 1 / 3, 1 / 3, 0, 0, 0]))
    assert f.tolist() == [[0, 1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0]]
    assert first_piece_index(token_word, 3).tolist() == [[1, 4, -1]]
    with pytest.raises(InputError, match="unknown aggregation"):
        piece_to_word_matrix(token_word, 2, "max")


def test_collate_pads_right_and_marks_padding_as_no_word(wp_tok):
    a = align_words(wp_tok, [["the", "dog"], WORDS])
    batch = collate(a, wp_tok.pad_token_id)
    assert batch.input_ids.shape == (2, len(a[1]))
    assert batch.attention_mask[0].sum() == len(a[0])
    assert (batch.token_word[0, len(a[0]) :] == -1).all()
    assert batch.n_words.tolist() == [2, 5] and batch.max_words == 5


def test_word_without_pieces_falls_back_to_unknown_token(wp_tok):
    (a,) = align_words(wp_tok, [["the", "\u200b", "dog"]])  # zero-width space: no pieces
    assert set(a.token_word) - {-1} == {0, 1, 2}


def test_slow_tokenizer_gets_a_clear_error(tmp_path):
    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "dog"]))
    slow = BertTokenizerLegacy(str(vocab))
    assert not slow.is_fast
    with pytest.raises(InputError, match="slow .*word_ids"):
        align_words(slow, [["the", "dog"]])


def test_max_length_accounts_for_roberta_position_offset(syn_bert, syn_roberta, wp_tok, bpe_tok):
    assert model_max_length(syn_bert, wp_tok) == 512
    # RoBERTa embeddings have 514 positions, of which padding_idx + 1 = 2 are unusable
    assert syn_roberta.config.max_position_embeddings == 514
    assert model_max_length(syn_roberta, bpe_tok) == 512
