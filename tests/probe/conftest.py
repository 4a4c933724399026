"""Probe fixtures: tiny ALBERT (SentencePiece-style) and DistilBERT models saved as HF dirs,
and ``hf_reference``, scoring written apart from ``bertology.probe`` to check it against.

Nothing is downloaded. The ALBERT tokenizer is a ``transformers`` ``AlbertTokenizerFast``
(lowercasing, whitespace split, ``▁`` before every word, ``[CLS] ... [SEP]``) over a unigram
vocabulary fitted to the test corpus here.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import torch

SPM_SPECIALS = ("<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]")  # AlbertTokenizer wants unk at 1


def unigram_vocab(corpus: list[str], min_frequency: int = 2) -> list[tuple[str, float]]:
    """A SentencePiece unigram vocabulary fitted by counting: ``(piece, log-probability)``.

    Pieces are ``▁word`` for each lowercased word seen at least ``min_frequency`` times, with
    its count, plus ``▁`` and every character as fallbacks counted once, so rarer words fall
    apart into several pieces while a kept word always beats any split of it (two pieces
    score at most ``log(n1 / T) + log(n2 / T) < log(n / T)``). The ``tokenizers`` unigram
    trainer prunes a corpus this small down to character n-grams, leaving no word whole.
    """
    words = Counter(w for line in corpus for w in line.lower().split())
    pieces = {f"▁{w}": n for w, n in words.items() if n >= min_frequency}
    for c in ["▁", *sorted({c for w in words for c in w})]:
        pieces.setdefault(c, 1)
    total = sum(pieces.values())
    ranked = sorted(pieces.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(s, 0.0) for s in SPM_SPECIALS] + [(p, math.log(n / total)) for p, n in ranked]


@pytest.fixture(scope="session")
def sentencepiece_tokenizer(corpus: list[str]) -> Any:
    """An ALBERT tokenizer (SentencePiece-style unigram with ``▁`` word starts)."""
    from transformers import AlbertTokenizerFast

    return AlbertTokenizerFast(vocab=unigram_vocab(corpus))


def _save_tiny(arch: str, tokenizer: Any, directory: Path) -> Path:
    from bertology.models import SmallMLMConfig, build_mlm

    model = build_mlm(SmallMLMConfig(arch=arch, layers=2, hidden=32, heads=4, seed=0), tokenizer)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_albert_dir(tmp_path_factory: pytest.TempPathFactory, sentencepiece_tokenizer: Any) -> Path:
    """A tiny ALBERT with a SentencePiece-style tokenizer, saved as an HF model directory."""
    return _save_tiny("albert", sentencepiece_tokenizer, tmp_path_factory.mktemp("tiny-albert"))


@pytest.fixture(scope="session")
def tiny_distilbert_dir(tmp_path_factory: pytest.TempPathFactory, wordpiece_tokenizer: Any) -> Path:
    """A tiny DistilBERT with a WordPiece tokenizer, saved as an HF model directory."""
    return _save_tiny("distilbert", wordpiece_tokenizer, tmp_path_factory.mktemp("tiny-distilbert"))


class HFReference:
    """Gold ids, log-probabilities and ranks computed with plain ``transformers`` calls.

    Shares no code with ``bertology.probe.scoring`` or ``bertology.data.vocab``: the gold id
    is the token the tokenizer produces for the word inside the unmasked sentence, and the
    scores come from one unbatched forward pass per prompt.
    """

    @staticmethod
    def gold_id(tok: Any, sentence: str, prompt: str) -> int | None:
        """The id of the masked word inside ``sentence``, or None if it is not one known token.

        ``prompt`` is ``sentence`` with the word replaced by the model's mask token. The word
        is one token exactly when both tokenize to the same length; the rest must then agree.
        """
        full = tok(sentence)["input_ids"]
        masked = tok(prompt)["input_ids"]
        if len(full) != len(masked):
            return None
        pos = masked.index(tok.mask_token_id)
        assert full[:pos] + full[pos + 1 :] == masked[:pos] + masked[pos + 1 :], prompt
        return None if full[pos] == tok.unk_token_id else full[pos]

    @staticmethod
    def log_probs(model: Any, tok: Any, prompt: str) -> torch.Tensor:
        """Log-probabilities (V,) at the single mask of ``prompt`` (model's mask token)."""
        enc = tok(prompt, return_tensors="pt")
        with torch.no_grad():
            logits = model(**enc).logits[0]  # (T, V)
        (pos,) = (enc["input_ids"][0] == tok.mask_token_id).nonzero()[:, 0].tolist()
        return torch.log_softmax(logits[pos].double(), dim=-1)

    # Batched scoring (padding, sdpa, packed weights) and this unbatched eager pass disagree
    # by < 6e-7 in log-probability on the tiny models (measured); a competitor closer than
    # this to the gold may fall on either side of it, so ranks are compared up to such ties.
    EPS = 1e-5

    @staticmethod
    def rank(log_probs: torch.Tensor, gold: int, candidates: list[int] | None = None) -> int:
        """1 + the number of candidates (default: the whole vocabulary) scored above the gold."""
        ids = range(log_probs.numel()) if candidates is None else candidates
        g = float(log_probs[gold])
        return 1 + sum(1 for i in ids if float(log_probs[i]) > g)

    @classmethod
    def assert_rank(
        cls, rank: int, log_probs: torch.Tensor, gold: int, candidates: list[int] | None = None
    ) -> None:
        """``rank`` is the reference rank, where competitors within ``EPS`` of the gold may
        count either way (none do on most prompts, so the band is then one rank wide)."""
        ids = range(log_probs.numel()) if candidates is None else candidates
        g = float(log_probs[gold])
        others = [float(log_probs[i]) for i in ids if i != gold]
        lo = 1 + sum(1 for v in others if v > g + cls.EPS)
        hi = 1 + sum(1 for v in others if v > g - cls.EPS)
        assert lo <= rank <= hi, (rank, lo, hi)

    @classmethod
    def assert_top(
        cls, top_ids: list[int], log_probs: torch.Tensor, candidates: list[int], k: int
    ) -> None:
        """``top_ids`` are the ``k`` best candidates, best first (up to ties within ``EPS``)."""
        assert len(top_ids) == min(k, len(set(candidates))) == len(set(top_ids)), top_ids
        assert set(top_ids) <= set(candidates), top_ids
        vals = [float(log_probs[i]) for i in top_ids]
        assert all(a >= b - cls.EPS for a, b in zip(vals[:-1], vals[1:], strict=True)), vals
        rest = [float(log_probs[i]) for i in set(candidates) - set(top_ids)]
        assert all(v <= vals[-1] + cls.EPS for v in rest), (vals, rest)


@pytest.fixture(scope="session")
def hf_reference() -> type[HFReference]:
    """The independent reference scorer (see :class:`HFReference`)."""
    return HFReference
