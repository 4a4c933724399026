"""``bertology kbc``'s settings: what is ranked and classified, on which split, with which
masks, and ``impl`` (speed only).

Kept free of heavy imports: the CLI builds its flags from these classes at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bertology.errors import InputError

CANDIDATE_KINDS = ("entities", "relation", "all")


@dataclass
class KBCImpl:
    """These settings should not influence the outcome, only its speed (no rank changes, up
    to float rounding in bf16/fp16)."""

    batch_size: int = 64  # prompts per forward pass
    device: str = "auto"
    dtype: Literal["fp32", "bf16", "fp16"] | None = None  # None: the checkpoint's (fp32)
    attn: Literal["sdpa", "eager"] = "sdpa"
    progress: bool = True  # progress bars on stderr


@dataclass
class KBCConfig:
    """A KB-completion run: the model (and masks), the facts, the split, the candidates."""

    model: str | None = None  # HF name or directory; None: the --masks run's model
    facts: str | None = None  # canonical/LAMA JSONL or ConceptNet-100k TSV; None: the run's
    relations_file: str | None = None  # relation templates JSONL ([X], [Y])
    relations: list[str] | None = None  # only these relations (None: all)
    facts_format: Literal["auto", "jsonl", "conceptnet"] = "auto"  # auto: by the first line
    masks: str | None = None  # a `bertology prune` run: its subnetworks and random controls
    candidates: str = "entities"  # entities | relation | all | FILE (one word per line)
    filtered: bool = False  # also rank with the other true objects of (subject, relation) removed
    split: Literal["all", "train", "dev", "test"] = "test"  # subject-disjoint split evaluated
    split_seed: int | None = None  # None: the --masks run's, else 0
    split_ratios: tuple[float, float, float] | None = None  # None: the run's, else 0.8/0.1/0.1
    k: list[int] = field(default_factory=lambda: [1, 3, 10])  # Hits@k for each k
    classify: bool | None = None  # triple classification; None: when a dev set exists
    dev_facts: str | None = None  # thresholds from this file (e.g. dev1.txt), not the dev split
    negative_seed: int = 0  # negatives sampled where the data has none
    random_seed: int = 0  # the random mask of equal per-matrix sparsity
    impl: KBCImpl = field(default_factory=KBCImpl)

    def validate(self, where: str = "config") -> None:
        """Ranges the types cannot say; each error names the key."""
        if self.model is None and self.masks is None:
            raise InputError("model: give --model (or --masks RUN to use its model)", where)
        if not self.k or min(self.k) < 1:
            raise InputError(f"k: every k must be >= 1, got {self.k}", where)
        self.k = sorted(set(self.k))
        r = self.split_ratios
        if r is not None and (abs(sum(r) - 1.0) > 1e-6 or min(r) < 0):
            raise InputError(f"split_ratios must be >= 0 and sum to 1, got {r}", where)
        if self.impl.batch_size < 1:
            raise InputError(f"impl.batch_size must be >= 1, got {self.impl.batch_size}", where)
        if self.classify and self.split != "test" and self.dev_facts is None:
            raise InputError(
                f"classify: thresholds are chosen on dev and accuracy is reported on test; with "
                f"split={self.split!r} give --dev-facts, or use --split test",
                where,
            )
