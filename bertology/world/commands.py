"""CLI: ``bertology world`` (generate the embedded synthetic world)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from bertology.cli_config import Flag, config_command, out_option
from bertology.console import say
from bertology.world import generate_world
from bertology.world.config import WorldCommandConfig


def _run(cfg: WorldCommandConfig, out: Path) -> Any:
    start = time.perf_counter()
    log = say if cfg.impl.progress else None
    stats = generate_world(out, cfg.world(), progress=log)
    seconds = time.perf_counter() - start
    train, kb = stats["corpus"]["train"], stats["knowledge"]
    say(
        f"world: {train['tokens']:,} tokens, {train['sentences']:,} sentences, "
        f"vocabulary {stats['vocabulary']['size']:,}, {kb['facts']:,} facts over "
        f"{kb['relations']} relations, {sum(stats['minimal_pairs'].values()):,} minimal pairs "
        f"-> {out} ({seconds:.1f} s, {train['tokens'] / seconds:,.0f} tokens/s)"
    )
    return stats


def register(app: typer.Typer) -> None:
    config_command(
        app,
        "world",
        config=WorldCommandConfig,
        flags=[
            Flag("seed", "--seed", help="Random seed."),
            Flag("tokens", "--tokens", help="Training-corpus size in tokens."),
        ],
        run=_run,
        params=[out_option("Directory to write (new, empty, or an earlier world).")],
        help="Generate the synthetic world: corpus with gold trees, facts, probes, minimal pairs.",
    )
