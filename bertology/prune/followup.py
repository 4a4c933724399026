"""``bertology specialize`` and ``bertology inspect``: analyses of a finished prune run, read
back from its directory (``config.yaml`` through the typed loader, the masks checked against
the model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bertology.data.facts import Fact, read_facts, split_by_subject
from bertology.errors import InputError
from bertology.io import atomic_write_json, read_json, remove_stale_temporaries
from bertology.models.load import load_mlm
from bertology.probe.scoring import CandidateSet, prepare_facts
from bertology.prune.analysis import (
    specialization_matrix,
)
from bertology.prune.config import PruneImpl, load_run_config
from bertology.prune.inspect_attention import write_inspect_attention
from bertology.prune.intervals import fmt_ci
from bertology.prune.maskfiles import relation_heatmap
from bertology.prune.readout import inspect_masks
from bertology.prune.report import mask_attention_figure, print_inspection, print_matrix
from bertology.prune.run import by_relation, mask_filename
from bertology.prune.storage import load_mask
from bertology.report.figures import scatter_panels
from bertology.report.html import write_report


def load_run_masks(run: str | Path, model: Any) -> dict[str, Any]:
    """The mask of every relation the run's ``results.json`` reports, checked against
    ``model``. A missing mask file is an error naming it: an R × R matrix without one of
    its relations would be a silently different result."""
    run = Path(run)
    if not (run / "results.json").exists():
        raise InputError("the prune run has no results.json (it did not finish)", run)
    results = read_json(run / "results.json")
    relations = results.get("relations") if isinstance(results, dict) else None
    if not isinstance(relations, dict) or not relations:
        raise InputError("no 'relations' with masks in results.json", run / "results.json")
    masks = {}
    skipped = results.get("skipped_relations") or {}
    for relation in relations:
        if relation in skipped:  # no mask was trained for it
            continue
        path = run / "masks" / mask_filename(relation)
        if not path.is_file():
            raise InputError(f"the mask of relation {relation!r} is missing", path)
        masks[relation] = load_mask(path, model)
    return masks


def _load_prune_run(
    run: Path, model: Any, tokenizer: Any, impl: PruneImpl | None = None
) -> tuple[Any, Any, dict[str, Any], dict[str, list[Fact]], bool, dict[str, Any]]:
    """A prune run's model (loaded unless given), masks (checked against it), test facts
    by relation (the run's split), whether evaluation is soft, and how facts are scored
    (``batch_size`` and the resolved ``candidates``: keyword arguments of
    :func:`bertology.prune.analysis.evaluate_mask`). ``impl`` replaces the run's own."""
    cfg = load_run_config(run)
    remove_stale_temporaries(Path(run))  # of an interrupted write into this run
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
    return model, tokenizer, masks, by_relation(test), tr.eval_soft, scoring


def specialize(
    run: str | Path, model: Any = None, tokenizer: Any = None, impl: PruneImpl | None = None
) -> dict[str, Any]:
    """R × R P@1 of relation i under relation j's mask, on the test split of ``run``, each
    with its 95% bootstrap interval, and each relation's drop under the other masks with its
    paired interval (see :func:`bertology.prune.analysis.specialization_matrix`).

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
        f"{fmt_ci(spec['mean_offdiagonal_drop'], spec['mean_offdiagonal_drop_ci'])}",
        "mask of relation",
        "relation evaluated",
        cbar_label="test P@1",
    )
    write_report(run, title="bertology prune")
    print_matrix(spec)
    return spec


def inspect_run(
    run: str | Path,
    model: Any = None,
    tokenizer: Any = None,
    impl: PruneImpl | None = None,
    state: str = "mask",
    attention: int = 5,
) -> dict[str, Any]:
    """[MASK] attention and final representations, full model vs subnetworks, on ``run``.

    ``state`` picks the representation: ``mask`` ([MASK]'s final hidden state) or ``cls``
    (the first token's, as in the LAMP paper's t-SNE). Writes ``RUN/inspection.json``,
    ``figures/mask_attention.png`` and ``figures/tsne.png`` and refreshes the report (see
    :mod:`bertology.prune.readout`). The attention of the first ``attention`` test facts of
    each relation, full model and subnetwork, goes to ``RUN/attention.json`` for the viewer.
    """
    run = Path(run)
    model, tokenizer, masks, test, soft, scoring = _load_prune_run(run, model, tokenizer, impl)
    # the facts the run's evaluation scores (single-token objects among the candidates), so
    # inspect counts what specialize and results.json count
    every = [f for r, fs in test.items() if r in masks for f in fs]
    prepared, skipped = prepare_facts(every, tokenizer, scoring["candidates"])
    scored = {id(p.fact) for p in prepared}
    test = {r: [f for f in fs if id(f) in scored] for r, fs in test.items()}
    results, arrays = inspect_masks(
        model, tokenizer, test, masks, soft, scoring["batch_size"], state
    )
    results["representations"]["skipped_facts"] = len(skipped)
    atomic_write_json(run / "inspection.json", results)
    if attention > 0:
        name = load_run_config(run).model
        write_inspect_attention(
            run / "attention.json", model, tokenizer, test, masks, attention, name, soft
        )
    (run / "figures").mkdir(exist_ok=True)
    mask_attention_figure(results, run / "figures" / "mask_attention.png")
    rep = results["representations"]
    scatter_panels(
        {
            f"full model ({_silhouette_label(rep, 'full')})": arrays["tsne_full"],
            f"own subnetwork ({_silhouette_label(rep, 'subnetwork')})": arrays["tsne_subnetwork"],
        },
        arrays["labels"],
        run / "figures" / "tsne.png",
        f"t-SNE of {'[MASK]' if state == 'mask' else '[CLS]'}'s final hidden state, "
        "coloured by relation",
    )
    write_report(run, title="bertology prune")
    print_inspection(results)
    return results


def _silhouette_label(rep: dict[str, Any], side: str) -> str:
    """``silhouette 0.42``, flagged when a relation's states collapsed (not meaningful)."""
    text = f"silhouette {rep[f'silhouette_{side}']:.2f}"
    collapsed = rep.get(f"collapsed_{side}") or []
    if collapsed:
        text += f"; not meaningful: {len(collapsed)} relation(s) collapsed"
    return text
