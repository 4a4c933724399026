"""Settings of ``bertology experiment sas``. Kept free of heavy imports."""

from __future__ import annotations

from dataclasses import dataclass, field

from bertology.errors import InputError


@dataclass
class SASImpl:
    device: str = "auto"
    progress: bool = True


@dataclass
class SASExperimentConfig:
    """Four regularizer variants on the same data and seeds, then their dynamics and claims.

    ``pretrain`` is a shipped config name or a YAML file; ``set`` overrides apply to every
    variant (the variants set ``sas.lambda`` and ``sas.until_step`` themselves). Without
    ``until_steps``, k is the last checkpoint before the baseline's structure onset, or, when
    the baseline shows none, ``fallback_fraction`` of the run (and the claims that need an
    onset are marked not measurable)."""

    pretrain: str = "world-tiny"
    seeds: list[int] = field(default_factory=lambda: [0])
    world: str | None = None  # a world directory; None: generate one into OUT/world
    until_steps: list[int] = field(default_factory=list)
    lam: float = 0.5  # |lambda|: SAS+ uses -lam, SAS- +lam
    fallback_fraction: float = 0.25
    set: list[str] = field(default_factory=list)
    impl: SASImpl = field(default_factory=SASImpl)

    def validate(self, where: str = "config") -> None:
        if not self.seeds:
            raise InputError("seeds: give at least one seed", where)
        if self.lam <= 0:
            raise InputError(
                f"lam must be positive (its sign is the variant's), got {self.lam}", where
            )
        if any(k < 1 for k in self.until_steps):
            raise InputError(f"until_steps must be >= 1, got {self.until_steps}", where)
        if not 0 < self.fallback_fraction < 1:
            raise InputError(
                f"fallback_fraction must be in (0, 1), got {self.fallback_fraction}", where
            )
