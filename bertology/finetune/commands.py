"""CLI: ``bertology finetune``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bertology.cli_config import OVERWRITE, Flag, config_command, out_option
from bertology.finetune.config import FinetuneConfig

FLAGS = [
    Flag("model", "--model", "-m", help="HF hub name or local masked-LM directory."),
    Flag(
        "task", "--task", "-t", help="GLUE name (sst2, mrpc, ...), FILE, DIR or world-verify:WORLD."
    ),
    Flag("masks", "--masks", help="One relation's mask file (RUN/masks/R.safetensors)."),
    Flag("labels", "--labels", help="The label set, in id order."),
    Flag("train.epochs", "--epochs"),
    Flag("train.patience", "--patience", help="Epochs without a better dev accuracy."),
    Flag("train.lr", "--lr"),
    Flag("train.batch_size", "--batch-size"),
    Flag("train.max_train", "--max-train"),
    Flag("train.seed", "--seed"),
    Flag("impl.device", "--device"),
]


def _run(cfg: FinetuneConfig, out: Path, overwrite: bool) -> Any:
    from bertology.finetune.run import finetune  # torch: not at CLI start-up

    return finetune(cfg, out, overwrite=overwrite)


def register(app: typer.Typer) -> None:
    config_command(
        app,
        "finetune",
        config=FinetuneConfig,
        flags=FLAGS,
        run=_run,
        params=[out_option("Run directory to write."), OVERWRITE],
        help="Fine-tune a checkpoint, or one relation's subnetwork with its mask held fixed, "
        "on a classification or multiple-choice task; test accuracy with its 95% interval.",
    )
