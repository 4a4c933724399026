"""Figures of a pre-training run: loss curves and checkpoint metrics over steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bertology.dynamics.figures import training_figure
from bertology.io import read_jsonl
from bertology.report.figures import _plt, save_figure

UAS_CURVES = ("uas", "uas_reference", "uas_attn_on_gold", "uas_offset_baseline", "uas_nonadjacent")


def _smooth(y: np.ndarray, k: int) -> np.ndarray:
    if len(y) < k or k <= 1:
        return y
    kernel = np.ones(k) / k
    return np.convolve(y, kernel, mode="valid")


def plot_run(run: str | Path, figures: str | Path) -> list[Path]:
    """``loss.png`` (train MLM loss, regularizer, val loss), ``uas.png`` (the UAS curves in
    [0, 1]) and ``training.png`` (validation loss, UAS, BLiMP and TwoNN stacked on one shared
    step axis, panels without data left out) from ``metrics.jsonl``. All three use a linear
    step axis, so the same step sits at the same place in each."""
    rows = [r for _, r in read_jsonl(Path(run) / "metrics.jsonl")]
    train = [r for r in rows if r.get("kind") == "train"]
    evals: dict[int, dict[str, float]] = {}
    for r in rows:
        if r.get("kind") == "eval":
            evals.setdefault(int(r["step"]), {}).update(
                {
                    k: v
                    for k, v in r.items()
                    if isinstance(v, (int, float)) and k not in ("step", "eval_time_s")
                }
            )
    plt = _plt()
    out: list[Path] = []
    if train:
        steps = np.array([r["step"] for r in train])
        loss = np.array([r["loss"] for r in train], dtype=float)
        k = max(1, len(loss) // 50)
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot(steps, loss, color="#bbbbbb", lw=0.7, label="train MLM loss")
        ax.plot(steps[k - 1 :], _smooth(loss, k), color="#4477aa", label=f"train (mean of {k})")
        vs = sorted((s, m["val_loss"]) for s, m in evals.items() if "val_loss" in m)
        if vs:
            ax.plot(*zip(*vs, strict=True), "o-", color="#ee6677", label="validation")
        if any(r.get("sas_active") for r in train):
            ax2 = ax.twinx()
            reg = np.array([r["sas_reg"] if r.get("sas_active") else np.nan for r in train])
            ax2.plot(steps, reg, color="#228833", lw=0.8, alpha=0.7, label="regularizer R")
            ax2.set_ylabel("R (mean attention on edges)")
            ax2.legend(loc="upper center", fontsize=8)
        ax.set_xlabel("step")
        ax.set_ylabel("MLM loss")
        ax.legend(fontsize=8)
        ax.set_title("pre-training loss")
        out.append(save_figure(fig, Path(figures) / "loss.png"))
    # the fractions in [0, 1] (not the counts, the per-head grid, the intervals or the margin)
    keys = sorted({k for m in evals.values() for k in m if k in UAS_CURVES})
    if evals and keys:
        fig, ax = plt.subplots(figsize=(7, 4))
        steps_e = sorted(evals)
        for key in keys:
            ax.plot(steps_e, [evals[s].get(key, np.nan) for s in steps_e], "o-", label=key, ms=3)
        ax.set_xlabel("step")
        ax.set_ylabel("UAS / attention on the gold parent (fraction)")
        ax.legend(fontsize=8)
        ax.set_title("syntactic attention at checkpoints")
        out.append(save_figure(fig, Path(figures) / "uas.png"))
    curves = {
        k: (
            [s for s in sorted(evals) if k in evals[s]],
            [evals[s][k] for s in sorted(evals) if k in evals[s]],
        )
        for k in ("val_loss", "uas", "uas_fixed_head", "blimp", "twonn")
    }
    drawn = training_figure({"pretrain": curves}, Path(figures) / "training.png")
    if drawn is not None:
        out.append(drawn)
    return out
