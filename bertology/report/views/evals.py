"""Views of ``blimp`` (accuracy per paradigm, every pair) and ``twonn`` (dimension by layer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bertology.report.page import Est, Page
from bertology.report.views.common import error_bars, ptext, read_jsonl

MAX_PAIRS = 50_000


def blimp_view(page: Page, run: Path, results: dict[str, Any]) -> set[str]:
    """BLiMP: overall, by field, by paradigm (chance is 0.5), then every pair."""
    page.section(
        "Accuracy",
        f"{results.get('n_pairs')} minimal pairs scored by {results.get('metric')}: a pair is "
        "right when the grammatical sentence scores higher. Chance is 0.5.",
    )
    page.headline(
        ["", "accuracy", "n"],
        [("mean over paradigms", Est(results.get("overall"), results.get("overall_ci")),
          len(results.get("paradigms") or {})),
         ("over pairs", Est(results.get("overall_pairs"), results.get("overall_pairs_ci")),
          results.get("n_pairs"))],
    )  # fmt: skip
    fields = results.get("fields") or {}
    if fields:
        page.headline(
            ["field", "paradigms", "pairs", "accuracy"],
            [(f, v.get("paradigms"), v.get("n"), Est(v.get("accuracy"), v.get("ci")))
             for f, v in fields.items()],
        )  # fmt: skip
    par = results.get("paradigms") or {}
    if par:
        names = sorted(par, key=lambda u: par[u].get("accuracy", 0))
        acc = [par[u].get("accuracy") for u in names]
        bar: dict[str, Any] = {
            "type": "bar", "orientation": "h", "y": [ptext(u) for u in names], "x": acc,
            "name": "accuracy",
            "text": [f"{a:.2f} (n={par[u].get('n')})" for a, u in zip(acc, names, strict=True)],
            "textposition": "outside", "cliponaxis": False,
            "hovertemplate": "%{y}: %{x:.3f}<extra></extra>",
        }  # fmt: skip
        eb = error_bars(acc, [par[u].get("ci") for u in names])
        if eb:
            bar["error_x"] = eb
        page.section("By paradigm", "Sorted by accuracy; the dashed line is chance (0.5).")
        page.chart(
            {"data": [bar], "layout": {
                "height": 120 + 18 * len(names), "margin": {"l": 260, "t": 20, "r": 80},
                "xaxis": {"title": {"text": "accuracy"}, "range": [0, 1.12]},
                "shapes": [{"type": "line", "x0": 0.5, "x1": 0.5, "yref": "paper", "y0": 0,
                            "y1": 1, "line": {"dash": "dash", "color": "#cf222e"}}]}},
            name="blimp_by_paradigm",
        )  # fmt: skip
    pairs = read_jsonl(run / "pairs.jsonl", limit=MAX_PAIRS)
    if pairs:
        page.section("Every pair", "Sort by the PLL difference to find the worst failures.")
        page.table(
            [{"key": "paradigm", "text": True}, {"key": "grammatical", "text": True},
             {"key": "ungrammatical", "text": True}, {"key": "PLL good", "digits": 2},
             {"key": "PLL bad", "digits": 2}, {"key": "difference", "digits": 2}, "right"],
            [[p.get("uid"), p.get("sentence_good"), p.get("sentence_bad"), p.get("pll_good"),
              p.get("pll_bad"),
              (p["pll_good"] - p["pll_bad"]) if isinstance(p.get("pll_good"), (int, float))
              and isinstance(p.get("pll_bad"), (int, float)) else None,
              p.get("right")] for p in pairs],
        )  # fmt: skip
    return set()


def twonn_view(page: Page, run: Path, results: dict[str, Any]) -> set[str]:
    """TwoNN: intrinsic dimension at each layer."""
    layers = results.get("layers") or {}
    page.section(
        "Intrinsic dimension by layer",
        f"{results.get('n_texts')} texts, {results.get('pool')} pooling, {results.get('metric')} "
        "distance. Layer 0 is the embeddings.",
    )
    cols: list[str] = []
    for v in layers.values():
        cols += [k for k, x in v.items() if k not in cols and not isinstance(x, (dict, list))]
    page.headline(["layer", *cols], [(k, *[v.get(c) for c in cols]) for k, v in layers.items()])
    if layers:
        xs = [int(k) for k in layers]
        ys = [v.get("dimension") for v in layers.values()]
        page.chart(
            {"data": [{"type": "scatter", "mode": "lines+markers+text", "x": xs, "y": ys,
                       "text": [f"{y:.1f}" if isinstance(y, (int, float)) else "" for y in ys],
                       "textposition": "top center", "name": "TwoNN"}],
             "layout": {"height": 340, "margin": {"t": 20},
                        "xaxis": {"title": {"text": "layer (0: embeddings)"}, "dtick": 1},
                        "yaxis": {"title": {"text": "intrinsic dimension"}}}},
            name="twonn_by_layer",
        )  # fmt: skip
    return set()
