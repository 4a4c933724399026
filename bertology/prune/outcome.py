"""What mask training returns: each relation's mask and curve, and the splits used."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bertology.data.facts import Fact
from bertology.prune.masks import SubnetworkMask
from bertology.prune.targets import Target


@dataclass
class RelationTraining:
    """The outcome for one relation: its mask (None if skipped) and its training curve."""

    relation: str
    mask: SubnetworkMask | None
    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int | None = None
    best_dev_p1: float | None = None
    skipped: str | None = None
    n_train: int = 0
    steps: int = 0
    seconds: float = 0.0
    # fraction of weights whose hard mask at the kept (best) epoch differs from the hard mask
    # at initialisation, and the pruned fraction of that initial hard mask
    moved: float | None = None
    initial_sparsity: float | None = None


@dataclass
class PruneOutcome:
    """Masks and curves of every relation, plus the subject-disjoint splits used."""

    relations: dict[str, RelationTraining]
    splits: dict[str, list[Fact]]
    targets: list[Target]
    layers: tuple[int, int]
