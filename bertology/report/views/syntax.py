"""View of ``uas``: the best head against the positional baseline, the head grid, relations,
and the attention viewer (``attention.json``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bertology.errors import InputError
from bertology.report.attention import read_attention
from bertology.report.page import Est, Page
from bertology.report.views.common import is_num, ptext


def head_grid_chart(grid: list[list[float]], title: str, baseline: float | None) -> dict[str, Any]:
    """Head-wise UAS as a heatmap with the value in each cell. With a baseline, the colours
    diverge at it: blue above the best offset baseline, red below."""
    flat = [v for row in grid for v in row if is_num(v)]
    lo, hi = (min(flat), max(flat)) if flat else (0.0, 1.0)
    trace: dict[str, Any] = {
        "type": "heatmap",
        "z": grid,
        "x": [f"head {h}" for h in range(len(grid[0]) if grid else 0)],
        "y": [f"layer {layer}" for layer in range(len(grid))],
        "text": [[f"{v:.3f}" if is_num(v) else "" for v in row] for row in grid],
        "texttemplate": "%{text}",
        "hovertemplate": "%{y}, %{x}: UAS %{z:.3f}<extra></extra>",
        "colorbar": {"title": {"text": "UAS"}},
        "zmin": lo,
        "zmax": hi,
    }
    if baseline is not None and lo < baseline < hi:
        trace.update(colorscale="RdBu", reversescale=True, zmid=baseline)  # high = blue
        trace.pop("zmin")
        trace.pop("zmax")
    else:
        trace["colorscale"] = "Viridis"
    return {
        "data": [trace],
        "layout": {
            "title": {"text": title, "x": 0, "font": {"size": 13}},
            "height": 90 + 46 * len(grid),
            "margin": {"l": 70, "r": 20, "t": 40, "b": 40},
            "yaxis": {"autorange": "reversed"},
        },
    }


def uas_view(page: Page, run: Path, results: dict[str, Any]) -> set[str]:
    """UAS: is the best head above the best offset baseline, and where do relations live."""
    best = results.get("best_head") or {}
    page.section(
        "Best head",
        "A head's UAS: how often the word it attends to most is the gold head (dep→head) or, "
        "read the other way, a dependent (head→dep). 'clean' leaves out punctuation and "
        "sentence-final tokens; the offset baseline always picks the word at a fixed distance.",
    )
    rows = []
    for setting, b in best.items():
        rows.append((
            setting,
            f"{b.get('layer')}-{b.get('head')} ({b.get('direction')})",
            Est(b.get("uas"), b.get("uas_ci")),
            f"{b.get('offset')}: {b['offset_uas']:.3f}" if is_num(b.get("offset_uas")) else None,
            Est(b.get("uas_margin"), b.get("uas_margin_ci")),
            Est(b.get("uas_nonadjacent"), b.get("uas_nonadjacent_ci")),
            b.get("n_sentences"),
            b.get("n_words"),
        ))  # fmt: skip
    if rows:
        page.headline(
            ["setting", "best head (layer-head)", "UAS", "best offset baseline",
             "margin over offset", "UAS, non-adjacent arcs", "sentences", "words"],
            rows,
            caption="95% intervals: bootstrap over sentences (margin paired over sentences)",
        )  # fmt: skip
    grids = results.get("uas") or {}
    baselines = results.get("best_baseline") or {}
    for setting in ("clean", "reference"):
        g = grids.get(setting)
        if not isinstance(g, dict):
            continue
        page.section(
            f"Head grid ({setting})",
            "UAS of every head. Colours diverge at the best offset baseline: blue heads beat "
            "it, red heads do not.",
        )
        base = (baselines.get(setting) or {}).get("uas")
        for direction, grid in g.items():
            if isinstance(grid, list) and grid:
                page.chart(
                    head_grid_chart(grid, f"{setting}, {direction.replace('_', ' ')}", base),
                    name=f"uas_{setting}_{direction}",
                )
        break  # one setting's grid; the other is in figures/
    by_rel = results.get("by_relation") or {}
    if by_rel:
        page.section(
            "By dependency relation",
            "The best head for each relation, against the best offset baseline for it.",
        )
        rows = []
        for rel, r in by_rel.items():
            margin = (
                r["uas"] - r["offset_uas"]
                if is_num(r.get("uas")) and is_num(r.get("offset_uas"))
                else None
            )
            rows.append([rel, r.get("n"), f"{r.get('layer')}-{r.get('head')}",
                         r.get("direction"), r.get("uas"), r.get("best_offset"),
                         r.get("offset_uas"), margin])  # fmt: skip
        page.table(
            [{"key": "relation", "text": True}, "n", "best head", "direction", "UAS",
             "best offset", "offset UAS", "margin"],
            rows,
        )  # fmt: skip
        names = list(by_rel)
        labels = [ptext(n) for n in names]
        page.chart(
            {
                "data": [
                    {"type": "bar", "name": "best head", "x": labels,
                     "y": [by_rel[n].get("uas") for n in names],
                     "text": [f"{by_rel[n].get('uas', 0):.2f}" for n in names],
                     "textposition": "outside"},
                    {"type": "bar", "name": "best offset baseline", "x": labels,
                     "y": [by_rel[n].get("offset_uas") for n in names],
                     "text": [f"{by_rel[n].get('offset_uas', 0):.2f}" for n in names],
                     "textposition": "outside", "marker": {"color": "#bbb"}},
                ],
                "layout": {"barmode": "group", "height": 380,
                           "yaxis": {"title": {"text": "UAS"}},
                           "xaxis": {"ticktext": [f"{ptext(n)}<br>n={by_rel[n].get('n')}" for n in names],
                                     "tickvals": labels},
                           "margin": {"t": 20}},
            },
            name="uas_by_relation",
        )  # fmt: skip
    attention_section(page, run, "Attention viewer",
                      "Word-level attention of one sentence: pick a layer and head, a relation's "
                      "best head, or click the head grid. Gold dependency arcs are overlaid.")  # fmt: skip
    return set()


def attention_section(page: Page, run: Path, title: str, intro: str) -> None:
    """The attention viewer over ``run/attention.json``, when the run wrote one. A file that
    fails validation is named in the report, with what is wrong, instead of a broken viewer."""
    path = run / "attention.json"
    if not path.exists():
        return
    page.section(title, intro)
    try:
        doc = read_attention(path)
    except InputError as e:
        page.text(f"attention.json could not be shown: {e}")
        return
    page.attention(doc)
