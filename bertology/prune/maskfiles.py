"""``bertology masks stats|overlap|combine|export``: operations on stored mask files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from bertology.console import console
from bertology.console import table as show_table
from bertology.data.facts import read_facts, split_by_subject
from bertology.errors import InputError
from bertology.io import atomic_write_json
from bertology.models.load import load_mlm
from bertology.probe.scoring import CandidateSet
from bertology.prune.analysis import (
    combine_masks,
    evaluate_mask,
    jaccard_overlap,
    relation_metrics,
    sparsity_stats,
)
from bertology.prune.config import load_run_config
from bertology.prune.export import export_pruned
from bertology.prune.masks import SubnetworkMask
from bertology.prune.storage import check_model, load_mask, read_metadata, save_mask
from bertology.report.figures import heatmap


def print_relation_matrix(
    title: str, corner: str, relations: Sequence[str], rows: Sequence[Sequence[float]]
) -> None:
    """Print a relation × relation matrix (overlap, specialization) as a table."""
    table = Table(title=title)
    table.add_column(corner)
    for r in relations:
        table.add_column(r)
    for r, row in zip(relations, rows, strict=True):
        table.add_row(r, *(f"{v:.3f}" for v in row))
    # wide enough never to truncate names or numbers, also when stderr is not a terminal
    name = max([len(corner), *(len(r) for r in relations)])
    need = name + 4 + sum(max(len(r), 5) + 3 for r in relations)
    show_table(table, need)


def relation_heatmap(
    matrix: Sequence[Sequence[float]],
    relations: Sequence[str],
    path: Path,
    title: str,
    xlabel: str = "relation",
    ylabel: str = "relation",
    cbar_label: str = "",
) -> Path:
    """A relation × relation matrix (overlap, specialization) as a PNG; the colour scale is
    the matrix's own range (a P@1 of at most 0.33 on a 0–1 scale shows no contrast)."""
    return heatmap(
        matrix, path, title, xlabel, ylabel, xticks=relations, yticks=relations,
        cbar_label=cbar_label,
    )  # fmt: skip


def mask_paths(paths: Sequence[Path]) -> list[Path]:
    """Mask files, with a prune run directory (or its ``masks/``) standing for all its masks."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            d = p / "masks" if (p / "masks").is_dir() else p
            found = sorted(d.glob("*.safetensors"))
            if not found:
                raise InputError(
                    "a directory with no masks: give mask files (.safetensors), or a prune run "
                    "directory (its masks/ are used)",
                    p,
                )
            out += found
        else:
            out.append(p)
    return out


def _load(paths: Sequence[Path], model: Any = None) -> list[SubnetworkMask]:
    return [load_mask(p, model) for p in paths]


def mask_stats(paths: Sequence[Path]) -> dict[str, Any]:
    """Sparsity of each mask overall, per layer and per kind; printed and returned."""
    paths = mask_paths(paths)
    out = {}
    for p, m in zip(paths, _load(paths), strict=True):
        s = sparsity_stats(m)
        out[str(p)] = {"relation": m.relation, "mode": m.mode, "layers": list(m.layers), **s}
        table = Table(
            title=f"{p.name}: relation {m.relation!r}, {m.mode}, sparsity {s['overall']:.3f}"
        )
        table.add_column("layer")
        kinds = sorted(s["per_kind"])
        for k in kinds:
            table.add_column(k)
        table.add_column("layer total")
        for layer, total in s["per_layer"].items():
            cells = []
            for k in kinds:
                names = [t.name for t in m.targets if str(t.layer) == layer and t.kind == k]
                cells.append(f"{s['per_matrix'][names[0]]:.3f}" if names else "–")
            table.add_row(layer, *cells, f"{total:.3f}")
        console.print(table)
    return out


def mask_overlap(paths: Sequence[Path], out: Path | None = None) -> dict[str, Any]:
    """Jaccard overlap of kept weights (overall and per layer); optional JSON + heatmap."""
    paths = mask_paths(paths)
    if len(paths) < 2:
        raise InputError("overlap needs at least two mask files")
    ov = jaccard_overlap(_load(paths))
    print_relation_matrix(
        "Jaccard overlap of kept weights (all layers)", "", ov["relations"], ov["overall"]
    )
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "overlap.json", ov)
        relation_heatmap(
            ov["overall"], ov["relations"], out / "overlap.png", "Jaccard overlap of kept weights"
        )
    return ov


def mask_combine(
    paths: Sequence[Path], how: str, out: Path, run: Path | None = None, impl: Any = None
) -> dict[str, Any]:
    """Combine masks and write the result; with ``run``, evaluate it on all their relations.

    The evaluation uses the run's model, facts and test split and compares, per relation, the
    full model, the relation's own mask and the combination. ``impl`` (a
    :class:`~bertology.prune.config.PruneImpl`) replaces the run's speed settings.
    """
    paths = mask_paths(paths)
    masks = _load(paths)
    combo = combine_masks(masks, how)
    save_mask(combo, out)
    info: dict[str, Any] = {
        "how": how,
        "relations": [m.relation for m in masks],
        "sparsity": combo.sparsity,
    }
    console.print(f"{how} of {len(masks)} masks: sparsity {combo.sparsity:.3f} -> {out}")
    if run is None:
        return info
    cfg = load_run_config(run)
    tr, imp = cfg.train, impl or cfg.impl
    model, tok = load_mlm(cfg.model, imp.device, imp.dtype, attn=imp.attn)
    for p, m in zip(paths, masks, strict=True):
        check_model(read_metadata(p), model, p, m.targets)
    # the run's own fact selection (its "relation" candidates come from these facts)
    factset = read_facts(cfg.facts, cfg.relations_file).select(cfg.relations)
    test = split_by_subject(factset.facts, tr.split_ratios, tr.split_seed)["test"]
    rels = {m.relation for m in masks}
    facts = [f for f in test if f.relation in rels]
    bs = imp.eval_batch_size
    cand = {"candidates": CandidateSet.resolve(tr.candidates, factset.facts)}
    full = evaluate_mask(model, tok, facts, None, batch_size=bs, **cand)
    comb = evaluate_mask(model, tok, facts, combo, batch_size=bs, **cand)
    table = Table(title=f"{how} of masks, test P@1")
    for col in ("relation", "n", "full", "own mask", how):
        table.add_column(col)
    per = {}
    for m in masks:
        own = evaluate_mask(
            model, tok, [f for f in facts if f.relation == m.relation], m, batch_size=bs, **cand
        )
        row = {
            "full": relation_metrics(full, m.relation),
            "own": relation_metrics(own, m.relation),
            "combined": relation_metrics(comb, m.relation),
        }
        per[m.relation] = row
        table.add_row(
            m.relation,
            str(row["full"]["n"]),
            f"{row['full']['p@1']:.3f}",
            f"{row['own']['p@1']:.3f}",
            f"{row['combined']['p@1']:.3f}",
        )
    console.print(table)
    info["relations_eval"] = per
    atomic_write_json(Path(run) / "combinations" / f"{out.stem}.json", info)
    return info


def mask_export(path: Path, model_name: str, out: Path, overwrite: bool = False) -> Path:
    """Export the subnetwork of one mask file as a Hugging Face model directory."""
    model, tok = load_mlm(model_name, "cpu")
    mask = load_mask(path, model)
    if out.exists() and not overwrite:
        raise InputError("output directory exists (use --overwrite)", out)
    export_pruned(model, tok, mask, out, overwrite=overwrite)
    console.print(f"exported {mask.relation!r} subnetwork (sparsity {mask.sparsity:.3f}) -> {out}")
    return out
