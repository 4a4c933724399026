"""What every view shares: reading a run's files, estimates with intervals, training curves,
and the generic rendering of results a command has no view for."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bertology.report.page import Est, Page

SCALAR = (str, int, float, bool, type(None))


def read_json(path: Path) -> Any:
    """A JSON file of the run, or None when it is missing or unreadable (a report is written
    at the end of a run and must not fail it for a file another command left broken)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_jsonl(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of a JSONL file; unreadable lines are skipped (see :func:`read_json`)."""
    rows: list[dict[str, Any]] = []
    try:
        with path.open(encoding="utf-8") as f:
            for line in f:
                if limit is not None and len(rows) >= limit:
                    break
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row, dict):
                    rows.append(row)
    except OSError:
        return []
    return rows


def ptext(v: Any) -> str:
    """A user string for a chart label: plotly reads a subset of HTML in labels, so ``<`` and
    ``&`` are escaped (it shows entities as the characters they stand for)."""
    return html.escape(str(v), quote=False)


def is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def est(d: dict[str, Any] | None, key: str, n: Any = None) -> Est | None:
    """``d[key]`` with its ``key_ci`` interval, as a table cell."""
    if not isinstance(d, dict) or key not in d:
        return None
    ci = d.get(f"{key}_ci")
    return Est(d[key], ci if isinstance(ci, (list, tuple)) else None, n)


def layer_span(layers: Any) -> str:
    """``[lo, hi]`` layer bounds as a reader reads them: "layers 0–3" (not "0 and 3")."""
    if isinstance(layers, (list, tuple)) and len(layers) == 2 and all(is_num(x) for x in layers):
        lo, hi = int(layers[0]), int(layers[1])
        return f"layer {lo}" if lo == hi else f"layers {lo}–{hi}"
    return str(layers)


def error_bars(values: Sequence[float | None], cis: Sequence[Any]) -> dict[str, Any] | None:
    """A plotly ``error_y`` from intervals, or None when no value has one."""
    plus, minus, any_ci = [], [], False
    for v, ci in zip(values, cis, strict=True):
        if is_num(v) and isinstance(ci, (list, tuple)) and len(ci) == 2 and None not in ci:
            plus.append(max(0.0, ci[1] - v))
            minus.append(max(0.0, v - ci[0]))
            any_ci = True
        else:
            plus.append(0.0)
            minus.append(0.0)
    if not any_ci:
        return None
    return {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus}


# training curves ---------------------------------------------------------------------------
@dataclass
class Panel:
    """One row of a shared-x figure: a y label and its traces (plotly scatter dicts)."""

    ylabel: str
    traces: list[dict[str, Any]] = field(default_factory=list)


def line(name: str, x: Sequence[Any], y: Sequence[Any], **extra: Any) -> dict[str, Any]:
    return {"type": "scatter", "mode": "lines+markers", "marker": {"size": 4}, "name": name,
            "x": list(x), "y": list(y), **extra}  # fmt: skip


def band(name: str, x: Sequence[Any], cis: Sequence[Any]) -> list[dict[str, Any]]:
    """A shaded 95% interval under a curve (two traces, the second filled to the first)."""
    pts = [
        (s, c) for s, c in zip(x, cis, strict=True) if isinstance(c, (list, tuple)) and len(c) == 2
    ]
    if not pts:
        return []
    xs = [s for s, _ in pts]
    common = {"type": "scatter", "mode": "lines", "line": {"width": 0}, "hoverinfo": "skip",
              "showlegend": False, "legendgroup": name}  # fmt: skip
    return [
        {**common, "x": xs, "y": [c[0] for _, c in pts], "name": f"{name} lower"},
        {**common, "x": xs, "y": [c[1] for _, c in pts], "name": f"{name} 95% interval",
         "fill": "tonexty", "fillcolor": "rgba(31,119,180,0.15)"},
    ]  # fmt: skip


def curves_chart(
    panels: Sequence[Panel], breaks: Iterable[tuple[float, str]] = (), title: str = ""
) -> dict[str, Any] | None:
    """Panels stacked over one shared step axis (zooming one zooms all), with a dashed
    vertical line and label at each break."""
    breaks = list(breaks)
    panels = [p for p in panels if p.traces]
    if not panels:
        return None
    k = len(panels)
    gap = 0.06
    height = (1 - gap * (k - 1)) / k
    layout: dict[str, Any] = {
        "height": 170 * k + 110,
        "margin": {"l": 70, "r": 20, "t": (40 if title else 20) + 14 * len(breaks), "b": 50},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.08 if k > 2 else -0.18},
        "xaxis": {"title": {"text": "training step"}, "anchor": f"y{k}" if k > 1 else "y"},
    }
    if title:
        layout["title"] = {"text": title, "x": 0}
    data: list[dict[str, Any]] = []
    for i, p in enumerate(panels):
        axis = "y" if i == 0 else f"y{i + 1}"
        top = 1 - i * (height + gap)
        layout["yaxis" if i == 0 else f"yaxis{i + 1}"] = {
            "title": {"text": p.ylabel},
            "domain": [max(0.0, top - height), top],
        }
        for t in p.traces:
            data.append({**t, "xaxis": "x", "yaxis": axis})
    shapes, notes = [], []
    colours = ["#cf222e", "#8250df", "#9a6700", "#1a7f37", "#0969da"]
    for i, (step, label) in enumerate(breaks):
        colour = colours[i % len(colours)]
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": step, "x1": step,
                       "y0": 0, "y1": 1, "line": {"dash": "dash", "width": 1.2, "color": colour}})  # fmt: skip
        # labels stacked above the plot, one row each, so breaks at one step stay readable
        notes.append({"xref": "x", "yref": "paper", "x": step, "y": 1, "yanchor": "bottom",
                      "yshift": 14 * i, "text": label, "showarrow": False,
                      "font": {"size": 10, "color": colour}})  # fmt: skip
    layout["shapes"] = shapes
    layout["annotations"] = notes
    return {"data": data, "layout": layout}


# the generic view ---------------------------------------------------------------------------
def _merge_ci(d: dict[str, Any]) -> dict[str, Any]:
    """``{"x": 1, "x_ci": [..]}`` -> ``{"x": Est(1, [..])}``; other scalars as they are."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if k.endswith("_ci") and k[:-3] in d:
            continue
        if isinstance(v, SCALAR):
            ci = d.get(f"{k}_ci")
            out[k] = Est(v, ci) if isinstance(ci, (list, tuple)) and is_num(v) else v
    return out


def _is_records(v: Any) -> bool:
    return (
        isinstance(v, dict)
        and bool(v)
        and all(isinstance(r, dict) for r in v.values())
        and any(isinstance(x, SCALAR) for r in v.values() for x in r.values())
    )


def generic_results(page: Page, results: dict[str, Any], skip: Iterable[str] = ()) -> None:
    """Render results a view does not know: scalars as one table, dicts of records as tables
    (one row per key), lists of records as per-sample tables. Empty values are left out."""
    skip = set(skip) | {"schema"}
    top = _merge_ci({k: v for k, v in results.items() if k not in skip})
    if top:
        page.headline(["", "value"], [(k, v) for k, v in top.items()])
    for key, value in results.items():
        if key in skip or isinstance(value, SCALAR) or not value:
            continue
        _generic_value(page, key, value, depth=0)


def _generic_value(page: Page, key: str, value: Any, depth: int) -> None:
    if isinstance(value, dict):
        if _is_records(value):
            rows = {name: _merge_ci(r) for name, r in value.items()}
            cols: list[str] = []
            for r in rows.values():
                cols += [c for c in r if c not in cols]
            page.section(key) if depth == 0 else page.subsection(key)
            page.headline(
                ["", *cols], [(name, *(r.get(c) for c in cols)) for name, r in rows.items()]
            )
            return
        flat = _merge_ci(value)
        nested = {k: v for k, v in value.items() if not isinstance(v, SCALAR) and v}
        if not flat and not nested:
            return
        page.section(key) if depth == 0 else page.subsection(key)
        if flat:
            page.headline(["", "value"], list(flat.items()))
        for k, v in nested.items():
            if depth < 2:
                _generic_value(page, k, v, depth + 1)
        return
    if isinstance(value, list):
        if value and all(isinstance(r, dict) for r in value):
            cols = []
            for r in value:
                cols += [c for c, x in r.items() if c not in cols and isinstance(x, SCALAR)]
            page.section(key) if depth == 0 else page.subsection(key)
            page.table(cols, [[r.get(c) for c in cols] for r in value])
        elif all(isinstance(x, SCALAR) for x in value) and len(value) <= 50:
            page.section(key) if depth == 0 else page.subsection(key)
            page.text(", ".join(str(x) for x in value))
