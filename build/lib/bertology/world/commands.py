"""CLI: ``bertology world`` (generate the embedded synthetic world)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("world")
    def world_cmd(
        out: Path = typer.Option(
            ..., "--out", "-o", help="Directory to write (new, empty, or an earlier world)."
        ),
        seed: int | None = typer.Option(
            None, "--seed", help="Random seed (default 0, or the config's)."
        ),
        tokens: int | None = typer.Option(
            None,
            "--tokens",
            help="Training-corpus size in tokens (default 2000000, or the config's).",
        ),
        config: Path | None = typer.Option(
            None, "--config", "-c", help="YAML file overriding WorldConfig fields."
        ),
    ) -> None:
        """Generate the synthetic world: corpus with gold trees, facts, probes, minimal pairs."""
        import time

        from bertology.world import WorldConfig, generate_world, load_world_config

        cfg = load_world_config(config) if config is not None else WorldConfig()
        if seed is not None:
            cfg.seed = seed
        if tokens is not None:
            cfg.tokens = tokens
        start = time.perf_counter()
        stats = generate_world(out, cfg, progress=lambda line: typer.echo(line, err=True))
        seconds = time.perf_counter() - start
        train, kb = stats["corpus"]["train"], stats["knowledge"]
        typer.echo(
            f"world: {train['tokens']:,} tokens, {train['sentences']:,} sentences, "
            f"vocabulary {stats['vocabulary']['size']:,}, {kb['facts']:,} facts over "
            f"{kb['relations']} relations, {sum(stats['minimal_pairs'].values()):,} minimal pairs "
            f"-> {out} ({seconds:.1f} s, {train['tokens'] / seconds:,.0f} tokens/s)"
        )
