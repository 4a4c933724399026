"""``bertology dynamics``: evaluate checkpoint series, find their breaks, derive the phases,
compare the runs; one run directory with ``dynamics.json``, the table and the figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from bertology.config import from_dict, to_dict
from bertology.console import console, say, table
from bertology.dynamics.breaks import MIN_POINTS
from bertology.dynamics.config import DynamicsConfig
from bertology.dynamics.evaluate import EvalCache, cache_path, evaluate_series
from bertology.dynamics.figures import metric_figure, summary_figure
from bertology.dynamics.heads import FIXED_HEAD, fixed_head
from bertology.dynamics.phases import curves, metric_breaks, phases, table_row
from bertology.dynamics.series import Series, find_series, unique_names
from bertology.errors import InputError
from bertology.io import atomic_write_json
from bertology.rundir import RunDir, check_out
from bertology.train.config import PretrainConfig, load_config

SCHEMA = 1


def series_config(series: Series, cfg: DynamicsConfig) -> Any:
    """The evaluators' settings for ``series``: its run's config (a world run: the world's
    pairs, trees and validation text) with the command's data and sizes on top."""
    if series.run is not None and (series.run / "config.yaml").exists():
        pc = load_config(series.run / "config.yaml")
    else:
        pc = from_dict(PretrainConfig, {"data": {"train": ["(none)"]}}, "defaults")
    world = _world_of(pc)
    e = pc.eval
    if cfg.pairs:
        e.blimp_pairs = cfg.pairs
    elif not e.blimp_pairs and world is not None:
        e.blimp_pairs = str(world / "minimal_pairs")
    if cfg.texts:
        pc.data.valid = [cfg.texts]
        e.twonn_texts = cfg.texts
    if cfg.conllu:
        e.uas_conllu = cfg.conllu
    elif not e.uas_conllu and world is not None:
        e.uas_conllu = str(world / "trees.conllu")
    for key in ("blimp_per_paradigm", "twonn_n", "uas_max_sentences"):
        if getattr(cfg, key) is not None:
            setattr(e, key, getattr(cfg, key))
    return pc


def _world_of(pc: Any) -> Path | None:
    """The embedded world a run was trained on (``WORLD/corpus/train.txt``), if any."""
    for f in pc.data.train:
        world = Path(f).parent.parent
        if (world / "world.json").exists():
            return world
    return None


def dynamics(
    runs: list[str], cfg: DynamicsConfig, out: str | Path, overwrite: bool = False
) -> dict[str, Any]:
    """Evaluate, break, phase and compare ``runs``; write the run directory ``out``."""
    check_out(Path(out), overwrite, "dynamics")
    if not runs:
        raise InputError("give at least one run, checkpoint directory or list file")
    series = unique_names([find_series(r) for r in runs])
    for s in series:
        if len(s.checkpoints) < MIN_POINTS:
            raise InputError(
                f"{len(s.checkpoints)} checkpoints; finding breaks needs at least {MIN_POINTS}",
                s.source,
            )
    configs = {s.name: series_config(s, cfg) for s in series}
    run = RunDir(out, "dynamics", {"runs": runs, **to_dict(cfg)}, device=cfg.impl.device,
                 staged=True, overwrite=overwrite)  # fmt: skip
    try:
        doc: dict[str, Any] = {"schema": SCHEMA, "runs": {}}
        rows = []
        for s in series:
            cache = EvalCache(cache_path(s, run.final))
            evals = evaluate_series(s, configs[s.name], cfg.evaluate, cache, cfg.impl.device,
                                    cfg.impl.progress, say)  # fmt: skip
            for step, m in sorted(evals.items()):
                run.log_metrics({"run": s.name, "step": step, **m})
            present = set().union(*(set(m) for m in evals.values()))
            for e in cfg.evaluate:
                if e in ("val_loss", "uas", "blimp", "twonn") and e not in present:
                    raise InputError(f"no checkpoint has the metric {e!r}", s.source)
            series_curves = curves(evals)
            head, fixed_curve = fixed_head(evals)
            if fixed_curve is not None:
                series_curves[FIXED_HEAD] = fixed_curve
            if head is not None and head["note"]:
                say(f"[dynamics] {s.name}: {head['note']}")
            metrics = metric_breaks(series_curves, cfg.threshold, cfg.method)
            ph = phases(metrics)
            doc["runs"][s.name] = {"source": s.source, "metrics": metrics, "phases": ph,
                                   FIXED_HEAD: head}  # fmt: skip
            rows.append(table_row(s.name, metrics, ph))
        atomic_write_json(run.path / "dynamics.json", doc)
        per_run = {name: r["metrics"] for name, r in doc["runs"].items()}
        names = sorted({m for r in per_run.values() for m in r})
        for m in names:
            metric_figure(per_run, m, run.figures / f"{m.replace('/', '_')}.png")
        summary_figure(per_run, run.figures / "summary.png")
        run.write_results({"runs": runs, "table": rows,
                           "phases": {n: r["phases"] for n, r in doc["runs"].items()},
                           FIXED_HEAD: {n: r[FIXED_HEAD] for n, r in doc["runs"].items()}})  # fmt: skip
        run.finish("bertology dynamics")
    except BaseException:
        run.abandon()
        raise
    t = Table(title="training dynamics: breaks in steps (— none found)")
    for col in rows[0]:
        t.add_column(col)
    for r in rows:
        t.add_row(*(_fmt(v) for v in r.values()))
    table(t, min_width=140)
    console.print(f"dynamics.json, figures/summary.png -> {run.final}")
    return run.read_results()


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    return "—" if v is None else str(v)
