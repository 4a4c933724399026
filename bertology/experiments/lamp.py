"""``bertology experiment lamp``: LAMP's layer × sparsity sweep as one command.

For every bottom layer ``lb`` and initial sparsity ``s`` it runs ``prune`` (layers lb..top,
the chosen relations) and ``specialize`` into ``OUT/cells/lb<lb>-s<s>``, reads each cell's test
P@1 of the subnetwork, the full model and the random mask, and the specialization drop, with
their 95% intervals; draws one heatmap per metric; and judges the paper's claims
(:mod:`bertology.experiments.lamp_claims`). The model is loaded once. A finished cell (its
``specialization.json`` exists) is not run again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bertology import config as cfgload
from bertology.console import say
from bertology.data.facts import (
    read_facts,
    relations_by_test_size,
    split_by_subject,
    split_sizes_by_relation,
)
from bertology.errors import InputError
from bertology.experiments.lamp_claims import lamp_claims
from bertology.experiments.lamp_config import LampExperimentConfig
from bertology.experiments.table import fmt_cell, markdown_table
from bertology.io import atomic_write_json, atomic_write_text, read_json
from bertology.models.load import load_mlm
from bertology.prune import run as prune_run
from bertology.prune.config import PruneRunConfig
from bertology.prune.followup import specialize
from bertology.prune.targets import layer_count
from bertology.report.figures import heatmap
from bertology.rundir import RunDir

# (cell key, heatmap title): the metrics of a cell, each with ``KEY_ci``
METRICS = (("subnetwork", "subnetwork test P@1"), ("full", "full-model test P@1"),
           ("random", "random-mask test P@1"), ("drop", "specialization drop (own - other mask)"),
           ("gain", "subnetwork - full P@1"))  # fmt: skip


def cell_name(lb: int, s: float) -> str:
    return f"lb{lb}-s{s:.2f}"


def _prune_config(
    cfg: LampExperimentConfig, relations: list[str] | None, lb: int, top: int, s: float
) -> PruneRunConfig:
    flags = {"model": cfg.model, "facts": cfg.facts, "relations_file": cfg.relations_file,
             "relations": relations, "impl.device": cfg.impl.device,
             "impl.progress": cfg.impl.progress}  # fmt: skip
    cell = [f"train.layers={lb}-{top}", f"train.init_sparsity={s}"]
    return cfgload.load(PruneRunConfig, None, [*cfg.set, *cell], flags)


def choose_relations(cfg: LampExperimentConfig) -> tuple[list[str], dict[str, int]]:
    """The configured relations, or the ``n_relations`` with the largest test sets under the
    prune split (ties by name), with every relation's test-set size."""
    base = _prune_config(cfg, None, 0, 0, 0.5)
    factset = read_facts(cfg.facts, cfg.relations_file)
    splits = split_by_subject(factset.facts, base.train.split_ratios, base.train.split_seed)
    sizes = {r: n["test"] for r, n in split_sizes_by_relation(splits).items()}
    if cfg.relations:
        factset.select(cfg.relations)  # an unknown name lists the known ones
        return list(cfg.relations), sizes
    return relations_by_test_size(splits)[: cfg.n_relations], sizes


def _cell(run: Path) -> dict[str, Any]:
    """One cell's macro numbers over its relations, with intervals and ``n`` where given."""
    res = read_json(run / "results.json")
    spec = read_json(run / "specialization.json")
    macro = res["macro"]
    out: dict[str, Any] = {"n_test": sum(r.get("n_test", 0) for r in res["summary"].values())}
    for key in ("subnetwork", "full", "random"):
        out[key] = macro[key]["p@1"]
        out[f"{key}_ci"] = macro[key].get("p@1_ci")
    out["gain"] = out["subnetwork"] - out["full"]
    out["gain_ci"] = macro.get("gain_ci")  # paired over facts, when the prune run gives it
    out["drop"] = spec["mean_offdiagonal_drop"]
    out["drop_ci"] = spec.get("mean_offdiagonal_drop_ci")
    sp = [r["sparsity"] for r in res["summary"].values() if r.get("sparsity") is not None]
    out["final_sparsity"] = sum(sp) / len(sp) if sp else None
    moved = [r.get("moved") for r in res["relations"].values() if r.get("moved") is not None]
    out["moved"] = sum(moved) / len(moved) if moved else None
    return out


def run_lamp(cfg: LampExperimentConfig, out: str | Path) -> dict[str, Any]:
    """Prune every (lb, s) cell, then tabulate, draw and judge."""
    out = Path(out)
    relations, sizes = choose_relations(cfg)
    say("[experiment] relations (largest test sets first): "
        + ", ".join(f"{r} ({sizes.get(r, 0)} test facts)" for r in relations))  # fmt: skip
    model, tokenizer = load_mlm(cfg.model, cfg.impl.device)
    top = layer_count(model) - 1
    lbs = cfg.bottom_layers if cfg.bottom_layers is not None else list(range(top + 1))
    if any(lb > top for lb in lbs):
        raise InputError(f"bottom_layers {lbs}: the model's layers are 0..{top}")
    cells: dict[str, dict[str, Any]] = {}
    for lb in lbs:
        for s in cfg.init_sparsities:
            run = out / "cells" / cell_name(lb, s)
            if not (run / "specialization.json").exists():
                say(f"[experiment] cell {run.name}: pruning layers {lb}-{top} from sparsity {s}")
                if not (run / "results.json").exists():
                    prune_run.prune(
                        _prune_config(cfg, relations, lb, top, s), run, model, tokenizer, True
                    )
                specialize(run, model, tokenizer)
            else:
                say(f"[experiment] cell {run.name}: finished, not run again")
            cells[run.name] = {"bottom_layer": lb, "init_sparsity": s, **_cell(run)}
    return _write(out, cfg, relations, sizes, lbs, top, cells)


def _grid(cells: dict[str, dict[str, Any]], lbs: list[int], ss: list[float], key: str):
    return [[cells[cell_name(lb, s)][key] for s in ss] for lb in lbs]


def lamp_table(cells: dict[str, dict[str, Any]]) -> str:
    """One line per cell: each metric with its interval."""
    rows = [
        [str(c["bottom_layer"]), f"{c['init_sparsity']:.2f}"]
        + [fmt_cell(c[k], None, c.get(f"{k}_ci")) for k, _ in METRICS]
        + [fmt_cell(c.get("final_sparsity")), fmt_cell(c.get("moved"))]
        for c in cells.values()
    ]
    header = ["lb", "init sparsity", *[k for k, _ in METRICS], "final sparsity", "moved"]
    return markdown_table(header, rows)


def _write(out: Path, cfg: LampExperimentConfig, relations: list[str], sizes: dict[str, int],
           lbs: list[int], top: int, cells: dict[str, dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    ss = list(cfg.init_sparsities)
    claims = [c.to_dict() for c in lamp_claims(cells, lbs, ss)]
    table = lamp_table(cells)
    run = RunDir(out, "experiment-lamp", cfg, device=cfg.impl.device)
    for key, title in METRICS:
        heatmap(_grid(cells, lbs, ss, key), run.figures / f"{key}.png", title,
                "initial sparsity", f"bottom pruned layer (top {top})",
                [f"{s:.2f}" for s in ss], [str(lb) for lb in lbs],
                cmap="RdBu" if key in ("drop", "gain") else "viridis")  # fmt: skip
    result = {"schema": 1, "model": cfg.model, "facts": cfg.facts, "relations": relations,
              "test_sizes": sizes, "bottom_layers": lbs, "top_layer": top,
              "init_sparsities": ss, "cells": cells,
              "grids": {k: _grid(cells, lbs, ss, k) for k, _ in METRICS},
              "claims": claims, "table": table}  # fmt: skip
    atomic_write_json(out / "experiment.json", result)
    atomic_write_text(out / "table.md", table)
    for c in cells.values():
        run.log_metrics({"cell": cell_name(c["bottom_layer"], c["init_sparsity"]), **c})
    run.write_results(result)
    run.finish("bertology experiment lamp")
    say(f"[experiment] test P@1 (macro over relations) [95% interval]:\n{table}")
    for c in claims:
        mark = {True: "held", False: "did not hold", None: "not measurable"}[c["held"]]
        say(f"[experiment] {c['claim']}: {mark} {c['numbers']}")
    return result
