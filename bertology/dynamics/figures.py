"""Matplotlib figures of training dynamics: one overlay per metric with the breaks marked,
and one summary panel (loss, UAS, BLiMP, TwoNN against step) for all runs. UAS (the best head
at each checkpoint, solid) is drawn with the final best head followed across checkpoints
(``uas_fixed_head``, dashed, same colour) where a run has it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bertology.report.figures import pyplot, save_figure

PANEL = [("val_loss", "validation loss"), ("uas", "UAS"), ("blimp", "BLiMP accuracy"),
         ("twonn", "TwoNN dimension")]  # fmt: skip


# a metric drawn with a companion curve (dashed, same colour): (companion, legend suffix)
COMPANIONS = {"uas": ("uas_fixed_head", "final best head")}


def _draw(ax: Any, runs: dict[str, dict[str, Any]], metric: str) -> bool:
    drawn = False
    companion = COMPANIONS.get(metric)
    for i, (name, metrics) in enumerate(runs.items()):
        colour = f"C{i % 10}"
        lines = [(metric, "-", name)]
        if companion is not None:
            lines.append((companion[0], "--", f"{name} ({companion[1]})"))
        for key_metric, style, label in lines:
            m = metrics.get(key_metric)
            if not m or not m["steps"]:
                continue
            ax.plot(m["steps"], m["values"], marker=".", markersize=3, color=colour,
                    linestyle=style, label=label)  # fmt: skip
            for key, marker in (("onset", "^"), ("plateau", "s")):
                if m.get(key) is not None:
                    y = m["values"][m["steps"].index(m[key])]
                    ax.plot([m[key]], [y], marker=marker, color=colour, markersize=8,
                            markeredgecolor="black", linestyle="none")  # fmt: skip
            drawn = True
    return drawn


def metric_figure(runs: dict[str, dict[str, Any]], metric: str, path: Path) -> Path | None:
    """``metric`` of every run against step; ▲ onset, ■ plateau."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    if not _draw(ax, runs, metric):
        plt.close(fig)
        return None
    ax.set_xlabel("training step")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} (▲ onset, ■ plateau)")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def summary_figure(runs: dict[str, dict[str, Any]], path: Path) -> Path:
    """Loss, UAS, BLiMP and TwoNN against step on one shared step axis."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), sharex=True)
    for ax, (metric, label) in zip(axes.flat, PANEL, strict=True):
        if not _draw(ax, runs, metric):
            ax.text(0.5, 0.5, f"{metric}: not evaluated", ha="center", va="center",
                    transform=ax.transAxes)  # fmt: skip
        ax.set_title(label)
    for ax in axes[1]:
        ax.set_xlabel("training step")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if not handles:
        for ax in axes.flat:
            handles, labels = ax.get_legend_handles_labels()
            if handles:
                break
    if handles:
        fig.legend(handles, labels, loc="upper right", fontsize=8)
    fig.suptitle("training dynamics (▲ onset, ■ plateau)")
    return save_figure(fig, path)
