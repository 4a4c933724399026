"""CLI: ``bertology pretrain``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bertology.cli_config import Flag, config_command, option, out_option
from bertology.errors import InputError
from bertology.train.config import MOVED, PretrainConfig

FLAGS = [
    Flag("sas.lambda", "--lambda", help="< 0: SAS+ (promote syntactic attention), > 0: SAS-."),
    Flag("train.max_steps", "--max-steps"),
    Flag("train.seed", "--seed"),
    Flag("impl.device", "--device"),
]

HELP = """Pre-train a masked LM, optionally with the syntactic regularizer, with checkpoints.

Shipped configs: world-tiny, bert-small, bert-base-sas. With --resume and no --config, the
run's own config.yaml is read. Runs DDP under torchrun:
torchrun --nproc_per_node N -m bertology.cli pretrain ...
"""


def _prepare(params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    out = Path(params["out"])
    saved = out / "config.yaml"
    if params["resume"]:
        if not out.is_dir():
            raise InputError("--resume: no such run directory (a mistyped --out?)", out)
        if not saved.exists():
            raise InputError("--resume: no pretrain run here (no config.yaml)", out)
        from bertology.rundir import run_command  # torch: not at CLI start-up

        command = run_command(saved)
        if command is not None and command != "pretrain":  # unreadable: read_yaml names the line
            raise InputError(
                f"--resume: this is a {command or 'bertology'} run, not a pretrain run", out
            )
    return (str(saved) if params["resume"] and saved.exists() else None), {}


def _run(cfg: PretrainConfig, out: Path, resume: bool) -> Any:
    from bertology.train.loop import pretrain  # torch: not at CLI start-up

    return pretrain(cfg, out, resume=resume)


def register(app: typer.Typer) -> None:
    config_command(
        app,
        "pretrain",
        config=PretrainConfig,
        flags=FLAGS,
        moved=MOVED,
        run=_run,
        prepare=_prepare,
        params=[
            out_option("Run directory.", default=Path("runs/pretrain")),
            option(
                "resume",
                "--resume",
                annotation=bool,
                default=False,
                help="Continue from the newest checkpoint in RUN/checkpoints.",
            ),
        ],
        help=HELP,
    )
