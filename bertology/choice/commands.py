"""CLI: ``bertology choice``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bertology.choice.config import ChoiceConfig
from bertology.cli_config import OVERWRITE, Flag, config_command, out_option

CHOICE_FLAGS = [
    Flag("model", "--model", "-m", help="HF hub name or local model directory."),
    Flag("data", "--data", help="JSONL of multiple-choice items."),
    Flag("format", "--format", help="bertology | copa (SuperGLUE) | csqa (CommonsenseQA)."),
    Flag("metric", "--metric", help="PLL metric of question + ' ' + choice."),
    Flag("normalize", "--normalize", help="sum: total PLL; mean: per token (original) or word."),
    Flag("masks", "--masks", help="A prune run: score under its relations' masks."),
    Flag("relations", "--relation", help="Relations whose masks are combined (default: all)."),
    Flag("combine", "--combine", help="How masks are combined (several only with --select-on)."),
    Flag("select_on", "--select-on", help="Choose relations x combination on the dev items."),
    Flag("impl.token_budget", "--token-budget"),
    Flag("impl.device", "--device"),
    Flag("impl.dtype", "--dtype"),
]


def _choice(cfg: ChoiceConfig, out: Path, overwrite: bool) -> Any:
    from bertology.choice.run import choice  # torch: not at CLI start-up

    return choice(cfg, out, overwrite=overwrite)


def register(app: typer.Typer) -> None:
    config_command(
        app,
        "choice",
        config=ChoiceConfig,
        flags=CHOICE_FLAGS,
        run=_choice,
        params=[out_option("Run directory to write."), OVERWRITE],
        help="Zero-shot multiple choice by pseudo-log-likelihood, optionally under combined "
        "relation masks chosen on dev.",
    )
