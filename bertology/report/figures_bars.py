"""Bar charts that say what they show: every bar carries its value (a 0 too, as a label at the
axis and a short mark), its ``n`` in the tick label, its interval as an error bar where the
results have one, and the baseline it must beat (chance, majority class, a random mask) as a
dashed line named in the legend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bertology.report.figures import pyplot, save_figure

Interval = Sequence[float] | None  # [lo, hi], or None where there is none


def tick_labels(names: Sequence[str], counts: Mapping[str, int] | None) -> list[str]:
    """``IsA\\n(n=20)`` where a count is known, else the name."""
    counts = counts or {}
    return [f"{n}\n(n={counts[n]})" if counts.get(n) is not None else n for n in names]


def _errors(ys: np.ndarray, cis: Sequence[Interval]) -> np.ndarray | None:
    """``(2, N)`` distances below and above each value for ``errorbar`` (NaN: no interval)."""
    if not any(ci is not None for ci in cis):
        return None
    lo = np.array([np.nan if ci is None else ci[0] for ci in cis], dtype=float)
    hi = np.array([np.nan if ci is None else ci[1] for ci in cis], dtype=float)
    return np.vstack([np.clip(ys - lo, 0, None), np.clip(hi - ys, 0, None)])


def _label_bars(
    ax: Any, xs: np.ndarray, ys: np.ndarray, tops: np.ndarray, colour: Any, fmt: str,
    rotation: int, width: float,
) -> None:  # fmt: skip
    """The value above each bar (above its interval where it has one); a bar of height 0 gets
    a short mark on the axis so that it is seen as a bar, not a missing one."""
    for x, y, top in zip(xs, ys, tops, strict=True):
        text = "n/a" if not np.isfinite(y) else fmt.format(y)
        at = top if np.isfinite(top) else (y if np.isfinite(y) else 0.0)
        ax.annotate(text, (x, max(at, 0.0)), xytext=(0, 2), textcoords="offset points",
                    ha="center", va="bottom", fontsize=7, rotation=rotation)  # fmt: skip
        if np.isfinite(y) and y == 0:
            ax.plot([x - width / 2, x + width / 2], [0, 0], color=colour, linewidth=3,
                    solid_capstyle="butt", clip_on=False, zorder=3)  # fmt: skip


def _fit_ylim(ax: Any, values: Sequence[float], ylim: tuple[float, float] | None) -> None:
    """The y range of the data (bars, interval ends, baselines) with room for the labels."""
    if ylim is not None:
        ax.set_ylim(*ylim)
        return
    v = np.asarray([x for x in values if x is not None], dtype=float)
    v = v[np.isfinite(v)]
    top = float(v.max()) if v.size else 1.0
    bottom = min(0.0, float(v.min()) if v.size else 0.0)
    span = (top - bottom) or 1.0
    ax.set_ylim(bottom, top + 0.15 * span)


def _draw_baseline(
    ax: Any, centres: np.ndarray, half: float, names: Sequence[str],
    baseline: float | Mapping[str, float], label: str, cis: Mapping[str, Interval] | None,
) -> list[float]:  # fmt: skip
    """One dashed line across the chart (a number) or a dashed segment over each bar or group
    (per name); its intervals as grey error bars. Returns the y values drawn."""
    if not isinstance(baseline, Mapping):
        ax.axhline(float(baseline), color="black", linestyle="--", linewidth=1, label=label)
        return [float(baseline)]
    ys = np.array([baseline.get(n, np.nan) for n in names], dtype=float)
    ax.hlines(ys, centres - half, centres + half, colors="black", linestyles="--",
              linewidth=1.2, label=label, zorder=4)  # fmt: skip
    drawn = list(ys)
    if cis:
        err = _errors(ys, [cis.get(n) for n in names])
        if err is not None:
            ax.errorbar(centres, ys, yerr=err, fmt="none", ecolor="grey", capsize=2,
                        label=f"{label}: 95% interval", zorder=4)  # fmt: skip
            drawn += [c[1] for c in cis.values() if c is not None]
    return drawn


def bar_chart(
    values: Mapping[str, float],
    path: str | Path,
    title: str,
    ylabel: str,
    ylim: tuple[float, float] | None = None,
    *,
    intervals: Mapping[str, Interval] | None = None,
    counts: Mapping[str, int] | None = None,
    baseline: float | Mapping[str, float] | None = None,
    baseline_label: str = "chance",
    fmt: str = "{:.2f}",
) -> Path:
    """A bar per key (e.g. P@1 per relation), each labelled with its value.

    ``intervals[key]`` = ``[lo, hi]`` draws error bars; ``counts[key]`` puts ``(n=…)`` under
    the key; ``baseline`` is one dashed line (a number: chance 0.5 on minimal pairs) or a
    dashed segment over each bar (per key: 1 / #candidates of each relation). The y axis is
    fitted to the bars, intervals and baseline unless ``ylim`` is given."""
    plt = pyplot()
    names = list(values)
    ys = np.array([values[n] for n in names], dtype=float)
    xs = np.arange(len(names), dtype=float)
    fig, ax = plt.subplots(figsize=(max(4, 0.6 * len(names) + 2), 3.8))
    colour = "#4477aa"
    ax.bar(xs, np.nan_to_num(ys), color=colour, width=0.7)
    err = _errors(ys, [(intervals or {}).get(n) for n in names])
    tops = ys.copy()
    if err is not None:
        ax.errorbar(xs, ys, yerr=err, fmt="none", ecolor="black", capsize=3,
                    label="95% interval")  # fmt: skip
        tops = np.where(np.isfinite(err[1]), ys + err[1], ys)
    _label_bars(ax, xs, ys, tops, colour, fmt, 0, 0.7)
    drawn = [*ys, *tops]
    if baseline is not None:
        drawn += _draw_baseline(ax, xs, 0.4, names, baseline, baseline_label, None)
    ax.set_xticks(xs, tick_labels(names, counts), rotation=45 if len(names) > 4 else 0,
                  ha="right" if len(names) > 4 else "center", fontsize=8)  # fmt: skip
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _fit_ylim(ax, drawn, ylim)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return save_figure(fig, path)


def grouped_bar_chart(
    groups: Mapping[str, Mapping[str, float]],
    path: str | Path,
    title: str,
    ylabel: str,
    *,
    intervals: Mapping[str, Mapping[str, Interval]] | None = None,
    counts: Mapping[str, int] | None = None,
    baseline: float | Mapping[str, float] | None = None,
    baseline_label: str = "baseline",
    baseline_intervals: Mapping[str, Interval] | None = None,
    ylim: tuple[float, float] | None = None,
    fmt: str = "{:.2f}",
) -> Path:
    """Bars per key, one colour per series: ``groups[series][key]`` (e.g. full model vs
    subnetwork per relation), each labelled with its value.

    ``intervals[series][key]`` draws error bars; ``counts[key]`` puts ``(n=…)`` under the
    key; ``baseline`` (a number, or per key: a random mask's P@1) is a dashed segment over
    each group, with ``baseline_intervals`` as grey error bars."""
    plt = pyplot()
    series = list(groups)
    keys = list(dict.fromkeys(k for g in groups.values() for k in g))
    width = 0.8 / max(1, len(series))
    centres = np.arange(len(keys), dtype=float)
    fig, ax = plt.subplots(figsize=(max(4.5, 0.9 * len(keys) + 2.5), 4))
    drawn: list[float] = []
    for si, s in enumerate(series):
        xs = centres - 0.4 + width * (si + 0.5)
        ys = np.array([groups[s].get(k, np.nan) for k in keys], dtype=float)
        colour = f"C{si % 10}"
        ax.bar(xs, np.nan_to_num(ys), width=width, label=s, color=colour)
        err = _errors(ys, [((intervals or {}).get(s) or {}).get(k) for k in keys])
        tops = ys.copy()
        if err is not None:
            ax.errorbar(xs, ys, yerr=err, fmt="none", ecolor="black", capsize=2,
                        label="95% interval" if si == 0 else None)  # fmt: skip
            tops = np.where(np.isfinite(err[1]), ys + err[1], ys)
        _label_bars(ax, xs, ys, tops, colour, fmt, 90 if len(series) > 2 else 0, width)
        drawn += [*ys, *tops]
    if baseline is not None:
        drawn += _draw_baseline(ax, centres, 0.42, keys, baseline, baseline_label,
                                baseline_intervals)  # fmt: skip
    ax.set_xticks(centres, tick_labels(keys, counts), rotation=45 if len(keys) > 4 else 0,
                  ha="right" if len(keys) > 4 else "center", fontsize=8)  # fmt: skip
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _fit_ylim(ax, drawn, ylim)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return save_figure(fig, path)
