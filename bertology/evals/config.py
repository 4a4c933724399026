"""Settings of ``bertology blimp`` and ``bertology twonn``: science at the top, speed in
``impl``.

Kept free of heavy imports: the CLI builds its flags from these classes at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bertology.errors import InputError

Metric = Literal["original", "word_l2r", "whole_word"]


@dataclass
class PLLImpl:
    """Speed and memory only: the scores are the same up to float rounding."""

    token_budget: int = 2048  # padded tokens per encoder call (masked copies x length)
    head_rows: int = 512  # rows per call of the MLM head (each row: one vocabulary softmax)
    device: str = "auto"
    dtype: Literal["fp32", "bf16", "fp16"] | None = None  # None: the checkpoint's (fp32)
    attn: Literal["sdpa", "eager"] = "sdpa"

    def validate(self, where: str) -> None:
        if self.token_budget < 1 or self.head_rows < 1:
            raise InputError(
                f"impl.token_budget and impl.head_rows must be >= 1, got {self.token_budget} "
                f"and {self.head_rows}",
                where,
            )


@dataclass
class BlimpConfig:
    """A BLiMP run: which pairs, scored by which PLL metric."""

    model: str  # HF hub name or local model directory
    data: str  # BLiMP directory (UID.jsonl files), one JSONL file, or nyu-mll/blimp (online)
    metric: Metric = "word_l2r"  # see bertology.evals.pll: why word_l2r is the default
    paradigms: list[str] | None = None  # only these UIDs (None: all)
    limit: int | None = None  # at most this many pairs per paradigm (the first ones)
    impl: PLLImpl = field(default_factory=PLLImpl)

    def validate(self, where: str = "config") -> None:
        if self.limit is not None and self.limit < 1:
            raise InputError(f"limit must be at least 1, got {self.limit}", where)
        self.impl.validate(where)


@dataclass
class TwoNNImpl:
    """Speed only."""

    batch_size: int = 64  # texts per forward pass
    device: str = "auto"
    dtype: Literal["fp32", "bf16", "fp16"] | None = None


@dataclass
class TwoNNConfig:
    """A TwoNN run: one vector per text per layer, over a fixed set of held-out texts."""

    model: str  # HF hub name or local model directory
    texts: str  # one text per line (UTF-8); the first ``n`` non-empty lines are used
    layers: str = "all"  # all | 0,4,8 | 1-12 (0: the embeddings)
    pool: Literal["cls", "mean"] = "mean"  # cls: the first token; mean: the non-special tokens
    n: int = 1000
    metric: Literal["euclidean", "cosine"] = "euclidean"
    discard_fraction: float = 0.1  # the largest fraction of r2/r1 left out of the fit
    max_length: int = 128  # tokens per text; longer texts are cut (they still give one point)
    impl: TwoNNImpl = field(default_factory=TwoNNImpl)

    def validate(self, where: str = "config") -> None:
        if self.n < 10:
            raise InputError(f"n must be at least 10 (TwoNN needs 10 points), got {self.n}", where)
        if not 0.0 <= self.discard_fraction < 1.0:
            raise InputError(
                f"discard_fraction must be in [0, 1), got {self.discard_fraction}", where
            )
        if self.max_length < 2:
            raise InputError(f"max_length must be at least 2, got {self.max_length}", where)
        if self.impl.batch_size < 1:
            raise InputError(f"impl.batch_size must be >= 1, got {self.impl.batch_size}", where)


def parse_layers(spec: str, n_layers: int) -> list[int]:
    """``all`` -> 0..L (0: the embeddings); ``0,4,8``; ``1-12``; each within 0..L."""
    text = spec.replace(" ", "")
    if text == "all":
        return list(range(n_layers + 1))
    out: list[int] = []
    try:
        for part in text.split(","):
            lo, sep, hi = part.partition("-")
            out += list(range(int(lo), int(hi) + 1)) if sep else [int(lo)]
    except ValueError:
        raise InputError(f"layers: expected all, 0,4,8 or 1-12, got {spec!r}") from None
    bad = [x for x in out if not 0 <= x <= n_layers]
    if bad or not out:
        raise InputError(f"layers {spec!r}: the model has layers 0..{n_layers} (0: the embeddings)")
    return sorted(set(out))
