"""Subword/word alignment for any Hugging Face fast tokenizer.

Words (syntactic words of a dependency tree) are tokenized with ``is_split_into_words=True``
and mapped back with ``word_ids()``. Every word after the first is given in its leading-space
form (``" word"``), so byte-level BPE (RoBERTa) and SentencePiece (XLM-R) tokenize it as they
would inside running text (``Ġword``, ``▁word``); WordPiece ignores the space. The pieces are
then exactly those of the sentence ``" ".join(words)``.

Sentences longer than the model's maximum length are skipped and counted, never truncated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from bertology.errors import InputError, unknown_name_error

AGGREGATIONS = ("first", "mean", "sum")


def check_fast_tokenizer(tokenizer: Any, source: str | None = None) -> None:
    """Alignment needs ``word_ids()``, which only fast (Rust ``tokenizers``) tokenizers have."""
    if not getattr(tokenizer, "is_fast", False):
        where = f"{source}: " if source else ""
        raise InputError(
            f"{where}{type(tokenizer).__name__} is a slow (Python) tokenizer; word alignment "
            "needs a fast tokenizer with word_ids() (a tokenizer.json, or "
            "AutoTokenizer.from_pretrained(..., use_fast=True))"
        )


def spaced_words(words: Sequence[str]) -> list[str]:
    """Words after the first in their leading-space form, as they appear in running text."""
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


def model_max_length(model: Any, tokenizer: Any) -> int:
    """The longest input (special tokens included) that the model can take.

    The smaller of the tokenizer's ``model_max_length`` (when set) and the model's position
    embeddings; RoBERTa-style embeddings, whose positions start after ``padding_idx``, lose
    ``padding_idx + 1`` of those.
    """
    limits: list[int] = []
    tok_max = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_max, int) and 0 < tok_max < 1_000_000:
        limits.append(tok_max)
    config = getattr(model, "config", None)
    pos = getattr(config, "max_position_embeddings", None)
    if isinstance(pos, int) and pos > 0:
        base = getattr(model, "base_model", model)
        pad_idx = getattr(getattr(base, "embeddings", None), "padding_idx", None)
        limits.append(pos - (pad_idx + 1) if isinstance(pad_idx, int) else pos)
    return min(limits) if limits else 512


@dataclass
class AlignedSentence:
    """One sentence's token ids and, for every token, its word index (-1: special token)."""

    input_ids: list[int]
    token_word: list[int]
    n_words: int

    def __len__(self) -> int:
        return len(self.input_ids)


def align_words(
    tokenizer: Any, sentences: Sequence[Sequence[str]], chunk_size: int = 1024
) -> list[AlignedSentence]:
    """Tokenize each sentence's words and record which word every token belongs to.

    A word that yields no pieces (e.g. a lone control character) is replaced by the
    tokenizer's unknown token so every word has at least one piece.
    """
    check_fast_tokenizer(tokenizer)
    out: list[AlignedSentence] = []
    for start in range(0, len(sentences), chunk_size):
        chunk = [spaced_words(ws) for ws in sentences[start : start + chunk_size]]
        enc = tokenizer(chunk, is_split_into_words=True, add_special_tokens=True)
        for b, words in enumerate(chunk):
            ids = list(enc["input_ids"][b])
            token_word = [-1 if w is None else int(w) for w in enc.word_ids(b)]
            if len(set(token_word) - {-1}) < len(words):
                ids, token_word = _realign_with_unk(tokenizer, words, token_word)
            out.append(AlignedSentence(ids, token_word, len(words)))
    return out


def _realign_with_unk(
    tokenizer: Any, words: list[str], token_word: list[int]
) -> tuple[list[int], list[int]]:
    """Re-encode a sentence with its piece-less words replaced by the unknown token."""
    unk = tokenizer.unk_token or tokenizer.pad_token
    if unk is None:
        raise InputError("a word has no subword pieces and the tokenizer has no unknown token")
    present = set(token_word)
    fixed = [w if i in present else (unk if i == 0 else " " + unk) for i, w in enumerate(words)]
    enc = tokenizer(fixed, is_split_into_words=True, add_special_tokens=True)
    token_word = [-1 if w is None else int(w) for w in enc.word_ids()]
    if len(set(token_word) - {-1}) < len(words):
        missing = [words[i].strip() for i in range(len(words)) if i not in set(token_word)]
        raise InputError(f"words {missing!r} get no subword pieces from this tokenizer")
    return list(enc["input_ids"]), token_word


@dataclass
class WordBatch:
    """A padded batch of aligned sentences (tensors on one device)."""

    input_ids: torch.Tensor  # (B, T)
    attention_mask: torch.Tensor  # (B, T)
    token_word: torch.Tensor  # (B, T) word index of each token; -1 special or padding
    n_words: torch.Tensor  # (B,)

    @property
    def max_words(self) -> int:
        return int(self.n_words.max())


def collate(
    sentences: Sequence[AlignedSentence], pad_id: int, device: torch.device | str = "cpu"
) -> WordBatch:
    """Right-pad aligned sentences into tensors."""
    B, T = len(sentences), max(len(s) for s in sentences)
    input_ids = torch.full((B, T), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((B, T), dtype=torch.long)
    token_word = torch.full((B, T), -1, dtype=torch.long)
    for b, s in enumerate(sentences):
        n = len(s)
        input_ids[b, :n] = torch.tensor(s.input_ids)
        attention_mask[b, :n] = 1
        token_word[b, :n] = torch.tensor(s.token_word)
    n_words = torch.tensor([s.n_words for s in sentences], dtype=torch.long)
    return WordBatch(
        input_ids.to(device), attention_mask.to(device), token_word.to(device), n_words.to(device)
    )


def piece_to_word_matrix(
    token_word: torch.Tensor, n_words: int, agg: str, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Weights ``R[b, w, t]`` that pool token ``t`` into word ``w``; shape (B, W, T).

    - ``sum``: 1 for every piece of the word;
    - ``mean``: 1 / (number of pieces);
    - ``first``: 1 for the word's first piece only.

    Special tokens and padding (``token_word == -1``) belong to no word, so their rows and
    columns drop out of the word-level attention, without renormalising what remains.
    """
    if agg not in AGGREGATIONS:
        raise unknown_name_error("aggregation", agg, AGGREGATIONS)
    words = torch.arange(n_words, device=token_word.device)  # (W,)
    member = (token_word[:, None, :] == words[None, :, None]).to(dtype)  # (B, W, T)
    if agg == "sum":
        return member
    if agg == "mean":
        return member / member.sum(-1, keepdim=True).clamp(min=1)
    first = member.cumsum(-1) == 1  # (B, W, T) True from the first piece until the next
    return (first & (member > 0)).to(dtype)


def first_piece_index(token_word: torch.Tensor, n_words: int) -> torch.Tensor:
    """Token index of each word's first piece; -1 where the word is absent. Shape (B, W)."""
    B, T = token_word.shape
    words = torch.arange(n_words, device=token_word.device)
    member = token_word[:, None, :] == words[None, :, None]  # (B, W, T)
    pos = torch.arange(T, device=token_word.device).expand(B, n_words, T)
    first = torch.where(member, pos, torch.full_like(pos, T)).amin(-1)  # (B, W)
    return torch.where(first == T, torch.full_like(first, -1), first)
