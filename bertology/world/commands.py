"""CLI: ``bertology world`` (generate the embedded synthetic world)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from bertology.cli_config import Flag, config_command, option, out_option
from bertology.console import say
from bertology.world import generate_world
from bertology.world.config import PRESETS, WorldCommandConfig
from bertology.world.config import preset as preset_values


def _prepare(params: dict[str, Any]) -> tuple[None, dict[str, Any]]:
    """A ``--preset``'s values, under ``--config``, the flags and ``--set``."""
    name = params.get("preset")
    return None, (preset_values(name) if name is not None else {})


def _run(cfg: WorldCommandConfig, out: Path, preset: str | None = None) -> Any:
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
    split = kb["subject_split"]
    tests = {
        r: kb["per_relation"][r]["subject_split"]["test"] for r in split["relations_by_test_size"]
    }
    ratios = "/".join(f"{r:g}" for r in split["ratios"])
    say(
        f"test facts per relation (split by subject {ratios}, seed {split['seed']}): "
        + ", ".join(f"{r} {n}" for r, n in tests.items())
        + f"; every fact stated at least {kb['min_mentions_per_fact']} times"
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
        prepare=_prepare,
        params=[
            out_option("Directory to write (new, empty, or an earlier world)."),
            option(
                "preset",
                "--preset",
                annotation=str | None,
                default=None,
                help=f"Start from a named world: {', '.join(PRESETS)} (lamp: 5000 entities, "
                ">= 100 test facts per relation).",
            ),
        ],
        help="Generate the synthetic world: corpus with gold trees, facts, probes, minimal pairs.",
    )
