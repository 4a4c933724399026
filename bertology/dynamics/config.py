"""Settings of ``bertology dynamics``. Kept free of heavy imports (the CLI reads them at
start-up)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bertology.errors import InputError


@dataclass
class DynamicsImpl:
    """Speed and display only."""

    device: str = "auto"
    progress: bool = True  # a progress bar over checkpoints, with its ETA


@dataclass
class DynamicsConfig:
    """Which series, which evaluators, with which data, and how breaks are found.

    The data default to each run's own config (a world run knows its world's pairs, trees and
    validation text); ``pairs``, ``texts`` and ``conllu`` replace them for every series."""

    evaluate: list[str] = field(default_factory=lambda: ["val_loss", "uas", "blimp", "twonn"])
    pairs: str | None = None  # minimal pairs for blimp (BLiMP directory or file)
    texts: str | None = None  # held-out text, one per line: val_loss and twonn
    conllu: str | None = None  # gold trees for uas
    blimp_per_paradigm: int | None = None  # None: the run's (eval.blimp_per_paradigm)
    twonn_n: int | None = None
    uas_max_sentences: int | None = None
    threshold: float = 4.0  # noise units a break must reach (bertology.dynamics.breaks)
    method: Literal["curvature", "ruptures"] = "curvature"
    impl: DynamicsImpl = field(default_factory=DynamicsImpl)

    def validate(self, where: str = "config") -> None:
        if not self.evaluate:
            raise InputError("evaluate: name at least one evaluator", where)
        if self.threshold <= 0:
            raise InputError(f"threshold must be positive, got {self.threshold}", where)
        for key in ("blimp_per_paradigm", "twonn_n", "uas_max_sentences"):
            v = getattr(self, key)
            if v is not None and v < 1:
                raise InputError(f"{key} must be at least 1, got {v}", where)
