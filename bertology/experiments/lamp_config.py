"""Settings of ``bertology experiment lamp``. Kept free of heavy imports."""

from __future__ import annotations

from dataclasses import dataclass, field

from bertology.errors import InputError


@dataclass
class LampImpl:
    device: str = "auto"
    progress: bool = True


@dataclass
class LampExperimentConfig:
    """LAMP's sweep: the bottom pruned layer × the initial sparsity, one prune run per cell.

    Every cell prunes layers ``lb``..top (the model's last layer) from initial sparsity ``s``
    and is judged on the test split: the subnetwork, the full model, a random mask of equal
    per-matrix sparsity, and the specialization drop (a relation's P@1 under its own mask
    minus under another relation's). ``bottom_layers`` ``None`` sweeps every layer of the model
    (the paper: lb in 6..9 of BERT-base's 12); ``relations`` ``None`` takes the
    ``n_relations`` relations with the largest test sets. ``set`` overrides apply to every
    cell's prune run (e.g. ``train.epochs=5``); the cell sets ``train.layers`` and
    ``train.init_sparsity`` itself.
    """

    model: str = ""  # HF hub name or local model directory (required)
    facts: str = ""  # facts JSONL (required)
    relations_file: str | None = None
    relations: list[str] | None = None
    n_relations: int = 4
    bottom_layers: list[int] | None = None
    init_sparsities: list[float] = field(default_factory=lambda: [0.3, 0.5, 0.7])
    set: list[str] = field(default_factory=list)
    impl: LampImpl = field(default_factory=LampImpl)

    def validate(self, where: str = "config") -> None:
        if not self.model:
            raise InputError("model: give the masked LM to prune (--model)", where)
        if not self.facts:
            raise InputError("facts: give a facts file (--facts)", where)
        if self.n_relations < 2:
            raise InputError(
                f"n_relations must be >= 2 (the specialization drop needs two masks), "
                f"got {self.n_relations}",
                where,
            )
        if not self.init_sparsities or any(not 0 < s < 1 for s in self.init_sparsities):
            raise InputError(
                f"init_sparsities must be in (0, 1), got {self.init_sparsities}", where
            )
        if self.bottom_layers is not None and (
            not self.bottom_layers or any(b < 0 for b in self.bottom_layers)
        ):
            raise InputError(f"bottom_layers must be >= 0, got {self.bottom_layers}", where)
