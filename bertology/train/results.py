"""``results.json`` of a pre-training run, summarised from its ``metrics.jsonl``."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bertology.io import read_jsonl
from bertology.train.checkpoint import checkpoint_name, list_checkpoints

_NOT_METRICS = ("kind", "step", "evaluator", "eval_time_s")


def evals_by_step(run: str | Path) -> dict[int, dict[str, Any]]:
    """Evaluator metrics by checkpoint step, read back from ``metrics.jsonl`` (so a resumed
    run's earlier checkpoints are included)."""
    out: dict[int, dict[str, Any]] = {}
    path = Path(run) / "metrics.jsonl"
    if path.exists():
        for _, r in read_jsonl(path):
            if r.get("kind") == "eval":
                out.setdefault(int(r["step"]), {}).update(
                    {k: v for k, v in r.items() if k not in _NOT_METRICS}
                )
    return out


def summarise(run: str | Path, max_steps: int, **fields: Any) -> dict[str, Any]:
    """The body of ``results.json``: ``fields`` (status, final step, ...), the training
    loss and speed, and every checkpoint's evaluator metrics keyed by checkpoint name."""
    run = Path(run)
    path = run / "metrics.jsonl"
    train = [r for _, r in read_jsonl(path) if r.get("kind") == "train"] if path.exists() else []
    tail = train[-50:]
    speed = [r["tokens_per_s"] for r in train[1:]] or [r["tokens_per_s"] for r in train]
    return {
        **fields,
        "max_steps": max_steps,
        "train_loss_last50": statistics.fmean(r["loss"] for r in tail) if tail else None,
        "tokens_per_s_median": statistics.median(speed) if speed else None,
        "checkpoints": {
            checkpoint_name(s, max_steps): {"step": s, **m}
            for s, m in sorted(evals_by_step(run).items())
        },
        "checkpoint_steps": [s for s, _ in list_checkpoints(run / "checkpoints")],
    }


@dataclass
class PretrainResult:
    """What :func:`pretrain` returns (``results.json`` holds the same)."""

    run_dir: Path
    final_step: int
    checkpoints: list[Path] = field(default_factory=list)
    evals: dict[int, dict[str, Any]] = field(default_factory=dict)  # step -> evaluator metrics
    last_train: dict[str, Any] = field(default_factory=dict)  # the last metrics.jsonl train row
