"""``bertology demo``: the offline end-to-end pipeline on the embedded world.

It tells both papers' stories on one model:

1. ``world``    generate the synthetic language (corpus, gold trees, facts, minimal pairs)
2. ``pretrain`` train a tiny BERT on it from scratch (configs/world-tiny.yaml), with dense
                checkpoints
3. ``dynamics`` evaluate every checkpoint (validation loss, UAS, BLiMP, TwoNN) and mark the
                phase transitions: structure onset, capability onset, the TwoNN drop (SAS)
4. ``uas``      head-wise UAS of the final model on the held-out gold trees, with the margin
                over the offset baselines and UAS on non-adjacent arcs
5. ``probe``    cloze-probe the final model on the world's facts, through the held-out
                template (knowledge, not string matching)
6. ``prune``    relation-specific subnetworks for the relations with the largest test sets,
                with controls, the specialization matrix and the [MASK] readout (LAMP)

Each stage writes its own run directory under ``OUT``; ``OUT/index.html`` links their reports
and the summary prints each stage's headline with its 95% interval, and the claims the run
tested (:mod:`bertology.demo_summary`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bertology.console import console
from bertology.data.facts import read_facts, relations_by_test_size, split_by_subject
from bertology.demo_config import DemoConfig
from bertology.demo_summary import claims, headlines, print_headlines
from bertology.dynamics.config import DynamicsConfig, DynamicsImpl
from bertology.dynamics.run import dynamics
from bertology.io import atomic_write_json, atomic_write_text
from bertology.models.load import load_mlm
from bertology.probe.config import ProbeConfig, ProbeImpl
from bertology.probe.run import probe
from bertology.prune.config import PruneConfig, PruneImpl, PruneRunConfig
from bertology.prune.followup import inspect_run, specialize
from bertology.prune.run import prune
from bertology.report.views.story import render_index
from bertology.syntax.config import UASConfig, UASImpl
from bertology.syntax.run import run_uas
from bertology.train import load_config, pretrain
from bertology.world import WorldConfig, generate_world


def demo(out: str | Path, config: DemoConfig | None = None) -> dict[str, Any]:
    """Run every stage into ``out``; return a summary of each stage's headline numbers."""
    cfg = config or DemoConfig()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {}
    t0 = time.perf_counter()

    console.rule("[bold]1/6 world")
    world = out / "world"
    stats = generate_world(
        world,
        WorldConfig(tokens=cfg.tokens, seed=cfg.seed, fact_sentence_fraction=cfg.fact_fraction),
        progress=console.print,
    )
    train = stats["corpus"]["train"]
    summary["world"] = {
        "tokens": train["tokens"],
        "sentences": train["sentences"],
        "vocabulary_size": train["vocabulary_size"],
        "facts": stats["knowledge"]["facts"],
    }

    console.rule("[bold]2/6 pretrain")
    pcfg = load_config(
        "world-tiny",
        [
            f"data.train=[{world / 'corpus' / 'train.txt'}]",
            f"data.trees=[{world / 'corpus' / 'train.conllu'}]",
            f"data.valid=[{world / 'corpus' / 'valid.txt'}]",
            f"eval.uas_conllu={world / 'trees.conllu'}",
            f"eval.blimp_pairs={world / 'minimal_pairs'}",
            f"train.max_steps={cfg.steps}",
            f"train.seed={cfg.seed}",
            f"impl.device={cfg.impl.device}",
            # the checkpoints are evaluated once, by the dynamics stage
            "eval.evaluators=[val_loss]",
            *_short_run_checkpoints(cfg.steps),
        ],
    )
    result = pretrain(pcfg, out / "pretrain")
    model_dir = result.checkpoints[-1]
    summary["pretrain"] = {
        "final_step": result.final_step,
        "checkpoint": str(model_dir),
        "last": result.evals.get(result.final_step, {}),
    }

    console.rule("[bold]3/6 dynamics")
    dyn = dynamics(
        [str(out / "pretrain")],
        DynamicsConfig(impl=DynamicsImpl(device=cfg.impl.device)),
        out / "dynamics",
        overwrite=True,
    )
    summary["dynamics"] = {"phases": dyn["phases"]["pretrain"], "table": dyn["table"][0],
                           "fixed_head": dyn.get("uas_fixed_head", {}).get("pretrain")}  # fmt: skip

    console.rule("[bold]4/6 uas")
    ucfg = UASConfig(
        model=str(model_dir),
        conllu=str(world / "trees.conllu"),
        impl=UASImpl(device=cfg.impl.device),
    )
    ures = run_uas(ucfg, out / "uas")
    summary["uas"] = {
        "best": ures.get("best"),
        "best_head": ures["best_head"]["clean"],
        "baselines": {v: max(ures["baselines"][v].values()) for v in ("reference", "clean")},
    }

    console.rule("[bold]5/6 probe")
    res = probe(
        ProbeConfig(
            model=str(model_dir),
            facts=str(world / "facts.jsonl"),
            relations_file=str(world / "relations.jsonl"),
            candidates="relation",
            attention=3,  # three prompts per relation in the report's attention viewer
            impl=ProbeImpl(device=cfg.impl.device),
        ),
        out / "probe",
    )
    summary["probe"] = {"macro": res["macro"], "micro": res["micro"]}

    if not cfg.skip_prune:
        console.rule("[bold]6/6 prune")
        summary["prune"] = _prune_stage(model_dir, world, out / "prune", cfg)

    summary["seconds"] = round(time.perf_counter() - t0, 1)
    summary["headlines"] = headlines(summary)
    summary["claims"] = claims(summary)
    atomic_write_json(out / "summary.json", summary)
    print_headlines(summary)
    _write_index(out, summary)
    console.print(f"[bold green]demo done[/bold green] in {summary['seconds']} s")
    console.print(f"open the report: {(out / 'index.html').resolve()}", soft_wrap=True)
    return summary


def _short_run_checkpoints(steps: int) -> list[str]:
    """world-tiny checkpoints every 25 steps, then every 100: a run of a few hundred steps
    gets every tenth of the run instead, so the dynamics stage has points to find breaks in."""
    if steps >= 400:
        return []
    return [f"checkpoint.every={max(1, steps // 10)}", "checkpoint.dense_until=null",
            "checkpoint.then_every=null"]  # fmt: skip


def _prune_stage(model_dir: Path, world: Path, out: Path, cfg: DemoConfig) -> dict[str, Any]:
    # loaded once for prune, specialize and inspect, as PruneRunConfig's defaults load it
    model, tok = load_mlm(model_dir, cfg.impl.device, attn="sdpa")
    # the relations with the most test facts (the narrowest intervals), not the first by name
    factset = read_facts(world / "facts.jsonl", world / "relations.jsonl")
    train = PruneConfig()
    splits = split_by_subject(factset.facts, train.split_ratios, train.split_seed)
    names = relations_by_test_size(splits)[: cfg.prune_relations]
    res = (
        prune(
            PruneRunConfig(
                model=str(model_dir),
                facts=str(world / "facts.jsonl"),
                relations_file=str(world / "relations.jsonl"),
                relations=names,
                train=PruneConfig(
                    layers="all",
                    epochs=cfg.prune_epochs,
                    patience=5,
                    lr=0.01,
                    seed=cfg.seed,
                    candidates="relation",  # as the probe stage ranks
                ),
                impl=PruneImpl(device=cfg.impl.device),
            ),
            out,
            model,
            tok,
        )
        or {}
    )
    keep = ("full", "subnetwork", "random", "sparsity", "moved", "subnetwork_minus_random")
    summary: dict[str, Any] = {
        r: {k: v for k, v in m.items() if k in keep}
        for r, m in res.get("relations", {}).items()
        if "full" in m
    }
    summary["macro"] = res.get("macro", {})
    if len(summary) >= 2:  # one loaded model serves all three stages
        spec = specialize(out, model, tok)
        summary["specialization"] = {
            "relations": spec["relations"],
            "p@1": spec["p@1"],
            "mean_offdiagonal_drop": spec["mean_offdiagonal_drop"],
            "mean_offdiagonal_drop_ci": spec.get("mean_offdiagonal_drop_ci"),
        }
        summary["inspection"] = inspect_run(out, model, tok)["representations"]
    return summary


def _write_index(out: Path, summary: dict[str, Any]) -> None:
    """``OUT/index.html``: the story on one page (:mod:`bertology.report.views.story`)."""
    atomic_write_text(out / "index.html", render_index(out, summary))
