"""Settings of ``bertology choice``: science at the top, speed in ``impl``.

Kept free of heavy imports: the CLI builds its flags from these classes at start-up. The speed
settings are the PLL scorer's own (:class:`bertology.evals.config.PLLImpl`, whose package
imports torch only when a scorer is used).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bertology.errors import InputError
from bertology.evals.config import PLLImpl

Metric = Literal["original", "word_l2r", "whole_word"]  # bertology.evals.pll.METRICS
Format = Literal["bertology", "copa", "csqa"]
Normalize = Literal["sum", "mean"]
Combination = Literal["union", "intersection", "majority"]
COMBINATIONS: tuple[str, ...] = ("union", "intersection", "majority")


ChoiceImpl = PLLImpl  # the PLL scorer's speed settings, as ``blimp`` uses them


@dataclass
class ChoiceConfig:
    """A zero-shot multiple-choice run: which items, scored how, under which subnetwork."""

    model: str  # HF hub name or local model directory
    data: str  # JSONL of items (see bertology.choice.data for the formats)
    format: Format = "bertology"
    metric: Metric = "word_l2r"  # PLL metric of question + " " + choice (bertology.evals.pll)
    normalize: Normalize = "sum"  # sum: total PLL; mean: per token (original) or word
    masks: str | None = None  # a prune run directory: score under its relations' masks
    relations: list[str] | None = None  # which relations' masks (None: all the run's)
    combine: list[Combination] | None = None  # None: union; with select_on: all three
    select_on: Literal["dev"] | None = None  # choose relations x combination on dev items
    max_combinations: int = 64  # refuse a selection over more candidates than this
    impl: ChoiceImpl = field(default_factory=ChoiceImpl)

    def validate(self, where: str = "config") -> None:
        """Settings that only make sense together; each error names the key."""
        if self.masks is None:
            for key, value in (
                ("relations", self.relations),
                ("combine", self.combine),
                ("select_on", self.select_on),
            ):
                if value:
                    raise InputError(f"{key} needs masks (a prune run directory)", where)
        for key, values in (("relations", self.relations), ("combine", self.combine)):
            if values is not None and len(set(values)) != len(values):
                raise InputError(f"{key} lists a value twice: {values}", where)
            if values is not None and not values:
                raise InputError(f"{key} is empty; leave it out for the default", where)
        if self.select_on is None and self.combine is not None and len(self.combine) > 1:
            raise InputError(
                f"combine lists {len(self.combine)} ways ({', '.join(self.combine)}); give one, "
                "or choose among them with select_on=dev",
                where,
            )
        if self.max_combinations < 1:
            raise InputError(f"max_combinations must be >= 1, got {self.max_combinations}", where)
        self.impl.validate(where)

    def combine_modes(self) -> list[str]:
        """The combination modes in play: as given, else union (all three when selecting)."""
        if self.combine is not None:
            return list(self.combine)
        return list(COMBINATIONS) if self.select_on else ["union"]
