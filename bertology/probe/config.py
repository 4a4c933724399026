"""``bertology probe``'s settings: what is probed and how it is scored, and ``impl`` (speed).

Kept free of heavy imports: the CLI builds its flags from these classes at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bertology.errors import InputError

# Keys of probe runs written before ``impl`` existed; still read, with a warning.
MOVED = {
    "batch_size": "impl.batch_size",
    "device": "impl.device",
    "dtype": "impl.dtype",
    "attn": "impl.attn",
}


@dataclass
class ProbeImpl:
    """Speed only: none of these change a rank (up to float rounding in bf16/fp16)."""

    batch_size: int = 64  # prompts per forward pass
    device: str = "auto"
    dtype: Literal["fp32", "bf16", "fp16"] | None = None  # None: the checkpoint's (fp32)
    attn: Literal["sdpa", "eager"] = "sdpa"


@dataclass
class ProbeConfig:
    """A probing run: the model, the facts, the split, the candidates and the metrics."""

    model: str  # HF hub name or local model directory
    facts: str  # facts JSONL (canonical or LAMA)
    relations_file: str | None = None  # relation templates JSONL
    relations: list[str] | None = None  # only these relations (None: all)
    k: list[int] = field(default_factory=lambda: [1, 10])  # P@k for each k
    candidates: str = "all"  # all | relation (its objects over the whole fact set) | FILE
    split: Literal["all", "train", "dev", "test"] = "all"  # split by subject
    split_seed: int = 0
    split_ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)
    average_prompts: bool = False  # average log-probabilities over a fact's masked sentences
    top: int = 10  # predictions kept per fact in predictions.jsonl
    attention: int = 0  # facts per relation whose attention goes to attention.json; 0: none
    impl: ProbeImpl = field(default_factory=ProbeImpl)

    def validate(self, where: str = "config") -> None:
        """Ranges the types cannot say; each error names the key."""
        if not self.k or min(self.k) < 1:
            raise InputError(f"k: every k must be >= 1, got {self.k}", where)
        self.k = sorted(set(self.k))
        if abs(sum(self.split_ratios) - 1.0) > 1e-6 or min(self.split_ratios) < 0:
            raise InputError(
                f"split_ratios must be >= 0 and sum to 1, got {self.split_ratios}", where
            )
        if self.top < 0:
            raise InputError(f"top must be >= 0, got {self.top}", where)
        if self.attention < 0:
            raise InputError(f"attention must be >= 0, got {self.attention}", where)
        if self.impl.batch_size < 1:
            raise InputError(f"impl.batch_size must be >= 1, got {self.impl.batch_size}", where)
