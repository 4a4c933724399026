"""Views of ``pretrain`` and ``dynamics``: training curves on one shared step axis, with the
breaks ``dynamics`` found marked on them, and the phase table."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from bertology.report.page import Est, Page
from bertology.report.views.common import (
    Panel,
    band,
    curves_chart,
    is_num,
    line,
    ptext,
    read_json,
    read_jsonl,
)

# panels in reading order: (title, [(metric, legend label, dashed?)])
PANELS: list[tuple[str, list[tuple[str, str, bool]]]] = [
    ("loss", [("train_loss", "training loss (smoothed)", False), ("val_loss", "validation loss", False)]),
    ("UAS", [("uas", "best head at each checkpoint", False),
             ("uas_fixed_head", "final best head, followed", True),
             ("uas_offset_baseline", "best offset baseline", True)]),
    ("BLiMP accuracy", [("blimp", "BLiMP accuracy", False)]),
    ("TwoNN dimension", [("twonn", "TwoNN intrinsic dimension", False)]),
]  # fmt: skip

BREAKS = [
    ("structure_onset", "structure onset"),
    ("capability_onset", "capability onset"),
    ("twonn_drop_onset", "TwoNN drop"),
]


def _smoothed_train_loss(rows: list[dict[str, Any]], points: int = 400) -> tuple[list, list]:
    """Training loss averaged over windows, at most ``points`` points (a page with 100k
    training steps stays small)."""
    steps = [r["step"] for r in rows if r.get("kind") == "train" and is_num(r.get("loss"))]
    losses = [r["loss"] for r in rows if r.get("kind") == "train" and is_num(r.get("loss"))]
    if not steps:
        return [], []
    w = max(1, len(steps) // points)
    xs, ys = [], []
    for i in range(0, len(steps), w):
        chunk = losses[i : i + w]
        xs.append(steps[min(i + w, len(steps)) - 1])
        ys.append(sum(chunk) / len(chunk))
    return xs, ys


def _eval_series(rows: list[dict[str, Any]]) -> dict[str, dict[int, Any]]:
    """metric -> step -> value from evaluator rows (numbers and ``*_ci`` intervals)."""
    series: dict[str, dict[int, Any]] = defaultdict(dict)
    for r in rows:
        if r.get("kind") not in (None, "eval") or not is_num(r.get("step")):
            continue
        for k, v in r.items():
            if k in ("step", "kind"):
                continue
            if is_num(v) or (k.endswith("_ci") and isinstance(v, list)):
                series[k][int(r["step"])] = v
    return series


PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]  # fmt: skip


def _panels(
    series: dict[str, dict[int, Any]], run: str = "", colour: str | None = None
) -> list[Panel]:
    """The standard panels of one run. With ``colour`` (several runs on one chart) every trace
    of the run has that colour, one legend entry names the run, and dashes tell its curves
    apart; the hover text says which curve is which."""
    panels = []
    first = True
    for title, metrics in PANELS:
        p = Panel(title)
        for key, label, dashed in metrics:
            pts = series.get(key)
            if not pts:
                continue
            xs = sorted(pts)
            extra: dict[str, Any] = {"line": {"dash": "dash"}} if dashed else {}
            name = label
            if colour is not None:
                name = ptext(run)
                extra["line"] = {**extra.get("line", {}), "color": colour}
                extra.update(legendgroup=run, showlegend=first, marker={"size": 3, "color": colour},
                             hovertemplate=f"{ptext(run)}, {label}: %{{y:.3f}}<extra></extra>")  # fmt: skip
                first = False
            p.traces.append(line(name, xs, [pts[s] for s in xs], **extra))
            cis = series.get(f"{key}_ci")
            if cis and colour is None:
                p.traces.extend(band(label, xs, [cis.get(s) for s in xs]))
        panels.append(p)
    return panels


def pretrain_view(page: Page, run: Path, results: dict[str, Any]) -> set[str]:
    """Pre-training: what was trained, how fast, and the curves."""
    page.section("Run")
    params = results.get("parameters") or {}
    rows = [
        ("steps", results.get("final_step")),
        ("tokens seen", results.get("tokens_seen")),
        ("parameters", params.get("total")),
        ("training loss (last 50 steps)", results.get("train_loss_last50")),
        ("tokens / s (median)", results.get("tokens_per_s_median")),
        ("processes", results.get("world_size")),
        ("wall time (s)", results.get("wall_s")),
    ]
    page.headline(["", "value"], [r for r in rows if r[1] is not None])
    metrics = read_jsonl(run / "metrics.jsonl")
    series = _eval_series(metrics)
    xs, ys = _smoothed_train_loss(metrics)
    if xs:
        series["train_loss"] = dict(zip(xs, ys, strict=True))
    spec = curves_chart(_panels(series))
    if spec:
        page.section("Training curves", "Hover for values; drag to zoom (every panel follows).")
        page.chart(spec, name="training")
    ckpts = results.get("checkpoints") or {}
    if ckpts:
        cols: list[str] = []
        for c in ckpts.values():
            cols += [k for k, v in c.items() if k not in cols and (is_num(v) or v is None)]
        page.section("Checkpoints", f"{len(ckpts)} checkpoints, with what each was evaluated on.")
        page.table(cols, [[c.get(k) for k in cols] for c in ckpts.values()], page_size=10)
    data = results.get("data")
    if isinstance(data, dict) and data:
        page.section("Data")
        page.headline(["", "value"], list(data.items()))
    return {"loss.png"}


def dynamics_view(page: Page, run: Path, results: dict[str, Any]) -> set[str]:
    """Dynamics: the phase table, then every run's curves with its breaks marked."""
    phases = results.get("phases") or {}
    table = {r.get("run"): r for r in results.get("table") or [] if isinstance(r, dict)}
    fixed = results.get("uas_fixed_head") or {}
    page.section(
        "Phases",
        "Breaks found by change-point detection (ruptures) on each curve. Structure: UAS of "
        "the best head at each checkpoint; capability: BLiMP or validation loss.",
    )
    rows = []
    for name, ph in phases.items():
        t = table.get(name, {})
        fh = fixed.get(name) or {}
        rows.append((
            name,
            ph.get("structure_onset"),
            ph.get("structure_plateau"),
            ph.get("structure_onset_fixed_head"),
            f"{ph.get('capability_onset', '–')} ({ph.get('capability_source') or '–'})",
            ph.get("twonn_drop_onset"),
            t.get("final_val_loss"),
            Est(t.get("final_uas")) if "final_uas" in t else None,
            f"{fh.get('layer')}-{fh.get('head')}" if fh else None,
            t.get("final_blimp"),
        ))  # fmt: skip
    if rows:
        page.headline(
            ["run", "structure onset", "structure plateau", "onset (final best head)",
             "capability onset", "TwoNN drop", "final val loss", "final UAS",
             "final best head", "final BLiMP"],
            rows,
            caption="steps; – where no break was found",
        )  # fmt: skip
    spec = dynamics_chart(read_json(run / "dynamics.json") or {})
    if spec:
        page.section(
            "Training curves",
            "Loss, UAS, BLiMP and TwoNN on one step axis; dashed lines mark the breaks.",
        )
        page.chart(spec, name="dynamics")
    return {"summary.png"}


# break -> (panel index, metric it sits on, marker symbol), for charts of several runs
BREAK_MARKS = {
    "structure_onset": (1, "uas", "triangle-up"),
    "capability_onset": (0, "val_loss", "square"),
    "twonn_drop_onset": (3, "twonn", "diamond"),
}


def dynamics_chart(doc: dict[str, Any]) -> dict[str, Any] | None:
    """Every run of a ``dynamics.json`` on one shared step axis. One run: its breaks as dashed
    vertical lines. Several: each run in one colour, its breaks as markers on its curves
    (▲ structure onset on UAS, ■ capability onset on loss, ◆ TwoNN drop)."""
    runs = doc.get("runs") or {}
    many = len(runs) > 1
    panels: list[Panel] = [Panel(t) for t, _ in PANELS]
    breaks: list[tuple[float, str]] = []
    for i, (name, r) in enumerate(runs.items()):
        series = {
            k: dict(zip(m.get("steps", []), m.get("values", []), strict=False))
            for k, m in (r.get("metrics") or {}).items()
            if isinstance(m, dict)
        }
        colour = PALETTE[i % len(PALETTE)] if many else None
        for target, p in zip(panels, _panels(series, name, colour), strict=True):
            target.traces.extend(p.traces)
        ph = r.get("phases") or {}
        for key, label in BREAKS:
            step = ph.get(key)
            if not is_num(step):
                continue
            if not many:
                breaks.append((step, label))
                continue
            panel, metric, symbol = BREAK_MARKS[key]
            y = series.get(metric, {}).get(step)
            if y is not None:
                panels[panel].traces.append({
                    "type": "scatter", "mode": "markers", "x": [step], "y": [y],
                    "name": f"{ptext(name)}: {label}", "showlegend": False, "legendgroup": name,
                    "marker": {"symbol": symbol, "size": 11, "color": colour,
                               "line": {"width": 1, "color": "#000"}},
                    "hovertemplate": f"{ptext(name)}: {label} at step %{{x}}<extra></extra>",
                })  # fmt: skip
    return curves_chart(panels, breaks)
