"""Matplotlib figures of training dynamics: one overlay per metric with the breaks marked,
and one summary panel (loss, UAS, BLiMP, TwoNN against step) for all runs. UAS (the best head
at each checkpoint, solid) is drawn with the final best head followed across checkpoints
(``uas_fixed_head``, dashed, same colour) where a run has it.

``training.png`` (:func:`training_figure`, also drawn for a pre-training run by
:mod:`bertology.train.figures`) stacks the same curves in one column on one shared step axis
and draws the breaks (structure onset, capability onset, TwoNN drop) as dashed lines through
every panel, so a reader can see which change comes first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bertology.dynamics.phases import phases
from bertology.report.figures import pyplot, save_figure, stacked_curves

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


# (y label, [(metric, curve label, line style)]): the panels of training.png, top to bottom
TRAINING_PANELS = [
    ("validation loss", [("val_loss", "validation loss", "-")]),
    ("UAS", [("uas", "UAS, best head", "-"), ("uas_fixed_head", "UAS, final best head", "--")]),
    ("BLiMP accuracy", [("blimp", "BLiMP accuracy", "-")]),
    ("TwoNN dimension", [("twonn", "TwoNN dimension", "-")]),
]

# (phase, legend label, colour, line style): the breaks drawn on training.png; two breaks at
# the same step stay visible as one dash pattern over another
TRAINING_BREAKS = [
    ("structure_onset", "structure onset (UAS)", "black", "--"),
    ("capability_onset", "capability onset", "tab:purple", (0, (1, 2))),
    ("twonn_drop_onset", "TwoNN drop", "tab:brown", "-."),
]


def training_figure(
    curves: dict[str, dict[str, tuple[list[int], list[float]]]],
    path: Path,
    breaks: dict[str, dict[str, Any]] | None = None,
) -> Path | None:
    """``training.png``: validation loss, UAS (best head, and the final best head where
    present), BLiMP accuracy and TwoNN dimension against step, stacked with one shared x
    axis; panels without data are left out (None: no panel has any).

    ``curves[run][metric] = (steps, values)``; ``breaks[run]`` are :func:`phases` of the run
    (``structure_onset``, ``capability_onset``, ``twonn_drop_onset``), a dashed line each
    where found."""
    several = len(curves) > 1
    panels = []
    for p, (ylabel, lines) in enumerate(TRAINING_PANELS):
        drawn: dict[str, Any] = {}
        for i, (run, metrics) in enumerate(curves.items()):
            colour = f"C{(i if several else p) % 10}"  # a colour per run, or per panel
            for metric, label, style in lines:
                steps, values = metrics.get(metric) or ([], [])
                if steps:
                    name = f"{run}: {label}" if several else label
                    drawn[name] = (steps, values, {"color": colour, "linestyle": style})
        panels.append((ylabel, drawn))
    lines_at = []
    for i, (run, ph) in enumerate((breaks or {}).items()):
        for key, label, colour, dash in TRAINING_BREAKS:
            if ph.get(key) is not None:
                name = f"{label} ({run})" if several else label
                style = {"color": f"C{i % 10}" if several else colour, "linestyle": dash}
                lines_at.append((f"{name}: step {ph[key]}", ph[key], style))
    title = "training dynamics" + (" (dashed: detected breaks)" if lines_at else "")
    return stacked_curves(panels, path, title, "training step", lines_at)


def summary_figure(runs: dict[str, dict[str, Any]], path: Path) -> Path:
    """Loss, UAS, BLiMP and TwoNN against step on one shared step axis; also writes
    ``training.png`` beside it (:func:`training_figure`, with each run's breaks)."""
    training_figure(
        {r: {m: (e["steps"], e["values"]) for m, e in ms.items()} for r, ms in runs.items()},
        path.parent / "training.png",
        {r: phases(ms) for r, ms in runs.items()},
    )
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
