"""Which words are a single token of a tokenizer, in the form the model predicts at a mask.

WordPiece (BERT) tokenizes a word the same with or without a space before it. Byte-level BPE
(RoBERTa, GPT-2) does not: mid-sentence words carry a leading space (``Ġparis``), and that
is the token a RoBERTa model predicts for ``... born in <mask> .``. SentencePiece (ALBERT,
XLM-R) marks word starts with ``▁`` either way. :func:`object_token_id` asks the tokenizer
itself, so every family is handled without special cases: an object is scorable only if its
contextual form is exactly one token and not the unknown token.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


def _ids(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def is_space_sensitive(tokenizer: Any) -> bool:
    """True when ``" word"`` and ``"word"`` tokenize differently (byte-level BPE)."""
    return _cached_space_sensitive(tokenizer)


@lru_cache(maxsize=64)
def _cached_space_sensitive(tokenizer: Any) -> bool:
    probes = ("the", "paris", "a", "x")
    return any(_ids(tokenizer, " " + w) != _ids(tokenizer, w) for w in probes)


def object_token_id(tokenizer: Any, word: str, after_space: bool = True) -> int | None:
    """The id of ``word`` as one token where it follows a space (or not), else ``None``.

    ``None`` means the object cannot be scored by single-mask cloze ranking: it is several
    tokens, or the unknown token. Such facts are skipped and counted, never scored as [UNK].
    """
    text = (" " + word) if after_space and is_space_sensitive(tokenizer) else word
    ids = _ids(tokenizer, text)
    if len(ids) != 1:
        return None
    unk = getattr(tokenizer, "unk_token_id", None)
    if unk is not None and ids[0] == unk:
        return None
    return int(ids[0])


def mask_follows_space(prompt: str, mask: str = "[MASK]") -> bool:
    """Whether the mask placeholder in ``prompt`` follows whitespace (not sentence-initial)."""
    i = prompt.find(mask)
    return i > 0 and prompt[i - 1].isspace()
