"""Figures of a UAS run: a layers x heads heatmap and a per-relation comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bertology.report.figures import fitted_limits, text_colour
from bertology.syntax.uas_result import DIRECTIONS, VARIANTS, UASResult


def _plt():
    import matplotlib  # matplotlib: only when drawing

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # matplotlib: only when drawing

    return plt


def plot_uas_heatmap(result: UASResult, path: str | Path) -> Path:
    """UAS of every head: rows are variants, columns directions; the best head is boxed.

    Cells and colour bar are both UAS as a fraction; the colour scale is the range of the
    scores drawn (not 0-1), and each variant's best offset baseline is a dashed line on the
    colour bar, so a head's colour says at once whether it beats "the word k away"."""
    plt = _plt()
    L, H = result.n_layers, result.n_heads
    fig, axes = plt.subplots(
        len(VARIANTS),
        len(DIRECTIONS),
        figsize=(2.2 + 0.45 * H * 2, 1.2 + 0.42 * L * 2),
        squeeze=False,
        layout="constrained",
    )
    vmin, vmax = fitted_limits(np.stack([result.uas(v) for v in VARIANTS]))
    cmap = plt.get_cmap("viridis")
    im = None
    for r, variant in enumerate(VARIANTS):
        scores = result.uas(variant)  # (L, H, D)
        best = result.best(variant)
        for c, direction in enumerate(DIRECTIONS):
            ax = axes[r][c]
            im = ax.imshow(scores[:, :, c], vmin=vmin, vmax=vmax, cmap=cmap, aspect="auto")
            ax.set_title(f"{variant}: {direction}", fontsize=9)
            if r == len(VARIANTS) - 1:
                ax.set_xlabel("head")
            ax.set_ylabel("layer")
            ax.set_xticks(range(H))
            ax.set_yticks(range(L))
            ax.tick_params(labelsize=7)
            if L * H <= 400:
                for layer in range(L):
                    for head in range(H):
                        v = scores[layer, head, c]
                        ax.text(
                            head,
                            layer,
                            f"{v:.2f}",
                            ha="center",
                            va="center",
                            fontsize=6,
                            color=text_colour(cmap, im.norm, v),
                        )
            if best["direction"] == direction:
                ax.add_patch(
                    plt.Rectangle(
                        (best["head"] - 0.5, best["layer"] - 0.5),
                        1,
                        1,
                        fill=False,
                        edgecolor="red",
                        linewidth=2,
                    )
                )
    bar = fig.colorbar(im, ax=axes, shrink=0.6, label="UAS (fraction of words)")
    for variant, style in zip(VARIANTS, ("--", ":"), strict=False):
        base = result.best_baseline(variant)
        if vmin <= base["uas"] <= vmax:
            bar.ax.axhline(base["uas"], color="red", linestyle=style, linewidth=1.5,
                           label=f"{variant}: best offset {base['offset']}")  # fmt: skip
    if bar.ax.get_legend_handles_labels()[0]:
        bar.ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.02), fontsize=6, frameon=False)
    fig.suptitle(
        f"UAS per head ({result.n_sentences} sentences); best head boxed\n"
        "red on the colour bar: best offset baseline",
        fontsize=10,
    )
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_by_relation(result: UASResult, path: str | Path, min_count: int = 20) -> Path | None:
    """Per relation: the best head's UAS next to the best offset baseline, each bar labelled
    with its value (and head or offset), n in the relation's label (None: no relation reaches
    ``min_count``)."""
    rows = result.by_relation(min_count)
    if not rows:
        return None
    plt = _plt()
    names = list(rows)
    head = np.array([rows[n]["uas"] for n in names])
    base = np.array([rows[n]["offset_uas"] for n in names])
    y = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.32 * len(names)))
    ax.barh(y - 0.2, head, height=0.4, label="best head", color="#3b75af")
    ax.barh(y + 0.2, base, height=0.4, label="best offset baseline", color="#bbbbbb")
    for k, n in enumerate(names):
        r = rows[n]
        ax.text(
            head[k] + 0.01,
            k - 0.2,
            f"{head[k]:.2f}  {r['layer']}-{r['head']} {r['direction']}",
            va="center",
            fontsize=7,
        )
        ax.text(base[k] + 0.01, k + 0.2, f"{base[k]:.2f}  offset {r['best_offset']}",
                va="center", fontsize=7)  # fmt: skip
    ax.set_yticks(y)
    ax.set_yticklabels([f"{n} (n={rows[n]['n']})" for n in names], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.35 * max(float(head.max()), float(base.max()), 0.05))  # room for labels
    ax.set_xlabel("UAS")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Best head per relation (layer-head direction) vs best offset baseline")
    path = Path(path)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
