"""``bertology experiment sas``: the SAS paper's regularizer experiment as one command.

For each seed it pre-trains the baseline (lambda = 0), SAS+ (lambda < 0), SAS- (lambda > 0)
and SAS- until step k, on the same world and data; runs ``dynamics`` over all of them; and
writes ``experiment.json``: per variant the breaks and final values (mean and sd over the
seeds), and the paper's claims (:mod:`bertology.experiments.claims`) judged on the seed means.
A finished variant (its ``results.json`` exists) is not trained again; an interrupted one
resumes from its last checkpoint.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from bertology.console import say
from bertology.dynamics.config import DynamicsConfig, DynamicsImpl
from bertology.dynamics.run import dynamics
from bertology.experiments.claims import sas_claims
from bertology.experiments.config import SASExperimentConfig
from bertology.experiments.table import (
    by_k_figure,
    final_evals,
    fmt_cell,
    markdown_table,
    seed_stats,
)  # fmt: skip
from bertology.io import atomic_write_json, atomic_write_text
from bertology.rundir import RunDir
from bertology.train.config import load_config
from bertology.train.loop import pretrain
from bertology.world.config import WorldConfig
from bertology.world.generate import generate_world

SUMMARY = ("structure_onset", "capability_onset", "final_val_loss", "final_uas", "final_blimp",
           "final_uas_margin", "final_uas_nonadjacent", "twonn_min_step", "early_val_loss")  # fmt: skip
# final values read from the last checkpoint's evaluation: (summary key, evaluator key)
FINAL = (("final_uas_ci", "uas_ci"), ("final_blimp_ci", "blimp_ci"),
         ("final_uas_margin", "uas_margin"), ("final_uas_margin_ci", "uas_margin_ci"),
         ("final_uas_nonadjacent", "uas_nonadjacent"),
         ("final_uas_nonadjacent_ci", "uas_nonadjacent_ci"),
         ("final_uas_offset", "uas_offset_baseline"))  # fmt: skip
COLUMNS = (("structure onset", "structure_onset"), ("capability onset", "capability_onset"),
           ("early val loss", "early_val_loss"), ("final val loss", "final_val_loss"),
           ("final UAS", "final_uas"), ("UAS margin", "final_uas_margin"),
           ("non-adjacent UAS", "final_uas_nonadjacent"), ("final BLiMP", "final_blimp"))  # fmt: skip


def _world(cfg: SASExperimentConfig, out: Path) -> Path:
    if cfg.world:
        return Path(cfg.world)
    w = out / "world"
    if not (w / "world.json").exists():
        generate_world(w, WorldConfig(), say)
    return w


def _sets(
    cfg: SASExperimentConfig, world: Path, seed: int, lam: float, until: int | None
) -> list[str]:
    """One variant's pre-training overrides: the world's data, the experiment's ``set``, then
    the variant's own seed, lambda and switch-off step."""
    return [
        f"data.train=[{world / 'corpus' / 'train.txt'}]",
        f"data.trees=[{world / 'corpus' / 'train.conllu'}]",
        f"data.valid=[{world / 'corpus' / 'valid.txt'}]",
        f"eval.uas_conllu={world / 'trees.conllu'}",
        f"eval.blimp_pairs={world / 'minimal_pairs'}",
        *cfg.set,
        f"train.seed={seed}",
        f"sas.lambda={lam}",
        f"sas.until_step={'null' if until is None else until}",
        f"impl.device={cfg.impl.device}",
    ]


def _train(
    cfg: SASExperimentConfig, world: Path, run: Path, seed: int, lam: float, until: int | None
) -> None:
    if (run / "results.json").exists():
        say(f"[experiment] {run.name}: finished, not trained again")
        return
    say(f"[experiment] training {run.name} (lambda {lam}, until {until})")
    config = load_config(cfg.pretrain, _sets(cfg, world, seed, lam, until))
    pretrain(config, run, resume=run.exists())


def _dyn(runs: list[Path], out: Path, cfg: SASExperimentConfig) -> dict[str, Any]:
    dcfg = DynamicsConfig(impl=DynamicsImpl(device=cfg.impl.device, progress=cfg.impl.progress))
    return dynamics([str(r) for r in runs], dcfg, out, overwrite=True)


def _k_from(
    baseline: dict[str, Any], steps: list[int], max_steps: int, frac: float
) -> tuple[int, bool]:
    """k: the last checkpoint before the baseline's structure onset, else a fraction."""
    onset = baseline.get("structure_onset")
    if onset is None:
        return max(1, int(frac * max_steps)), False
    before = [s for s in steps if 0 < s < onset]
    return (before[-1] if before else max(1, onset // 2)), True


def run_sas(cfg: SASExperimentConfig, out: str | Path) -> dict[str, Any]:
    """Train every variant for every seed, compare them, judge the claims."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    world = _world(cfg, out)
    max_steps = load_config(cfg.pretrain, _sets(cfg, world, 0, 0.0, None)).train.max_steps
    runs: dict[str, list[Path]] = {}
    ks: list[int] = list(cfg.until_steps)
    k_measured = bool(ks)
    for seed in cfg.seeds:
        base = out / "variants" / f"baseline-s{seed}"
        _train(cfg, world, base, seed, 0.0, None)
        runs.setdefault("baseline", []).append(base)
    if not ks:
        res = _dyn(runs["baseline"], out / "dynamics-baseline", cfg)
        ph = res["phases"][runs["baseline"][0].name]
        doc = json.loads((out / "dynamics-baseline" / "dynamics.json").read_text())
        steps = doc["runs"][runs["baseline"][0].name]["metrics"]["val_loss"]["steps"]
        k, k_measured = _k_from(ph, steps, max_steps, cfg.fallback_fraction)
        ks = [k]
    for seed in cfg.seeds:
        for name, lam, until in [("sas+", -cfg.lam, None), ("sas-", cfg.lam, None),
                                 *((f"sas-until-{k}", cfg.lam, k) for k in ks)]:  # fmt: skip
            run = out / "variants" / f"{name}-s{seed}"
            _train(cfg, world, run, seed, lam, until)
            runs.setdefault(name, []).append(run)
    every = [r for rs in runs.values() for r in rs]
    res = _dyn(every, out / "dynamics", cfg)
    return _write(out, cfg, runs, res, ks, k_measured, max_steps)


def _variant(paths: list[Path], rows: dict[str, Any], res: dict[str, Any], doc: dict[str, Any],
             early_step: int, dynamics_dir: Path) -> dict[str, Any]:  # fmt: skip
    """One variant over its seeds: each seed's row, then mean and sd of every summary value
    (and, with one seed, the evaluation's intervals)."""
    per_seed = []
    for p in paths:
        row = {**rows[p.name], **res["phases"][p.name]}
        loss = doc["runs"][p.name]["metrics"].get("val_loss", {})
        pts = zip(loss.get("steps", []), loss.get("values", []), strict=True)
        at = [v for s, v in pts if s <= early_step]
        row["early_val_loss"] = at[-1] if at else None
        last = final_evals(dynamics_dir / "metrics.jsonl", p.name)
        row.update({key: last.get(src) for key, src in FINAL})
        per_seed.append(row)
    entry: dict[str, Any] = {"seeds": [p.name for p in paths], "per_seed": per_seed}
    for key in SUMMARY:
        entry[key], entry[f"{key}_sd"] = seed_stats([r.get(key) for r in per_seed])
    if len(per_seed) == 1:  # one seed: the evaluation's own intervals stand in for the sd
        entry.update({k: per_seed[0].get(k) for k, _ in FINAL if k.endswith("_ci")})
    flags = [r["twonn_drop_before_structure_onset"] for r in per_seed]
    entry["twonn_drop_before_structure_onset"] = None if None in flags else all(flags)
    gaps = [r.get("structure_onset", 0) - r["twonn_drop_onset"] for r in per_seed
            if r.get("twonn_drop_onset") is not None and r.get("structure_onset") is not None]  # fmt: skip
    entry["twonn_drop_lead"] = min(gaps) if len(gaps) == len(per_seed) else None
    return entry


def sas_table(variants: dict[str, dict[str, Any]]) -> str:
    """The experiment's table: one line per variant, mean ± sd over seeds (or the interval)."""
    rows = [
        [name]
        + [fmt_cell(v.get(key), v.get(f"{key}_sd"), v.get(f"{key}_ci")) for _, key in COLUMNS]
        for name, v in variants.items()
    ]
    return markdown_table(["variant", *[c for c, _ in COLUMNS]], rows)


def _write(out: Path, cfg: SASExperimentConfig, runs: dict[str, list[Path]], res: dict[str, Any],
           ks: list[int], k_measured: bool, max_steps: int) -> dict[str, Any]:  # fmt: skip
    doc = json.loads((out / "dynamics" / "dynamics.json").read_text())
    rows = {r["run"]: r for r in res["table"]}
    variants = {
        name: _variant(paths, rows, res, doc, ks[0], out / "dynamics")
        for name, paths in runs.items()
    }
    table = sas_table(variants)
    atomic_write_text(out / "table.md", table)
    claims = [c.to_dict() for c in sas_claims(variants)]
    result = {"schema": 1, "variants": variants, "claims": claims, "until_steps": ks,
              "k_from_baseline_onset": k_measured if not cfg.until_steps else None,
              "table": table, "seeds": list(cfg.seeds),
              "figure": str(out / "dynamics" / "figures" / "summary.png")}  # fmt: skip
    atomic_write_json(out / "experiment.json", result)
    # the experiment directory is a run directory too: config, environment, results (the
    # same as experiment.json), one metrics row per variant, the summary figure, the report
    run = RunDir(out, "experiment-sas", cfg, device=cfg.impl.device)
    for name, v in variants.items():
        run.log_metrics({"variant": name, **{k: v[k] for k in SUMMARY}})
    run.write_results(result)
    shutil.copy(out / "dynamics" / "figures" / "summary.png", run.figures / "summary.png")
    by_k_figure(variants, ks, run.figures / "by_k.png", max_steps)
    run.finish("bertology experiment sas")
    say(f"[experiment] {len(cfg.seeds)} seed(s); mean ± sd over seeds, or [95% interval]:\n{table}")
    for c in claims:
        mark = {True: "held", False: "did not hold", None: "not measurable"}[c["held"]]
        say(f"[experiment] {c['claim']}: {mark} {c['numbers']}")
    return result
