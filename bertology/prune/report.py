"""What a prune run shows: its figures (P@1 full vs subnetwork vs random, sparsity by layer,
mask overlap) and its console tables (the summary, the specialization matrix, the [MASK]
readout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from bertology.console import console
from bertology.console import table as show_table
from bertology.prune.intervals import fmt_ci
from bertology.prune.maskfiles import print_relation_matrix, relation_heatmap
from bertology.prune.outcome import PruneOutcome
from bertology.report.figures import heatmap, line_plot
from bertology.report.figures_bars import grouped_bar_chart

SUMMARY_ARMS = ("full", "subnetwork", "random")


def draw_figures(run: Any, results: dict[str, Any], outcome: PruneOutcome) -> None:
    """Test P@1 of full model and subnetwork per relation (95% intervals, n under the name,
    the random mask of the same sparsity as the dashed baseline), sparsity by layer and mask
    overlap."""
    summary = results["summary"]
    if not summary:
        return
    rels = list(summary)
    grouped_bar_chart(
        {arm: {r: summary[r][f"{arm} p@1"] for r in rels} for arm in ("full", "subnetwork")},
        run.figures / "p_at_1_full_subnetwork_random.png",
        "Test P@1: full model vs subnetwork (dashed: random mask of the same sparsity)",
        "test P@1",
        intervals={
            arm: {r: summary[r].get(f"{arm} p@1_ci") for r in rels}
            for arm in ("full", "subnetwork")
        },
        counts={r: summary[r].get("n_test") for r in rels},
        baseline={r: summary[r]["random p@1"] for r in rels},
        baseline_label="random mask (same sparsity)",
        baseline_intervals={r: summary[r].get("random p@1_ci") for r in rels},
    )
    layers = sorted({t.layer for t in outcome.targets})
    per = results["relations"]
    heatmap(
        [[per[r]["sparsity_by_layer"][str(layer)] for layer in layers] for r in rels],
        run.figures / "sparsity_by_layer.png",
        "Pruned fraction by layer",
        "layer",
        "relation",
        xticks=[str(layer) for layer in layers],
        yticks=rels,
        cbar_label="fraction of weights pruned",
        fmt="{:.3f}",
    )
    if "overlap" in results:
        ov = results["overlap"]
        relation_heatmap(
            ov["overall"],
            ov["relations"],
            run.figures / "mask_overlap.png",
            "Jaccard overlap of kept weights",
            cbar_label="Jaccard overlap",
        )


# the groups of tokens [MASK] attends to, each one colour; full model solid, subnetwork dashed
ATTENTION_GROUPS = ("subject", "template", "mask", "special")


def mask_attention_figure(inspection: dict[str, Any], path: Path) -> Path:
    """[MASK]'s attention share by layer to every token group the readout computed (subject,
    template, [MASK] itself, special tokens), full model solid and subnetwork dashed."""
    shares = inspection["mask_attention"]["all"]
    layers = list(range(inspection["layers"]))
    groups = [g for g in ATTENTION_GROUPS if g in shares["full"]]
    groups += [g for g in shares["full"] if isinstance(shares["full"][g], list) and g not in groups]
    series, styles = {}, {}
    for i, g in enumerate(groups):
        for side, dash in (("full", "-"), ("subnetwork", "--")):
            name = f"{g}, {side}"
            series[name] = (layers, shares[side][g])
            styles[name] = {"color": f"C{i % 10}", "linestyle": dash}
    return line_plot(
        series,
        path,
        f"[MASK]'s attention share by layer (mean over heads and {shares['full'].get('n', '?')} "
        "test facts)",
        "layer",
        "share of [MASK]'s attention",
        styles=styles,
    )


def print_summary(results: dict[str, Any]) -> None:
    """The prune run's table: test P@1 of full model, subnetwork and random masks, each with
    its 95% bootstrap interval over the n facts, sparsity, and how far the mask moved from its
    initialisation (the fraction of weights whose keep/prune decision changed)."""
    table = Table(title=f"bertology prune ({results['mode']}, {results['eval']} eval, test split)")
    for col in ("relation", "n", "full P@1", "subnet P@1", "random P@1", "sparsity", "moved"):
        table.add_column(col)
    for r, row in results["summary"].items():
        moved = row.get("moved")
        table.add_row(
            r,
            str(row["n_test"]),
            *(fmt_ci(row[f"{k} p@1"], row.get(f"{k} p@1_ci")) for k in SUMMARY_ARMS),
            f"{row['sparsity']:.3f}",
            "–" if moved is None else f"{moved:.3f}",
        )
    show_table(table, min_width=120)  # intervals stay on one line
    console.print("P@1 [95% bootstrap interval over test facts]; moved: fraction of weights")
    console.print("whose hard mask differs from the one at initialisation")
    for r, why in results["skipped_relations"].items():
        console.print(f"[yellow]skipped relation {r}: {why}[/yellow]")


def print_matrix(spec: dict[str, Any]) -> None:
    """The specialization matrix, then each relation's drop under the other relations' masks
    with its paired interval, and the mean off-diagonal drop with its interval."""
    print_relation_matrix(
        "specialization: P@1 (row = relation evaluated, column = mask used)",
        "relation \\ mask",
        spec["relations"],
        spec["p@1"],
    )
    if "drop" in spec:
        table = Table(title="own-mask P@1 minus mean P@1 under the other masks (paired)")
        for col in ("relation", "n", "own P@1", "drop"):
            table.add_column(col)
        for i, r in enumerate(spec["relations"]):
            table.add_row(
                r,
                str(spec["n"][i]),
                fmt_ci(spec["p@1"][i][i], spec["p@1_ci"][i][i]),
                fmt_ci(spec["drop"][i], spec["drop_ci"][i]),
            )
        show_table(table, min_width=90)
    drop = fmt_ci(spec["mean_offdiagonal_drop"], spec.get("mean_offdiagonal_drop_ci"))
    console.print(f"mean off-diagonal drop: {drop} (95% bootstrap interval over facts)")


def print_inspection(results: dict[str, Any]) -> None:
    """[MASK]'s attention to the subject by layer, the silhouette of the representations, and
    a warning for every relation whose states collapsed (the silhouette then means little)."""
    every = results["mask_attention"]["all"]
    for side in ("full", "subnetwork"):
        subj = every[side]["subject"]
        console.print(
            f"[MASK] -> subject share by layer, {side}: " + " ".join(f"{x:.3f}" for x in subj)
        )
    rep = results["representations"]
    name = "[CLS]" if rep.get("state") == "cls" else "[MASK]"
    console.print(
        f"silhouette of {name} states by relation: full {rep['silhouette_full']:.3f}, "
        f"own subnetwork {rep['silhouette_subnetwork']:.3f} (n={rep['n']})"
    )
    per = (rep.get("collapse") or {}).get("relations", {})
    ratios = [f"{r} {c['spread_vs_full']:.2f}" for r, c in per.items() if "spread_vs_full" in c]
    if ratios:
        console.print(
            "spread of each relation's states, own subnetwork / full model (1 = unchanged, "
            "near 0 = the subject barely matters): " + ", ".join(ratios)
        )
    for side, label in (("full", "the full model"), ("subnetwork", "its own subnetwork")):
        for r in rep.get(f"collapsed_{side}") or []:
            c = per.get(r, {}).get(side, {})
            console.print(
                f"[yellow]warning: {name} states of relation {r} collapse under {label} "
                f"({c.get('distinct_states')} distinct states for {c.get('distinct_prompts')} "
                f"distinct prompts, spread {c.get('spread', float('nan')):.2g}): the "
                f"{side} silhouette is not a measure of relation structure[/yellow]"
            )
