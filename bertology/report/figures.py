"""Shared matplotlib figures (Agg backend, written atomically as PNG): heatmaps whose colour
scale is the data's range (diverging data centred), line plots with integer ticks on integer
axes, stacked panels on one shared step axis, and (from :mod:`bertology.report.figures_bars`)
bar charts with value labels, n, intervals and baselines, built on these."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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


def fitted_limits(
    values: np.ndarray, diverging: bool = False, center: float = 0.0
) -> tuple[float, float]:
    """The colour (or axis) range of ``values``: their finite min and max, or, for diverging
    data, symmetric around ``center`` so that the centre colour means ``center``. A constant
    matrix gets a small range around its value (a zero-width norm draws nothing)."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return (0.0, 1.0)
    if diverging:
        half = float(np.max(np.abs(finite - center))) or 1.0
        return (center - half, center + half)
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        pad = abs(lo) * 0.05 or 0.5
        return (lo - pad, hi + pad)
    return (lo, hi)


def text_colour(cmap: Any, norm: Any, value: float) -> str:
    """Black or white, whichever reads on the colour ``value`` gets in ``cmap``."""
    r, g, b, _ = cmap(norm(value))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


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
    cmap: str | None = None,
    diverging: bool = False,
    center: float = 0.0,
    cbar_label: str = "",
    fmt: str = "{:.2f}",
) -> Path:
    """A heatmap with optional cell annotations (e.g. layers × heads UAS, R × R P@1).

    The colour scale is the data's own range (:func:`fitted_limits`) unless ``vmin``/``vmax``
    are given; ``diverging`` data (differences, drops) gets a red-blue map centred on
    ``center``. Cell labels are in the colour bar's units (``fmt``)."""
    plt = _plt()
    m = np.asarray(matrix, dtype=float)
    lo, hi = fitted_limits(m, diverging, center)
    vmin = lo if vmin is None else vmin
    vmax = hi if vmax is None else vmax
    cmap_obj = plt.get_cmap(cmap or ("RdBu_r" if diverging else "viridis"))
    fig, ax = plt.subplots(figsize=(max(4, 0.45 * m.shape[1] + 2), max(3, 0.4 * m.shape[0] + 1.5)))
    im = ax.imshow(m, cmap=cmap_obj, vmin=vmin, vmax=vmax, aspect="auto")
    fig.colorbar(im, ax=ax, label=cbar_label)
    if xticks is not None:
        ax.set_xticks(range(len(xticks)), xticks, rotation=45, ha="right")
    else:  # one integer tick per column (layer, head), never 0.5
        ax.set_xticks(range(m.shape[1]))
    ax.set_yticks(range(m.shape[0]), yticks if yticks is not None else range(m.shape[0]))
    if annotate and m.size <= 400:
        for (i, j), v in np.ndenumerate(m):
            if np.isfinite(v):
                ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7,
                        color=text_colour(cmap_obj, im.norm, v))  # fmt: skip
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return save_figure(fig, path)


def integer_ticks(ax: Any, xs: Sequence[float]) -> None:
    """x ticks at each integer of ``xs`` (layers, epochs) when they are all integers: a
    layer axis with ticks at 0.5 or 2.5 reads as if there were half layers."""
    values = sorted({float(x) for x in xs if np.isfinite(x)})
    if not values or any(v != int(v) for v in values):
        return
    if len(values) <= 25:
        ax.set_xticks([int(v) for v in values])
    else:
        from matplotlib.ticker import MaxNLocator  # matplotlib: only when drawing

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def line_plot(
    series: dict[str, tuple[Sequence[float], Sequence[float]]],
    path: str | Path,
    title: str,
    xlabel: str,
    ylabel: str,
    logx: bool = False,
    vlines: Sequence[float] = (),
    vline_label: str | None = None,
    styles: dict[str, dict[str, Any]] | None = None,
    baseline: float | None = None,
    baseline_label: str = "baseline",
) -> Path:
    """Lines ``series[name] = (xs, ys)``, with optional vertical markers (e.g. phase
    transitions, the best epoch; named in the legend by ``vline_label``) and a dashed
    horizontal ``baseline``. ``styles[name]`` are extra ``plot`` keywords (colour, linestyle).
    Integer x values (layers, epochs) get one integer tick each."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    every_x: list[float] = []
    for name, (xs, ys) in series.items():
        ax.plot(xs, ys, marker=".", label=name, **(styles or {}).get(name, {}))
        every_x += [float(x) for x in xs]
    for i, x in enumerate(vlines):
        ax.axvline(x, color="red", linestyle="--", linewidth=1,
                   label=vline_label if i == 0 and vline_label else None)  # fmt: skip
    if baseline is not None:
        ax.axhline(baseline, color="black", linestyle="--", linewidth=1, label=baseline_label)
    if logx:
        ax.set_xscale("symlog")
    else:
        integer_ticks(ax, every_x)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(ax.get_legend_handles_labels()[0]) > 1 or vline_label or baseline is not None:
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


# a curve: (xs, ys) or (xs, ys, extra ``plot`` keywords)
Curve = tuple[Sequence[float], Sequence[float]] | tuple[Sequence[float], Sequence[float], dict]


def stacked_curves(
    panels: Sequence[tuple[str, dict[str, Curve]]],
    path: str | Path,
    title: str,
    xlabel: str = "training step",
    breaks: Sequence[tuple[str, float, dict[str, Any]]] = (),
) -> Path | None:
    """Vertically stacked panels on one shared x axis (``sharex=True``), e.g. validation loss,
    UAS, BLiMP and TwoNN against step, so that their changes can be read against each other.

    ``panels`` are ``(y label, {curve label: curve})``; a panel with no points is left out,
    and nothing is drawn (``None``) when none has any. ``breaks`` are ``(label, x, style)``:
    a vertical dashed line through every panel (a structure onset, a capability onset),
    named once in the figure's legend.
    """
    kept = [(lab, cs) for lab, cs in panels if any(len(c[0]) for c in cs.values())]
    if not kept:
        return None
    plt = _plt()
    fig, axes = plt.subplots(len(kept), 1, figsize=(7, 1.6 + 1.9 * len(kept)), sharex=True,
                             squeeze=False, layout="constrained")  # fmt: skip
    handles: dict[str, Any] = {}
    for ax, (ylabel, curves) in zip(axes[:, 0], kept, strict=True):
        for name, curve in curves.items():
            xs, ys = curve[0], curve[1]
            if not len(xs):
                continue
            style = {"marker": ".", "markersize": 3, **(curve[2] if len(curve) > 2 else {})}
            (line,) = ax.plot(xs, ys, label=name, **style)
            handles.setdefault(name, line)
        for label, x, style in breaks:
            line = ax.axvline(x, **{"color": "red", "linestyle": "--", "linewidth": 1.2, **style})
            handles.setdefault(label, line)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel(xlabel)
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", fontsize=8,
               ncol=min(3, len(handles)))  # fmt: skip
    fig.suptitle(title)
    return save_figure(fig, path)
