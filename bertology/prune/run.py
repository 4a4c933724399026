"""``bertology prune`` and ``bertology specialize``: the LAMP pipeline over a run directory.

``prune`` trains one mask per relation on the train split, stores the masks bit-packed under
``RUN/masks/<relation>.safetensors``, and reports on the *test* split the full model, the
subnetwork and random masks of equal per-matrix sparsity (3 seeds), plus sparsity and mask
overlap. ``specialize`` evaluates every relation under every relation's mask.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from rich.table import Table

from bertology.console import console
from bertology.data.facts import Fact, read_facts, split_by_subject
from bertology.distributed import init_distributed
from bertology.errors import InputError
from bertology.io import atomic_write_json
from bertology.models.load import load_mlm
from bertology.probe.scoring import CandidateSet
from bertology.prune.analysis import (
    evaluate_mask,
    jaccard_overlap,
    relation_metrics,
    sparsity_stats,
    specialization_matrix,
    subnetwork_vs_controls,
)
from bertology.prune.config import PruneImpl, PruneRunConfig, load_run_config
from bertology.prune.maskfiles import print_relation_matrix, relation_heatmap
from bertology.prune.readout import inspect_masks
from bertology.prune.storage import load_mask, save_mask
from bertology.prune.train import PruneOutcome, train_relation_masks
from bertology.report.figures import grouped_bar_chart, heatmap, line_plot, scatter_panels
from bertology.report.html import write_report
from bertology.rundir import RunDir


def mask_filename(relation: str) -> str:
    """A file name for a relation (path separators and odd characters replaced)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", relation) + ".safetensors"


def _by_relation(facts: list[Fact]) -> dict[str, list[Fact]]:
    out: dict[str, list[Fact]] = {}
    for f in facts:
        out.setdefault(f.relation, []).append(f)
    return out


def _macro(rows: list[dict[str, Any]]) -> dict[str, float]:
    out = {}
    for k in ("p@1", "p@10", "mrr"):
        vals = [r[k] for r in rows if r.get("n") and r[k] == r[k]]
        out[k] = sum(vals) / len(vals) if vals else float("nan")
    return out


def prune(
    config: PruneRunConfig, out: str | Path, model: Any = None, tokenizer: Any = None
) -> dict[str, Any] | None:
    """Train relation masks, store them and write the run directory; return results.

    Under ``torchrun`` every rank trains its share of the relations; rank 0 gathers the
    masks, runs the analyses and writes everything (other ranks return ``None``).
    """
    factset = read_facts(config.facts, config.relations_file).select(config.relations)
    # the ranking vocabulary, resolved once for training and analysis (a candidates file is
    # read here, so a missing or empty one stops the run before the model loads)
    candidates = CandidateSet.resolve(config.train.candidates, factset.facts)
    ctx = init_distributed(config.impl.device)
    if model is None:
        model, tokenizer = load_mlm(
            config.model, ctx.device, config.impl.dtype, attn=config.impl.attn
        )
    run = None
    if ctx.is_main:
        run = RunDir(out, "prune", config, device=str(next(model.parameters()).device))
    try:
        outcome = train_relation_masks(
            model,
            tokenizer,
            factset.facts,
            config.train,
            model_name=config.model,
            on_metrics=run.log_metrics if run is not None else None,
            impl=config.impl,
            candidates=candidates,
        )
    except BaseException:
        ctx.close(sync=False)
        raise
    ctx.close()
    if run is None:
        return None
    save_soft = config.save_soft if config.save_soft is not None else config.train.eval_soft
    masks_dir = run.subdir("masks")
    for rt in outcome.relations.values():
        if rt.mask is not None:
            save_mask(
                rt.mask,
                masks_dir / mask_filename(rt.relation),
                soft=save_soft and rt.mask.soft is not None,
            )
    results = analyse_outcome(model, tokenizer, outcome, config, candidates)
    run.write_results(results)
    _figures(run, results, outcome)
    run.finish("bertology prune")
    _print_table(results)
    console.print(f"masks and results -> {run.path}")
    return run.read_results()


def analyse_outcome(
    model: Any,
    tokenizer: Any,
    outcome: PruneOutcome,
    config: PruneRunConfig,
    candidates: CandidateSet | None = None,
) -> dict[str, Any]:
    """results.json: per relation full / subnetwork / random on the test split, and more."""
    cfg = config.train
    test = _by_relation(outcome.splits["test"])
    counts = {
        s: {r: len(v) for r, v in _by_relation(outcome.splits[s]).items()}
        for s in ("train", "dev", "test")
    }
    every_test = [f for fs in test.values() for f in fs]
    # "relation" candidates: each relation's objects over all splits, as probing takes them
    # "relation" candidates: each relation's objects over all splits, as probing takes them
    every = [f for s in ("train", "dev", "test") for f in outcome.splits[s]]
    cand = {"candidates": candidates or CandidateSet.resolve(cfg.candidates, every)}
    full_ev = (
        evaluate_mask(
            model, tokenizer, every_test, None, batch_size=config.impl.eval_batch_size, **cand
        )
        if every_test
        else None
    )
    per: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    summary: dict[str, Any] = {}
    for r, rt in outcome.relations.items():
        split = {s: counts[s].get(r, 0) for s in ("train", "dev", "test")}
        if rt.mask is None:
            skipped[r] = rt.skipped or "skipped"
            per[r] = {"skipped": rt.skipped, "split": split}
            continue
        facts = test.get(r, [])
        if facts:
            full = relation_metrics(full_ev, r)
            entry = subnetwork_vs_controls(
                model,
                tokenizer,
                facts,
                rt.mask,
                cfg.eval_soft,
                config.random_seeds,
                config.impl.eval_batch_size,
                full,
                **cand,
            )
        else:
            nan = {"p@1": math.nan, "p@10": math.nan, "mrr": math.nan, "n": 0}
            entry = {"full": nan, "subnetwork": nan, "random": nan}
        stats = sparsity_stats(rt.mask)
        entry.update(
            sparsity=stats["overall"],
            sparsity_by_layer=stats["per_layer"],
            sparsity_by_kind=stats["per_kind"],
            split=split,
            n_train_scorable=rt.n_train,
            best_epoch=rt.best_epoch,
            best_dev_p1=rt.best_dev_p1,
            epochs_run=len(rt.history),
            steps=rt.steps,
            train_seconds=rt.seconds,
            history=rt.history,
        )
        per[r] = entry
        summary[r] = {
            "n_test": entry["full"]["n"],
            "full p@1": entry["full"]["p@1"],
            "subnetwork p@1": entry["subnetwork"]["p@1"],
            "random p@1": entry["random"]["p@1"],
            "sparsity": entry["sparsity"],
        }
        if "subnetwork_hard" in entry:
            summary[r]["soft p@1"] = entry["subnetwork_soft"]["p@1"]
            summary[r]["hard p@1"] = entry["subnetwork_hard"]["p@1"]
    trained = [rt.mask for rt in outcome.relations.values() if rt.mask is not None]
    rows = [per[m.relation] for m in trained]
    results: dict[str, Any] = {
        "model": config.model,
        "facts": config.facts,
        "mode": cfg.mode,
        "eval": "soft" if cfg.eval_soft else "hard",
        "candidates": cfg.candidates,
        "layers": list(outcome.layers),
        "n_target_matrices": len(outcome.targets),
        "n_target_weights": sum(t.shape[0] * t.shape[1] for t in outcome.targets),
        "summary": summary,
        "macro": {k: _macro([row[k] for row in rows]) for k in ("full", "subnetwork", "random")}
        if rows
        else {},
        "relations": per,
        "skipped_relations": skipped,
    }
    if len(trained) >= 2:
        results["overlap"] = jaccard_overlap(trained)
    steps = sum(rt.steps for rt in outcome.relations.values())
    secs = sum(rt.seconds for rt in outcome.relations.values())
    results["throughput"] = {
        "train_steps": steps,
        "train_seconds": secs,
        "steps_per_s": steps / secs if secs > 0 else None,
        "examples_per_s": steps * cfg.batch_size / secs if secs > 0 else None,
    }
    return results


def _figures(run: Any, results: dict[str, Any], outcome: PruneOutcome) -> None:
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


def _print_table(results: dict[str, Any]) -> None:
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


def load_run_masks(run: str | Path, model: Any) -> dict[str, Any]:
    """All masks of a run directory, checked against ``model``."""
    d = Path(run) / "masks"
    files = sorted(d.glob("*.safetensors")) if d.exists() else []
    if not files:
        raise InputError("no masks in run directory (expected masks/*.safetensors)", d)
    masks = [load_mask(p, model) for p in files]
    return {m.relation: m for m in masks}


def _load_prune_run(
    run: Path, model: Any, tokenizer: Any, impl: PruneImpl | None = None
) -> tuple[Any, Any, dict[str, Any], dict[str, list[Fact]], bool, dict[str, Any]]:
    """A prune run's model (loaded unless given), masks (checked against it), test facts
    by relation (the run's split), whether evaluation is soft, and how facts are scored
    (``batch_size`` and the resolved ``candidates``: keyword arguments of
    :func:`bertology.prune.analysis.evaluate_mask`). ``impl`` replaces the run's own."""
    cfg = load_run_config(run)
    imp = impl or cfg.impl
    if model is None:
        model, tokenizer = load_mlm(cfg.model, imp.device, imp.dtype, attn=imp.attn)
    masks = load_run_masks(run, model)
    factset = read_facts(cfg.facts, cfg.relations_file).select(cfg.relations)
    tr = cfg.train
    test = split_by_subject(factset.facts, tr.split_ratios, tr.split_seed)["test"]
    scoring = {
        "batch_size": imp.eval_batch_size,
        "candidates": CandidateSet.resolve(tr.candidates, factset.facts),
    }
    return model, tokenizer, masks, _by_relation(test), tr.eval_soft, scoring


def specialize(
    run: str | Path, model: Any = None, tokenizer: Any = None, impl: PruneImpl | None = None
) -> dict[str, Any]:
    """R × R P@1 of relation i under relation j's mask, on the test split of ``run``.

    Writes ``RUN/specialization.json`` and ``figures/specialization.png`` and refreshes the
    report. The model, facts and split are those of the prune run (``config.yaml``).
    """
    run = Path(run)
    model, tokenizer, masks, test, soft, scoring = _load_prune_run(run, model, tokenizer, impl)
    spec = specialization_matrix(model, tokenizer, test, masks, soft, **scoring)
    spec["candidates"] = scoring["candidates"].spec
    spec["eval"] = "soft" if soft else "hard"
    atomic_write_json(run / "specialization.json", spec)
    (run / "figures").mkdir(exist_ok=True)
    relation_heatmap(
        spec["p@1"],
        spec["relations"],
        run / "figures" / "specialization.png",
        f"P@1 of relation (row) under relation's mask (column); mean off-diagonal drop "
        f"{spec['mean_offdiagonal_drop']:.3f}",
        "mask of relation",
        "relation evaluated",
    )
    write_report(run, title="bertology prune")
    _print_matrix(spec)
    return spec


def inspect_run(
    run: str | Path, model: Any = None, tokenizer: Any = None, impl: PruneImpl | None = None
) -> dict[str, Any]:
    """[MASK] attention and [MASK] representations, full model vs subnetworks, on ``run``.

    Writes ``RUN/inspection.json``, ``figures/mask_attention.png`` and ``figures/tsne.png``
    and refreshes the report (see :mod:`bertology.prune.readout`).
    """
    run = Path(run)
    model, tokenizer, masks, test, soft, scoring = _load_prune_run(run, model, tokenizer, impl)
    results, arrays = inspect_masks(model, tokenizer, test, masks, soft, scoring["batch_size"])
    atomic_write_json(run / "inspection.json", results)
    (run / "figures").mkdir(exist_ok=True)
    every = results["mask_attention"]["all"]
    layers = list(range(results["layers"]))
    line_plot(
        {
            f"{g}, {side}": (layers, every[side][g])
            for g in ("subject", "template")
            for side in ("full", "subnetwork")
        },
        run / "figures" / "mask_attention.png",
        "[MASK]'s attention share by layer (mean over heads and test facts)",
        "layer",
        "share of attention",
    )
    rep = results["representations"]
    scatter_panels(
        {
            f"full model (silhouette {rep['silhouette_full']:.2f})": arrays["tsne_full"],
            f"own subnetwork (silhouette {rep['silhouette_subnetwork']:.2f})": arrays[
                "tsne_subnetwork"
            ],
        },
        arrays["labels"],
        run / "figures" / "tsne.png",
        "t-SNE of [MASK]'s final hidden state, coloured by relation",
    )
    write_report(run, title="bertology prune")
    _print_inspection(results)
    return results


def _print_matrix(spec: dict[str, Any]) -> None:
    print_relation_matrix(
        "specialization: P@1 (row = relation evaluated, column = mask used)",
        "relation \\ mask",
        spec["relations"],
        spec["p@1"],
    )
    console.print(f"mean off-diagonal drop: {spec['mean_offdiagonal_drop']:.3f}")


def _print_inspection(results: dict[str, Any]) -> None:
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
