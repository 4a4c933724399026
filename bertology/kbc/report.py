"""What a kbc run shows: a console table (micro and macro Hits@k and MRR per variant, with
95% intervals, and the classification accuracy) and a bar chart of Hits@1 and MRR per variant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from bertology.console import table as show_table
from bertology.prune.intervals import fmt_ci
from bertology.report.figures_bars import grouped_bar_chart


def primary(results: dict[str, Any]) -> str:
    """The ranking setting a run leads with: ``filtered`` when it was asked for, else ``raw``."""
    return "filtered" if results.get("filtered") else "raw"


def draw_figure(results: dict[str, Any], figures: Path) -> Path:
    """Hits@1 and MRR (micro, the primary setting) of every variant, side by side, each bar
    labelled with its value and 95% interval, n under the variant."""
    setting = primary(results)
    ranking = results["ranking"]
    micro = {v: ranking[v][setting]["micro"] for v in results["variants"]}
    metrics = {"Hits@1": "hits@1", "MRR": "mrr"}
    return grouped_bar_chart(
        {name: {v: m[key] for v, m in micro.items()} for name, key in metrics.items()},
        figures / "hits1_mrr_by_variant.png",
        f"Tail prediction ({setting}, micro): Hits@1 and MRR per model",
        "Hits@1 / MRR",
        intervals={
            name: {v: m.get(f"{key}_ci") for v, m in micro.items()} for name, key in metrics.items()
        },
        counts={v: m.get("n") for v, m in micro.items()},
    )


def print_summary(results: dict[str, Any]) -> None:
    """One row per variant and ranking setting (micro, then macro), and classification."""
    ks = results["k"]
    t = Table(
        title=f"bertology kbc: tail prediction on {results['split']} ({results['candidates']})"
    )
    for name in ("model", "ranks", "avg", "n", *(f"Hits@{k} [95% CI]" for k in ks), "MRR [95% CI]"):
        t.add_column(name, justify="left" if name in ("model", "ranks", "avg") else "right")
    settings = ["raw", "filtered"] if results.get("filtered") else ["raw"]
    for v in results["variants"]:
        for setting in settings:
            m = results["ranking"][v][setting]
            for avg in ("micro", "macro"):
                cell = m[avg]
                n = cell["n"] if avg == "micro" else f"{cell['n_relations']} rel"
                t.add_row(
                    v,
                    setting,
                    avg,
                    str(n),
                    *(fmt_ci(cell[f"hits@{k}"], cell.get(f"hits@{k}_ci")) for k in ks),
                    fmt_ci(cell["mrr"], cell.get("mrr_ci")),
                )
    show_table(t, min_width=120)
    cls = results.get("classification")
    if cls:
        c = Table(title="triple classification (threshold per relation chosen on dev)")
        for name in ("model", "n", "micro accuracy [95% CI]", "macro accuracy [95% CI]"):
            c.add_column(name, justify="left" if name == "model" else "right")
        for v, m in cls["variants"].items():
            c.add_row(
                v,
                str(m["micro"]["n"]),
                fmt_ci(m["micro"]["accuracy"], m["micro"]["accuracy_ci"]),
                fmt_ci(m["macro"]["accuracy"], m["macro"]["accuracy_ci"]),
            )
        show_table(c, min_width=100)
