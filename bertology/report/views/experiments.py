"""Views of ``experiment sas`` and ``experiment lamp``: the claims first, each saying whether
it held, then the paper's table and the figures that test them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bertology.report.page import Est, Page
from bertology.report.views.common import read_json
from bertology.report.views.prune import matrix_chart
from bertology.report.views.training import dynamics_chart


def markdown_rows(table: str) -> tuple[list[str], list[list[str]]]:
    """A pipe table (the experiment's ``table.md``) as a header and rows of cell strings."""
    lines = [ln.strip() for ln in table.splitlines() if ln.strip().startswith("|")]
    cells = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]
    cells = [r for r in cells if not all(set(c) <= set("-: ") for c in r)]
    return (cells[0], cells[1:]) if cells else ([], [])


def _claims_and_table(page: Page, results: dict[str, Any], intro: str) -> None:
    page.section("Claims", intro)
    page.claims(results.get("claims") or [])
    head, rows = markdown_rows(results.get("table") or "")
    if head:
        page.section("Table", "Mean ± sd over seeds, or the 95% interval with one seed.")
        page.headline(head, rows)


def experiment_sas_view(page: Page, run: Path, results: dict[str, Any]) -> set[str]:
    """SAS: the regularizer variants' phases and final numbers, and their curves together."""
    _claims_and_table(
        page,
        results,
        "Judged on the variants' breaks and final 95% intervals (bertology.experiments.claims).",
    )
    spec = dynamics_chart(read_json(run / "dynamics" / "dynamics.json") or {})
    if spec:
        page.section(
            "Training curves of every variant",
            "One step axis, one colour per variant. ▲ structure onset (on UAS), ■ capability "
            "onset (on loss), ◆ TwoNN drop. Click a variant in the legend to hide it.",
        )
        page.chart(spec, name="variants")
    return set()


def experiment_lamp_view(page: Page, run: Path, results: dict[str, Any]) -> set[str]:
    """LAMP: bottom pruned layer × initial sparsity, one heatmap per metric."""
    _claims_and_table(
        page,
        results,
        f"Relations {', '.join(results.get('relations') or [])}: macro test P@1 over them, "
        "judged on the 95% intervals.",
    )
    rows = [f"layers {lb}–{results.get('top_layer')}" for lb in results.get("bottom_layers") or []]
    cols = [f"initial sparsity {s:.2f}" for s in results.get("init_sparsities") or []]
    grids = results.get("grids") or {}
    if grids and rows and cols:
        page.section("Sweep", "Each cell is one prune + specialize run; hover for the value.")
        for metric, z in grids.items():
            page.chart(matrix_chart(rows, cols, z, metric, metric), name=f"sweep_{metric}")
    cells = results.get("cells") or {}
    if cells:
        page.section("Cells")
        keys = ["subnetwork", "full", "random", "drop", "gain"]
        page.headline(
            ["cell", "test facts", *keys],
            [(name, c.get("n_test"), *[Est(c.get(k), c.get(f"{k}_ci")) for k in keys])
             for name, c in cells.items()],
        )  # fmt: skip
    return set()
