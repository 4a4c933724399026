"""CLI: ``bertology experiment sas`` and ``bertology experiment lamp``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bertology.cli_config import Flag, config_command, out_option
from bertology.experiments.config import SASExperimentConfig
from bertology.experiments.lamp_config import LampExperimentConfig

experiment_app = typer.Typer(
    help="The papers' experiments as single commands.", no_args_is_help=True
)

SAS_FLAGS = [
    Flag("pretrain", "--pretrain", help="Pre-training config (shipped name or YAML)."),
    Flag("seeds", "--seeds"),
    Flag("world", "--world", help="A world directory (default: generated into OUT/world)."),
    Flag("until_steps", "--until-step", help="k of 'SAS- until k' (repeatable)."),
    Flag("set", "--pretrain-set", help="A pre-training override for every variant.", split=False),
    Flag("impl.device", "--device"),
]


def _sas(cfg: SASExperimentConfig, out: Path) -> Any:
    from bertology.experiments.sas import run_sas  # torch: not at CLI start-up

    return run_sas(cfg, out)


config_command(
    experiment_app,
    "sas",
    config=SASExperimentConfig,
    flags=SAS_FLAGS,
    run=_sas,
    params=[out_option("Experiment directory.")],
    help="Baseline, SAS+, SAS- and SAS- until k: train, compare dynamics, judge the claims.",
)


LAMP_FLAGS = [
    Flag("model", "--model", help="The masked LM to prune (HF name or directory)."),
    Flag("facts", "--facts", help="Facts JSONL."),
    Flag("relations_file", "--relations-file", help="Relation templates JSONL."),
    Flag("relations", "--relation", help="A relation to prune (repeatable; default: the "
         "n_relations with the largest test sets)."),
    Flag("bottom_layers", "--bottom-layer", help="lb: prune layers lb..top (repeatable)."),
    Flag("init_sparsities", "--init-sparsity", help="Initial mask sparsity (repeatable)."),
    Flag("set", "--prune-set", help="A prune override for every cell, e.g. train.epochs=5.",
         split=False),
    Flag("impl.device", "--device"),
]  # fmt: skip


def _lamp(cfg: LampExperimentConfig, out: Path) -> Any:
    from bertology.experiments.lamp import run_lamp  # torch: not at CLI start-up

    return run_lamp(cfg, out)


config_command(
    experiment_app,
    "lamp",
    config=LampExperimentConfig,
    flags=LAMP_FLAGS,
    run=_lamp,
    params=[out_option("Experiment directory.")],
    help="LAMP's sweep of bottom pruned layer x initial sparsity: heatmaps and the claims.",
)


def register(app: typer.Typer) -> None:
    app.add_typer(experiment_app, name="experiment")
