"""CLI: ``bertology demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bertology.cli_config import Flag, config_command, out_option
from bertology.demo_config import DemoConfig

FLAGS = [
    Flag("tokens", "--tokens", help="Size of the world's training corpus."),
    Flag("steps", "--steps", help="Pre-training steps."),
    Flag("seed", "--seed"),
    Flag(
        "fact_fraction", "--fact-fraction", help="Share of the world's sentences that state a fact."
    ),
    Flag("skip_prune", "--skip-prune"),
    Flag("prune_relations", "--prune-relations", help="How many relations to train masks for."),
    Flag("prune_epochs", "--prune-epochs", help="Mask-training epochs."),
    Flag("impl.device", "--device"),
]


def _run(cfg: DemoConfig, out: Path) -> Any:
    from bertology.demo import demo  # torch: not at CLI start-up

    return demo(out, cfg)


def register(app: typer.Typer) -> None:
    config_command(
        app,
        "demo",
        config=DemoConfig,
        flags=FLAGS,
        run=_run,
        params=[out_option("Directory for every stage's run.", default=Path("runs/demo"))],
        help="Run the offline pipeline: world -> pretrain -> probe -> uas -> prune.",
    )
