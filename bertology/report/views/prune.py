"""View of ``prune`` (and its follow-ups ``specialize`` and ``inspect``, which write into the
same run): full / subnetwork / random P@1 per relation, the specialization matrix, the
representations, sparsity by layer, and [MASK] attention of the full model vs the subnetwork."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bertology.report.page import Est, Page
from bertology.report.views.common import est, is_num, layer_span, ptext, read_json
from bertology.report.views.probe import metric_bars
from bertology.report.views.syntax import attention_section


def matrix_chart(
    rows: list[str], cols: list[str], z: list[list[Any]], title: str, zlabel: str
) -> dict[str, Any]:
    """A labelled heatmap with each value printed and the colour scale fitted to the data."""
    flat = [v for r in z for v in r if is_num(v)]
    lo, hi = (min(flat), max(flat)) if flat else (0.0, 1.0)
    rows, cols = [ptext(r) for r in rows], [ptext(c) for c in cols]
    return {
        "data": [{
            "type": "heatmap", "z": z, "x": cols, "y": rows, "zmin": lo, "zmax": hi,
            "colorscale": "Viridis", "colorbar": {"title": {"text": zlabel}},
            "text": [[f"{v:.3f}" if is_num(v) else "" for v in r] for r in z],
            "texttemplate": "%{text}",
            "hovertemplate": "%{y} → %{x}: %{z:.3f}<extra></extra>",
        }],
        "layout": {
            "title": {"text": title, "x": 0, "font": {"size": 13}},
            "height": 140 + 48 * len(rows), "margin": {"l": 120, "t": 40},
            "yaxis": {"autorange": "reversed"},
        },
    }  # fmt: skip


def prune_view(page: Page, run: Path, results: dict[str, Any]) -> set[str]:
    """LAMP: does each relation's subnetwork keep its facts, better than a random mask?"""
    summary = results.get("summary") or {}
    page.section(
        "Full / subnetwork / random P@1 per relation",
        f"Pruned {layer_span(results.get('layers'))} ({results.get('n_target_matrices')} "
        f"matrices, {results.get('n_target_weights', 0):,} weights), mode {results.get('mode')}, "
        f"{results.get('eval')} masks at evaluation. Test facts are held-out subjects. The "
        "random control keeps the same number of weights in each matrix.",
    )
    rows = []
    for rel, s in summary.items():
        rows.append((rel, s.get("n_test"), est(s, "full p@1"), est(s, "subnetwork p@1"),
                     est(s, "random p@1"), s.get("sparsity"), s.get("moved")))  # fmt: skip
    macro = results.get("macro") or {}
    if macro:
        rows.append(("macro", None, est(macro.get("full"), "p@1"),
                     est(macro.get("subnetwork"), "p@1"), est(macro.get("random"), "p@1"),
                     None, None))  # fmt: skip
    page.headline(
        ["relation", "test facts", "full P@1", "subnetwork P@1", "random-mask P@1",
         "sparsity", "moved"],
        rows,
        caption="95% intervals: bootstrap over test facts. moved: share of weights whose mask "
        "changed from its initialization.",
    )  # fmt: skip
    if macro:
        page.headline(
            ["macro, test P@1", "value"],
            [("subnetwork − full", Est(macro.get("gain"), macro.get("gain_ci"))),
             ("subnetwork − random", Est(macro.get("gain_over_random"),
                                         macro.get("gain_over_random_ci")))],
            caption="paired over facts",
        )  # fmt: skip
    names = list(summary)
    if names:
        page.chart(
            metric_bars(
                names,
                [(label, [summary[n].get(f"{key} p@1") for n in names],
                  [summary[n].get(f"{key} p@1_ci") for n in names], colour)
                 for key, label, colour in (("full", "full model", "#1f77b4"),
                                            ("subnetwork", "relation subnetwork", "#ff7f0e"),
                                            ("random", "random mask, same sparsity", "#999"))],
                [summary[n].get("n_test") for n in names],
                "test P@1",
            ),
            name="prune_p_at_1",
        )  # fmt: skip
    skipped = results.get("skipped_relations") or {}
    if skipped:
        page.section("Skipped relations")
        page.headline(["relation", "why"], list(skipped.items()))
    _specialization(page, run)
    _inspection(page, run)
    _sparsity(page, results)
    attention_section(page, run, "[MASK] attention: full model and subnetwork",
                      "The same prompt through the full model and through the relation's "
                      "subnetwork (LAMP Figures 1 and 3).")  # fmt: skip
    return set()


def _specialization(page: Page, run: Path) -> None:
    spec = read_json(run / "specialization.json")
    if not isinstance(spec, dict) or not spec.get("relations"):
        return
    rels = spec["relations"]
    page.section(
        "Specialization",
        "Test P@1 of each relation (row) under each relation's mask (column). The diagonal is "
        "the relation's own subnetwork; the drop is own mask minus the mean of the others.",
    )
    page.chart(matrix_chart(rels, [f"mask: {r}" for r in rels], spec.get("p@1") or [],
                            "test P@1, relation × mask", "P@1"), name="specialization")  # fmt: skip
    drops = spec.get("drop") or []
    cis = spec.get("drop_ci") or [None] * len(drops)
    ns = spec.get("n") or [None] * len(drops)
    rows = [(r, n, Est(d, ci)) for r, n, d, ci in zip(rels, ns, drops, cis, strict=False)]
    rows.append(("mean", None, Est(spec.get("mean_offdiagonal_drop"),
                                   spec.get("mean_offdiagonal_drop_ci"))))  # fmt: skip
    page.headline(["relation", "test facts", "drop under other masks"], rows)


def _inspection(page: Page, run: Path) -> None:
    ins = read_json(run / "inspection.json")
    rep = (ins or {}).get("representations") if isinstance(ins, dict) else None
    if not isinstance(rep, dict):
        return
    page.section(
        "Representations",
        f"Silhouette of the {rep.get('state')} states grouped by relation ({rep.get('n')} "
        "facts): higher means the relations are better separated.",
    )
    rows = []
    for variant in ("full", "subnetwork"):
        meaningful = rep.get(f"silhouette_{variant}_meaningful", True)
        value = rep.get(f"silhouette_{variant}")
        rows.append((variant, value if meaningful else "not meaningful (collapsed)",
                     ", ".join(rep.get(f"collapsed_{variant}") or []) or "none"))  # fmt: skip
    page.headline(["model", "silhouette", "collapsed relations"], rows)
    groups = ins.get("groups") or []
    att = (ins.get("mask_attention") or {}).get("all") or {}
    if att and groups:
        page.subsection("Where [MASK] attends, by layer")
        layers = ins.get("layers") or 0
        tab = []
        for variant, g in att.items():
            for grp in groups:
                vals = g.get(grp) or []
                tab.append((f"{variant}: {grp}", *[vals[i] if i < len(vals) else None
                                                    for i in range(layers)]))  # fmt: skip
        page.headline(["model: token group", *[f"layer {i}" for i in range(layers)]], tab,
                      caption="share of [MASK]'s attention, mean over heads and facts")  # fmt: skip


def _sparsity(page: Page, results: dict[str, Any]) -> None:
    rels = {r: m for r, m in (results.get("relations") or {}).items() if isinstance(m, dict)}
    layers: list[str] = []
    for m in rels.values():
        layers += [k for k in (m.get("sparsity_by_layer") or {}) if k not in layers]
    if not layers:
        return
    page.section("Sparsity by layer", "Share of the pruned matrices' weights masked out.")
    page.headline(
        ["relation", *[f"layer {k}" for k in layers], "overall"],
        [(r, *[(m.get("sparsity_by_layer") or {}).get(k) for k in layers], m.get("sparsity"))
         for r, m in rels.items()],
    )  # fmt: skip
