"""``bertology prune``'s settings: the model and facts, mask training (``train``), the random
controls, and ``impl`` (speed and logging only).

Kept free of heavy imports: the CLI builds its flags from these classes at start-up.
Follow-up commands (``specialize``, ``inspect``, ``masks combine``) read a run's
``config.yaml`` back through :func:`load_run_config`, with no default typed twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bertology import config as cfgload
from bertology.errors import InputError

# Keys of prune runs written before ``impl`` existed; still read, with a warning.
MOVED = {
    "device": "impl.device",
    "dtype": "impl.dtype",
    "attn": "impl.attn",
    "train.eval_batch_size": "impl.eval_batch_size",
    "train.progress": "impl.progress",
}


@dataclass
class PruneConfig:
    """Mask training (LAMP): every setting changes the masks."""

    layers: str = "6-11"  # LB-LT (inclusive), L, or all
    mode: Literal["deterministic", "stochastic"] = "deterministic"
    init_sparsity: float = 0.5
    tau: float = 0.1  # binary-concrete temperature (stochastic)
    threshold: float = 0.5  # keep a weight if σ(G) > threshold
    init_scale: float = 0.05  # spread of the initial scores
    epochs: int = 10
    lr: float = 3e-4
    batch_size: int = 32  # facts per optimizer step
    warmup: float = 0.1  # fraction of all steps with linearly rising lr
    patience: int = 3  # epochs without dev P@1 improvement before stopping; 0 = never stop
    sparsity_weight: float = 0.0  # regulariser weight (off by default, as in the paper)
    sparsity_target: float | None = None  # None: push towards sparsity (L1 on σ(G))
    seed: int = 0
    split_seed: int = 0
    split_ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)
    hard_eval: bool = False  # stochastic: evaluate (and early-stop on) thresholded masks
    candidates: str = "all"  # ranking vocabulary of dev/test P@k: all | relation | FILE

    def mask_config(self):  # noqa: ANN201 - MaskConfig; imported here to keep this module light
        """The mask parametrisation (validated there: ranges of sparsity, tau, threshold)."""
        from bertology.prune.masks import MaskConfig  # torch: not at CLI start-up

        return MaskConfig(self.mode, self.init_sparsity, self.tau, self.threshold, self.init_scale)

    @property
    def eval_soft(self) -> bool:
        """Whether the primary evaluation uses σ(G) (stochastic without --hard-eval)."""
        return self.mode == "stochastic" and not self.hard_eval


@dataclass
class PruneImpl:
    """Speed and logging only: none of these change a mask or a metric (up to rounding)."""

    eval_batch_size: int = 64  # prompts per forward pass when evaluating
    device: str = "auto"
    dtype: Literal["fp32", "bf16", "fp16"] | None = None
    attn: Literal["sdpa", "eager"] = "sdpa"
    progress: bool = True  # progress bars on stderr


@dataclass
class PruneRunConfig:
    """A ``bertology prune`` run: inputs, mask training (``train``), controls, ``impl``."""

    model: str  # HF hub name or local model directory
    facts: str  # facts JSONL (canonical or LAMA)
    relations_file: str | None = None
    relations: list[str] | None = None  # only these relations (None: all)
    train: PruneConfig = field(default_factory=PruneConfig)
    random_seeds: list[int] = field(default_factory=lambda: [0, 1, 2])  # random-mask controls
    save_soft: bool | None = None  # None: store σ(G) for stochastic runs evaluated soft
    impl: PruneImpl = field(default_factory=PruneImpl)

    def validate(self, where: str = "config") -> None:
        """Ranges the types cannot say; each error names the key."""
        t = self.train
        for key, v in [("train.epochs", t.epochs), ("train.batch_size", t.batch_size)]:
            if v < 1:
                raise InputError(f"{key} must be >= 1, got {v}", where)
        if t.lr <= 0:
            raise InputError(f"train.lr must be positive, got {t.lr}", where)
        if not 0 <= t.warmup <= 1:
            raise InputError(f"train.warmup must be in [0, 1], got {t.warmup}", where)
        if t.patience < 0:
            raise InputError(f"train.patience must be >= 0, got {t.patience}", where)
        if self.impl.eval_batch_size < 1:
            raise InputError(
                f"impl.eval_batch_size must be >= 1, got {self.impl.eval_batch_size}", where
            )


@dataclass
class FollowUpConfig:
    """``specialize``, ``inspect`` and ``masks combine|export``: the science is the prune
    run's; only ``impl`` may differ (another device, batch size)."""

    impl: PruneImpl = field(default_factory=PruneImpl)


@dataclass
class InspectConfig(FollowUpConfig):
    """``inspect``: which final hidden state the representation analysis reads."""

    state: Literal["mask", "cls"] = "mask"  # [MASK]'s state, or [CLS]'s (the LAMP t-SNE)
    attention: int = 5  # test facts per relation whose attention goes to attention.json

    def validate(self, where: str = "config") -> None:
        """Ranges the types cannot say; each error names the key."""
        if self.attention < 0:
            raise InputError(f"attention must be >= 0, got {self.attention}", where)


def load_run_config(run: str | Path) -> PruneRunConfig:
    """A prune run's ``config.yaml`` as a :class:`PruneRunConfig` (runs written before
    ``impl`` existed load too)."""
    path = Path(run) / "config.yaml"
    if not path.exists():
        raise InputError("not a prune run directory (no config.yaml)", run)
    raw, lines = cfgload.read_yaml(path)
    if raw.get("command") != "prune":
        raise InputError(f"run directory was written by {raw.get('command')!r}, not prune", run)
    raw = cfgload.apply_moved(raw, MOVED, str(path), lines, quiet=True)
    origins = {k: (str(path), line) for k, line in lines.items()}
    return cfgload.from_dict(PruneRunConfig, raw, str(path), origins)
