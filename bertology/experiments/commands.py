"""CLI: ``bertology experiment sas``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bertology.cli_config import Flag, config_command, out_option
from bertology.experiments.config import SASExperimentConfig

experiment_app = typer.Typer(
    help="The papers' experiments as single commands.", no_args_is_help=True
)

SAS_FLAGS = [
    Flag("pretrain", "--pretrain", help="Pre-training config (shipped name or YAML)."),
    Flag("seeds", "--seeds"),
    Flag("world", "--world", help="A world directory (default: generated into OUT/world)."),
    Flag("until_steps", "--until-step", help="k of 'SAS- until k' (repeatable)."),
    Flag("set", "--pretrain-set", help="A pre-training override for every variant."),
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


def register(app: typer.Typer) -> None:
    app.add_typer(experiment_app, name="experiment")
