"""What a prune run shows: its figures (P@1 full vs subnetwork vs random, sparsity by layer,
mask overlap) and its console tables (the summary, the specialization matrix, the [MASK]
readout)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from bertology.console import console
from bertology.prune.maskfiles import print_relation_matrix, relation_heatmap
from bertology.prune.outcome import PruneOutcome
from bertology.report.figures import grouped_bar_chart, heatmap


def draw_figures(run: Any, results: dict[str, Any], outcome: PruneOutcome) -> None:
    summary = results["summary"]
    if not summary:
        return
    rels = list(summary)
    grouped_bar_chart(
        {
            "full": {r: summary[r]["full p@1"] for r in rels},
            "subnetwork": {r: summary[r]["subnetwork p@1"] for r in rels},
            "random (same sparsity)": {r: summary[r]["random p@1"] for r in rels},
        },
        run.figures / "p_at_1_full_subnetwork_random.png",
        "Test P@1: full model vs subnetwork vs random mask",
        "P@1",
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
        vmin=0,
        vmax=1,
    )
    if "overlap" in results:
        ov = results["overlap"]
        relation_heatmap(
            ov["overall"],
            ov["relations"],
            run.figures / "mask_overlap.png",
            "Jaccard overlap of kept weights",
        )


def print_summary(results: dict[str, Any]) -> None:
    table = Table(title=f"bertology prune ({results['mode']}, {results['eval']} eval, test split)")
    for col in ("relation", "n", "full P@1", "subnet P@1", "random P@1", "sparsity"):
        table.add_column(col)
    for r, row in results["summary"].items():
        table.add_row(
            r,
            str(row["n_test"]),
            f"{row['full p@1']:.3f}",
            f"{row['subnetwork p@1']:.3f}",
            f"{row['random p@1']:.3f}",
            f"{row['sparsity']:.3f}",
        )
    console.print(table)
    for r, why in results["skipped_relations"].items():
        console.print(f"[yellow]skipped relation {r}: {why}[/yellow]")


def print_matrix(spec: dict[str, Any]) -> None:
    print_relation_matrix(
        "specialization: P@1 (row = relation evaluated, column = mask used)",
        "relation \\ mask",
        spec["relations"],
        spec["p@1"],
    )
    console.print(f"mean off-diagonal drop: {spec['mean_offdiagonal_drop']:.3f}")


def print_inspection(results: dict[str, Any]) -> None:
    every = results["mask_attention"]["all"]
    for side in ("full", "subnetwork"):
        subj = every[side]["subject"]
        console.print(
            f"[MASK] -> subject share by layer, {side}: " + " ".join(f"{x:.3f}" for x in subj)
        )
    rep = results["representations"]
    console.print(
        f"silhouette of [MASK] states by relation: full {rep['silhouette_full']:.3f}, "
        f"own subnetwork {rep['silhouette_subnetwork']:.3f} (n={rep['n']})"
    )
