"""``bertology prune`` and ``bertology specialize``: the LAMP pipeline over a run directory.

``prune`` trains one mask per relation on the train split, stores the masks bit-packed under
``RUN/masks/<relation>.safetensors``, and reports on the *test* split the full model, the
subnetwork and random masks of equal per-matrix sparsity (3 seeds), each P@1 with its 95%
bootstrap interval over facts and ``n``, the paired differences subnetwork − full and
subnetwork − random, plus sparsity, how far each mask moved from its initialisation
(``moved``) and mask overlap. ``specialize`` evaluates every relation under every relation's
mask.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bertology.console import console
from bertology.data.facts import Fact, read_facts
from bertology.distributed import init_distributed
from bertology.errors import InputError, quote
from bertology.models.load import load_mlm
from bertology.probe.scoring import CandidateSet
from bertology.prune.analysis import (
    add_paired_differences,
    controls_with_hits,
    evaluate_mask,
    jaccard_overlap,
    relation_metrics,
    sparsity_stats,
)
from bertology.prune.config import PruneRunConfig
from bertology.prune.intervals import mean_over_relations_ci, relation_hits
from bertology.prune.outcome import PruneOutcome
from bertology.prune.report import draw_figures, print_summary
from bertology.prune.storage import save_mask
from bertology.prune.train import train_relation_masks
from bertology.rundir import RunDir, check_out


def mask_filename(relation: str) -> str:
    """A file name for a relation, one-to-one: letters, digits, ``.`` and ``-`` stay; every
    other byte of the UTF-8 name, ``_`` included, becomes ``_XX`` (hex), so ``Made Of`` and
    ``Made_Of`` get ``Made_20Of`` and ``Made_5FOf``, and ``/`` cannot leave ``masks/``. A
    leading ``.`` is escaped too (no hidden files). The relation itself is in the file's
    metadata, which is what loading reads."""
    out = []
    for i, ch in enumerate(relation):
        if (ch.isascii() and (ch.isalnum() or ch == "-")) or (ch == "." and i > 0):
            out.append(ch)
        else:
            out.append("".join(f"_{b:02X}" for b in ch.encode("utf-8")))
    return "".join(out) + ".safetensors"


def check_mask_filenames(relations: list[str]) -> None:
    """Refuse relations whose mask files would clash on a case-insensitive file system."""
    seen: dict[str, str] = {}
    for r in relations:
        key = mask_filename(r).lower()
        if key in seen and seen[key] != r:
            raise InputError(
                f"relations {seen[key]!r} and {r!r} differ only in letter case: their mask "
                "files would overwrite each other on a case-insensitive file system; rename one"
            )
        seen[key] = r


def by_relation(facts: list[Fact]) -> dict[str, list[Fact]]:
    """Facts grouped by relation, in order."""
    out: dict[str, list[Fact]] = {}
    for f in facts:
        out.setdefault(f.relation, []).append(f)
    return out


def _macro(rows: list[dict[str, Any]], hits: list[list[float]]) -> dict[str, Any]:
    """Mean over relations with facts; ``p@1_ci`` resamples facts within each relation."""
    out: dict[str, Any] = {}
    for k in ("p@1", "p@10", "mrr"):
        vals = [r[k] for r in rows if r.get("n") and r[k] == r[k]]
        out[k] = sum(vals) / len(vals) if vals else float("nan")
    out["p@1_ci"] = mean_over_relations_ci(hits)
    return out


def _macro_gains(arm_hits: dict[str, list[list[float]]]) -> dict[str, Any]:
    """``gain`` (subnetwork − full) and ``gain_over_random`` (subnetwork − random): mean over
    relations of the per-relation P@1 difference, each with ``_ci``, a paired bootstrap of the
    per-fact differences resampled within each relation."""
    out: dict[str, Any] = {}
    for key, other in (("gain", "full"), ("gain_over_random", "random")):
        diffs = [
            [x - y for x, y in zip(s, o, strict=True)]
            for s, o in zip(arm_hits["subnetwork"], arm_hits[other], strict=True)
            if s
        ]
        out[key] = sum(sum(d) / len(d) for d in diffs) / len(diffs) if diffs else math.nan
        out[f"{key}_ci"] = mean_over_relations_ci(diffs)
    return out


def prune(
    config: PruneRunConfig,
    out: str | Path,
    model: Any = None,
    tokenizer: Any = None,
    overwrite: bool = False,
) -> dict[str, Any] | None:
    """Train relation masks, store them and write the run directory; return results.

    Under ``torchrun`` every rank trains its share of the relations; rank 0 gathers the
    masks, runs the analyses and writes everything (other ranks return ``None``).
    """
    check_out(Path(out), overwrite, "prune")  # replaced only with overwrite
    factset = read_facts(config.facts, config.relations_file).select(config.relations)
    # the ranking vocabulary, resolved once for training and analysis (a candidates file is
    # read here, so a missing or empty one stops the run before the model loads)
    candidates = CandidateSet.resolve(config.train.candidates, factset.facts)
    check_mask_filenames(sorted({f.relation for f in factset.facts}))
    ctx = init_distributed(config.impl.device)
    if model is None:
        model, tokenizer = load_mlm(
            config.model, ctx.device, config.impl.dtype, attn=config.impl.attn
        )
    run = None
    if ctx.is_main:
        dev = str(next(model.parameters()).device)
        run = RunDir(out, "prune", config, device=dev, staged=True, overwrite=overwrite)
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
        if run is not None:
            run.abandon()
        raise
    ctx.close()
    if all(rt.mask is None for rt in outcome.relations.values()):  # every rank stops
        if run is not None:
            run.abandon()
        why = "; ".join(f"{r}: {rt.skipped}" for r, rt in outcome.relations.items())
        raise InputError(f"no relation could be pruned ({quote(why)})", config.facts)
    if run is None:
        return None
    try:
        _write_run(run, model, tokenizer, outcome, config, candidates)
    except BaseException:
        run.abandon()
        raise
    results = run.read_results()
    print_summary(results)
    console.print(f"masks and results -> {run.path}")
    return results


def _write_run(
    run: RunDir,
    model: Any,
    tokenizer: Any,
    outcome: PruneOutcome,
    config: PruneRunConfig,
    candidates: CandidateSet,
) -> None:
    """Masks, results, figures and the report of a finished training (rank 0)."""
    save_soft = config.save_soft if config.save_soft is not None else config.train.eval_soft
    masks_dir = run.subdir("masks")
    for rt in outcome.relations.values():
        if rt.mask is not None:
            save_mask(
                rt.mask,
                masks_dir / mask_filename(rt.relation),
                soft=save_soft and rt.mask.soft is not None,
            )
    run.write_results(analyse_outcome(model, tokenizer, outcome, config, candidates))
    draw_figures(run, run.read_results(), outcome)
    run.finish("bertology prune")


def analyse_outcome(
    model: Any,
    tokenizer: Any,
    outcome: PruneOutcome,
    config: PruneRunConfig,
    candidates: CandidateSet | None = None,
) -> dict[str, Any]:
    """results.json: per relation full / subnetwork / random on the test split, and more."""
    cfg = config.train
    test = by_relation(outcome.splits["test"])
    counts = {
        s: {r: len(v) for r, v in by_relation(outcome.splits[s]).items()}
        for s in ("train", "dev", "test")
    }
    every_test = [f for fs in test.values() for f in fs]
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
    arm_hits: dict[str, list[list[float]]] = {"full": [], "subnetwork": [], "random": []}
    for r, rt in outcome.relations.items():
        split = {s: counts[s].get(r, 0) for s in ("train", "dev", "test")}
        if rt.mask is None:
            skipped[r] = rt.skipped or "skipped"
            per[r] = {"skipped": rt.skipped, "split": split}
            continue
        facts = test.get(r, [])
        if facts:
            full = relation_metrics(full_ev, r)
            entry, hits = controls_with_hits(
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
            hits["full"] = relation_hits(full_ev, r)  # same facts, same order as ``facts``
            add_paired_differences(entry, hits)
            for arm, h in arm_hits.items():
                h.append(hits[arm])
        else:
            nan = {"p@1": math.nan, "p@10": math.nan, "mrr": math.nan, "n": 0, "p@1_ci": None}
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
            initial_sparsity=rt.initial_sparsity,
            moved=rt.moved,
            history=rt.history,
        )
        per[r] = entry
        summary[r] = {
            "n_test": entry["full"]["n"],
            "full p@1": entry["full"]["p@1"],
            "subnetwork p@1": entry["subnetwork"]["p@1"],
            "random p@1": entry["random"]["p@1"],
            "full p@1_ci": entry["full"]["p@1_ci"],
            "subnetwork p@1_ci": entry["subnetwork"]["p@1_ci"],
            "random p@1_ci": entry["random"]["p@1_ci"],
            "sparsity": entry["sparsity"],
            "moved": entry["moved"],
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
        "macro": {
            **{
                k: _macro([row[k] for row in rows], arm_hits[k])
                for k in ("full", "subnetwork", "random")
            },
            **_macro_gains(arm_hits),
        }
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
