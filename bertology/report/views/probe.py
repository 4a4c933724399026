"""View of ``probe``: P@k and MRR per relation with intervals and baselines, every fact's
prediction, and [MASK] attention (``probe --attention``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bertology.report.page import Page
from bertology.report.views.common import error_bars, est, ptext, read_jsonl
from bertology.report.views.syntax import attention_section

MAX_ROWS = 50_000  # per-fact rows embedded in the page; beyond this, predictions.jsonl


def baselines(preds: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per relation: P@1 of always answering its most common object ('majority'), and
    1 / its number of distinct objects ('chance' when candidates are the relation's objects)."""
    objects: dict[str, Counter] = defaultdict(Counter)
    for p in preds:
        objects[str(p.get("relation"))][str(p.get("object"))] += 1
    out = {}
    for rel, c in objects.items():
        total = sum(c.values())
        out[rel] = {"majority": c.most_common(1)[0][1] / total, "chance": 1 / len(c), "n": total}
    return out


def metric_bars(
    names: list[str],
    series: list[tuple[str, list[float | None], list[Any], str | None]],
    ns: list[Any],
    ytitle: str,
    lines: list[tuple[str, list[float | None], str]] = (),
) -> dict[str, Any]:
    """Grouped bars with value labels (zeros too), error bars from intervals, n under each
    name, and baselines drawn as markers on each group."""
    ticks = [f"{ptext(n)}<br>n={k}" for n, k in zip(names, ns, strict=True)]
    names = [ptext(n) for n in names]
    data: list[dict[str, Any]] = []
    for label, values, cis, colour in series:
        bar: dict[str, Any] = {
            "type": "bar", "name": label, "x": names, "y": values,
            "text": [f"{v:.2f}" if v is not None else "–" for v in values],
            "textposition": "outside", "cliponaxis": False,
        }  # fmt: skip
        eb = error_bars(values, cis)
        if eb:
            bar["error_y"] = eb
        if colour:
            bar["marker"] = {"color": colour}
        data.append(bar)
    symbols = ["line-ew-open", "x-thin-open", "cross-thin-open"]
    for i, (label, values, colour) in enumerate(lines):
        data.append({
            "type": "scatter", "mode": "markers", "name": label, "x": names, "y": values,
            "marker": {"symbol": symbols[i % 3], "size": 34, "line": {"width": 2.5, "color": colour}},
        })  # fmt: skip
    return {
        "data": data,
        "layout": {
            "barmode": "group", "height": 400, "margin": {"t": 30},
            "yaxis": {"title": {"text": ytitle}, "rangemode": "tozero"},
            "xaxis": {"tickvals": names, "ticktext": ticks},
            "legend": {"orientation": "h", "y": -0.25},
        },
    }  # fmt: skip


def probe_view(page: Page, run: Path, results: dict[str, Any]) -> set[str]:
    """Probe: does the model complete each relation's facts, beyond a constant guess?"""
    rels = results.get("relations") or {}
    preds = read_jsonl(run / "predictions.jsonl", limit=MAX_ROWS)
    base = baselines(preds)
    page.section(
        "Precision per relation",
        f"{results.get('n_facts', '?')} facts, candidates: {results.get('candidates')}, split: "
        f"{results.get('split')}. Majority: always answer the relation's most common object.",
    )
    rows = []
    for rel, r in rels.items():
        b = base.get(rel, {})
        rows.append((rel, r.get("n"), r.get("skipped"), est(r, "p@1"), est(r, "p@10"),
                     est(r, "mrr"), b.get("majority"), b.get("chance")))  # fmt: skip
    for name in ("macro", "micro"):
        m = results.get(name) or {}
        if m:
            rows.append((name, m.get("n", m.get("n_relations")), m.get("skipped"),
                         est(m, "p@1"), est(m, "p@10"), est(m, "mrr"), None, None))  # fmt: skip
    page.headline(
        ["relation", "n", "skipped", "P@1", "P@10", "MRR", "majority P@1", "chance P@1"],
        rows,
        caption="95% intervals: bootstrap over facts (macro: within each relation)",
    )
    names = list(rels)
    if names:
        p1 = [rels[n].get("p@1") for n in names]
        page.chart(
            metric_bars(
                names,
                [("P@1", p1, [rels[n].get("p@1_ci") for n in names], None)],
                [rels[n].get("n") for n in names],
                "P@1",
                [("majority object", [base.get(n, {}).get("majority") for n in names], "#cf222e"),
                 ("chance (1 / objects)", [base.get(n, {}).get("chance") for n in names], "#555")],
            ),
            name="probe_p_at_1",
        )  # fmt: skip
    if preds:
        page.section("Every fact", "Sort by rank to find what the model knows; filter by relation.")
        rows = []
        for p in preds:
            top = p.get("top") or []
            rows.append([p.get("relation"), p.get("subject"), p.get("object"), p.get("prompt"),
                         p.get("rank"), p.get("gold_log_prob"),
                         top[0].get("token") if top and isinstance(top[0], dict) else None])  # fmt: skip
        page.table(
            [{"key": "relation", "text": True}, {"key": "subject", "text": True},
             {"key": "object", "text": True}, {"key": "prompt", "text": True}, "rank",
             {"key": "log P(object)", "digits": 2}, {"key": "top prediction", "text": True}],
            rows,
            note=f"{len(rows)} facts" + (f" (the first {MAX_ROWS}; all in predictions.jsonl)"
                                         if len(rows) >= MAX_ROWS else ""),
        )  # fmt: skip
    attention_section(page, run, "Attention to and from [MASK]",
                      "Token-level attention of each prompt; the [MASK] row is what the "
                      "prediction reads.")  # fmt: skip
    return set()
