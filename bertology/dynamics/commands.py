"""CLI: ``bertology dynamics``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bertology.cli_config import OVERWRITE, Flag, argument, config_command, out_option
from bertology.dynamics.config import DynamicsConfig

FLAGS = [
    Flag("evaluate", "--evaluate", help="Evaluators, e.g. val_loss,uas,blimp,twonn."),
    Flag("pairs", "--pairs", help="Minimal pairs for blimp (default: the run's world)."),
    Flag("texts", "--texts", help="Held-out text for val_loss and twonn (default: the run's)."),
    Flag("conllu", "--conllu", help="Gold trees for uas (default: the run's)."),
    Flag("method", "--method"),
    Flag("impl.device", "--device"),
    Flag("impl.progress", "--progress"),
]


def _run(cfg: DynamicsConfig, runs: list[str], out: Path, overwrite: bool) -> Any:
    from bertology.dynamics.run import dynamics  # torch: not at CLI start-up

    return dynamics([str(r) for r in runs], cfg, out, overwrite=overwrite)


def register(app: typer.Typer) -> None:
    config_command(
        app,
        "dynamics",
        config=DynamicsConfig,
        flags=FLAGS,
        run=_run,
        params=[
            argument(
                "runs",
                annotation=list[Path],
                help="Pre-training runs, HF checkpoint directories or 'STEP PATH' list files.",
            ),
            out_option("Run directory to write."),
            OVERWRITE,
        ],
        help="Evaluate every checkpoint of training runs, find phase transitions, compare runs.",
    )
