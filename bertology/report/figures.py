"""Shared matplotlib figures (Agg backend, written atomically as PNG)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bertology.io import atomic_write_bytes


def _plt():
    import matplotlib  # matplotlib: only when drawing

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # matplotlib: only when drawing

    return plt


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend (for figures drawn elsewhere)."""
    return _plt()


def save_figure(fig, path: str | Path) -> Path:
    """Save a matplotlib figure as PNG atomically and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    _plt().close(fig)
    return atomic_write_bytes(path, buf.getvalue())


def bar_chart(
    values: dict[str, float],
    path: str | Path,
    title: str,
    ylabel: str,
    ylim: tuple[float, float] | None = (0, 1),
) -> Path:
    """A bar per key, e.g. P@1 per relation."""
    plt = _plt()
    names = list(values)
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * len(names) + 2), 3.5))
    ax.bar(range(len(names)), [values[n] for n in names], color="#4477aa")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if ylim:
        ax.set_ylim(*ylim)
    return save_figure(fig, path)


def grouped_bar_chart(
    groups: dict[str, dict[str, float]], path: str | Path, title: str, ylabel: str
) -> Path:
    """Bars per key, one colour per series: ``groups[series][key]`` (e.g. full vs subnetwork)."""
    plt = _plt()
    series = list(groups)
    keys = sorted({k for g in groups.values() for k in g})
    width = 0.8 / max(1, len(series))
    fig, ax = plt.subplots(figsize=(max(4, 0.6 * len(keys) + 2), 3.5))
    for si, s in enumerate(series):
        xs = np.arange(len(keys)) + si * width
        ax.bar(xs, [groups[s].get(k, np.nan) for k in keys], width=width, label=s)
    ax.set_xticks(np.arange(len(keys)) + 0.4 - width / 2, keys, rotation=45, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def heatmap(
    matrix: Sequence[Sequence[float]] | np.ndarray,
    path: str | Path,
    title: str,
    xlabel: str,
    ylabel: str,
    xticks: Sequence[str] | None = None,
    yticks: Sequence[str] | None = None,
    annotate: bool = True,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
) -> Path:
    """A heatmap with optional cell annotations (e.g. layers × heads UAS, R × R P@1)."""
    plt = _plt()
    m = np.asarray(matrix, dtype=float)
    fig, ax = plt.subplots(figsize=(max(4, 0.45 * m.shape[1] + 2), max(3, 0.4 * m.shape[0] + 1.5)))
    im = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    fig.colorbar(im, ax=ax)
    if xticks is not None:
        ax.set_xticks(range(len(xticks)), xticks, rotation=45, ha="right")
    if yticks is not None:
        ax.set_yticks(range(len(yticks)), yticks)
    if annotate and m.size <= 400:
        for (i, j), v in np.ndenumerate(m):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="w")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return save_figure(fig, path)


def line_plot(
    series: dict[str, tuple[Sequence[float], Sequence[float]]],
    path: str | Path,
    title: str,
    xlabel: str,
    ylabel: str,
    logx: bool = False,
    vlines: Sequence[float] = (),
) -> Path:
    """Lines ``series[name] = (xs, ys)``, with optional vertical markers (e.g. phase transitions)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, (xs, ys) in series.items():
        ax.plot(xs, ys, marker=".", label=name)
    for x in vlines:
        ax.axvline(x, color="red", linestyle="--", linewidth=1)
    if logx:
        ax.set_xscale("symlog")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(series) > 1:
        ax.legend(fontsize=8)
    return save_figure(fig, path)


def scatter_panels(
    panels: dict[str, np.ndarray],
    labels: Sequence[str] | np.ndarray,
    path: str | Path,
    title: str,
) -> Path:
    """Side-by-side 2-D scatter plots (``panels[name]`` is ``(N, 2)``), coloured by label."""
    plt = _plt()
    labels = np.asarray(labels)
    names = sorted(set(labels.tolist()))
    cmap = plt.get_cmap("tab20" if len(names) > 10 else "tab10")
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.5), squeeze=False)
    for ax, (name, xy) in zip(axes[0], panels.items(), strict=True):
        for k, lab in enumerate(names):
            sel = labels == lab
            ax.scatter(xy[sel, 0], xy[sel, 1], s=8, color=cmap(k % cmap.N), label=lab)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0][-1].legend(fontsize=7, markerscale=2, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.suptitle(title)
    return save_figure(fig, path)
