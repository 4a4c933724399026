"""CLI: ``bertology blimp`` and ``bertology twonn``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bertology.cli_config import OVERWRITE, Flag, config_command, out_option
from bertology.evals.config import BlimpConfig, TwoNNConfig

BLIMP_FLAGS = [
    Flag("model", "--model", "-m", help="HF hub name or local model directory."),
    Flag("data", "--data", help="BLiMP directory, one JSONL file, or nyu-mll/blimp (online)."),
    Flag("metric", "--metric", help="PLL metric (word_l2r: see the README for why)."),
    Flag("paradigms", "--paradigm", help="Only these paradigms (UIDs)."),
    Flag("limit", "--limit", help="At most N pairs per paradigm."),
    Flag("impl.token_budget", "--token-budget"),
    Flag("impl.device", "--device"),
    Flag("impl.dtype", "--dtype"),
]
TWONN_FLAGS = [
    Flag("model", "--model", "-m", help="HF hub name or local model directory."),
    Flag("texts", "--texts", help="Held-out texts, one per line."),
    Flag("layers", "--layers", help="all | 0,4,8 | 1-12 (0: the embeddings)."),
    Flag("pool", "--pool"),
    Flag("n", "--n", help="Texts used (the first N non-empty lines)."),
    Flag("metric", "--metric"),
    Flag("impl.batch_size", "--batch-size"),
    Flag("impl.device", "--device"),
]


def _blimp(cfg: BlimpConfig, out: Path, overwrite: bool) -> Any:
    from bertology.evals.run import blimp  # torch: not at CLI start-up

    return blimp(cfg, out, overwrite=overwrite)


def _twonn(cfg: TwoNNConfig, out: Path, overwrite: bool) -> Any:
    from bertology.evals.run import twonn_run  # torch: not at CLI start-up

    return twonn_run(cfg, out, overwrite=overwrite)


def register(app: typer.Typer) -> None:
    config_command(
        app,
        "blimp",
        config=BlimpConfig,
        flags=BLIMP_FLAGS,
        run=_blimp,
        params=[out_option("Run directory to write."), OVERWRITE],
        help="BLiMP minimal pairs scored by pseudo-log-likelihood: accuracy per paradigm and field.",
    )
    config_command(
        app,
        "twonn",
        config=TwoNNConfig,
        flags=TWONN_FLAGS,
        run=_twonn,
        params=[out_option("Run directory to write."), OVERWRITE],
        help="TwoNN intrinsic dimension of one vector per text, at every layer.",
    )
