"""The demo's ``index.html``: both papers' stories on one page.

World → pre-training dynamics (breaks) → UAS → probe → prune and specialization →
downstream. Each stage shows its headline, its key figure (interactive) and a link to its full
report; the findings the run tested come first, each saying whether it held.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bertology.report.page import Page, esc
from bertology.report.views.common import read_json, read_jsonl
from bertology.report.views.probe import baselines, metric_bars
from bertology.report.views.prune import matrix_chart
from bertology.report.views.syntax import head_grid_chart
from bertology.report.views.training import dynamics_chart

# claim id -> stage it belongs to
CLAIM_STAGE = {
    "structure_before_capability": "dynamics",
    "twonn_drop_before_structure": "dynamics",
    "structure_above_positional": "uas",
    "subnetwork_beats_random": "prune",
    "mismatched_masks_lose": "prune",
}


def _stage(page: Page, n: int, title: str, headline: str | None, links: list[str],
           out: Path) -> None:  # fmt: skip
    found = [f"<a href='{esc(name)}/report.html'>{esc(name)} report</a>" for name in links
             if (out / name / "report.html").exists()]  # fmt: skip
    page.raw(
        f"<div class='bt-stage'><h3><span class='bt-step'>{n}.</span>{esc(title)}</h3>"
        + (f"<p class='bt-headline'>{esc(headline)}</p>" if headline else "")
        + (f"<p class='bt-note'>{' · '.join(found)}</p>" if found else "")
        + "</div>"
    )


def _claims_of(summary: dict[str, Any], stage: str) -> list[dict[str, Any]]:
    return [c for c in summary.get("claims") or [] if CLAIM_STAGE.get(c.get("id")) == stage]


def render_index(out: str | Path, summary: dict[str, Any]) -> str:
    """The HTML of the demo's ``index.html`` from its ``summary.json`` and stage runs."""
    out = Path(out)
    heads = summary.get("headlines") or {}
    page = Page(
        "bertology demo",
        subtitle="A tiny BERT trained from scratch on the embedded synthetic world: where its "
        "syntax and its facts live, and when they appeared."
        + (f" Ran in {summary['seconds']:.0f} s." if isinstance(summary.get("seconds"), (int, float)) else ""),
    )  # fmt: skip
    page.section(
        "Findings",
        "The papers' claims this single run can test, each judged on its 95% interval by the "
        "code that measured it (claims comparing regularizer variants need "
        "`bertology experiment sas`).",
    )
    page.claims(summary.get("claims") or [])

    page.section("1. World", "The synthetic language every stage uses: corpus, gold trees, facts.")
    _stage(page, 1, "world", heads.get("world"), [], out)

    page.section("2. Pre-training dynamics")
    _stage(page, 2, "pre-training and its phase transitions",
           "; ".join(h for h in (heads.get("pretrain"), heads.get("dynamics")) if h),
           ["pretrain", "dynamics"], out)  # fmt: skip
    spec = dynamics_chart(read_json(out / "dynamics" / "dynamics.json") or {})
    if spec:
        page.chart(spec, name="dynamics")
    page.claims(_claims_of(summary, "dynamics"))

    page.section("3. Syntactic attention (UAS)")
    _stage(page, 3, "which heads follow dependency arcs", heads.get("uas"), ["uas"], out)
    uas = read_json(out / "uas" / "results.json") or {}
    grid = ((uas.get("uas") or {}).get("clean") or {}).get("dep_to_head")
    if grid:
        base = ((uas.get("best_baseline") or {}).get("clean") or {}).get("uas")
        page.chart(head_grid_chart(grid, "UAS of every head (clean, dep→head); blue beats "
                                   "the best offset baseline", base), name="uas_heads")  # fmt: skip
    page.claims(_claims_of(summary, "uas"))

    page.section("4. Relational knowledge (probe)")
    _stage(page, 4, "cloze probing through the held-out template", heads.get("probe"),
           ["probe"], out)  # fmt: skip
    probe = read_json(out / "probe" / "results.json") or {}
    rels = probe.get("relations") or {}
    if rels:
        base = baselines(read_jsonl(out / "probe" / "predictions.jsonl"))
        names = list(rels)
        page.chart(metric_bars(
            names, [("P@1", [rels[n].get("p@1") for n in names],
                     [rels[n].get("p@1_ci") for n in names], None)],
            [rels[n].get("n") for n in names], "P@1",
            [("majority object", [base.get(n, {}).get("majority") for n in names], "#cf222e"),
             ("chance (1 / objects)", [base.get(n, {}).get("chance") for n in names], "#555")],
        ), name="probe")  # fmt: skip

    page.section("5. Relation subnetworks (LAMP)")
    _stage(page, 5, "pruning, specialization and the [MASK] readout", heads.get("prune"),
           ["prune"], out)  # fmt: skip
    prune = read_json(out / "prune" / "results.json") or {}
    ps = prune.get("summary") or {}
    if ps:
        names = list(ps)
        page.chart(metric_bars(
            names,
            [(label, [ps[n].get(f"{key} p@1") for n in names],
              [ps[n].get(f"{key} p@1_ci") for n in names], colour)
             for key, label, colour in (("full", "full model", "#1f77b4"),
                                        ("subnetwork", "relation subnetwork", "#ff7f0e"),
                                        ("random", "random mask, same sparsity", "#999"))],
            [ps[n].get("n_test") for n in names], "test P@1"), name="prune")  # fmt: skip
    spec_m = read_json(out / "prune" / "specialization.json") or {}
    if spec_m.get("relations"):
        r = spec_m["relations"]
        page.chart(matrix_chart(r, [f"mask: {x}" for x in r], spec_m.get("p@1") or [],
                                "specialization: test P@1, relation × mask", "P@1"),
                   name="specialization")  # fmt: skip
    page.claims(_claims_of(summary, "prune"))

    page.section(
        "6. Downstream",
        "Not run by the demo (each needs its own data): `bertology kbc` completes a knowledge "
        "base with the relation subnetworks, `bertology choice` answers multiple-choice "
        "questions with them, and `bertology finetune` fine-tunes through a fixed mask.",
    )
    return page.render()
