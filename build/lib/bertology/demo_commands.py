"""CLI: ``bertology demo``."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_cmd(
        out: Path = typer.Option(
            Path("runs/demo"), "--out", "-o", help="Directory for every stage's run."
        ),
        tokens: int = typer.Option(
            1_000_000, "--tokens", help="Size of the world's training corpus."
        ),
        steps: int = typer.Option(1500, "--steps", help="Pre-training steps."),
        seed: int = typer.Option(0, "--seed"),
        skip_prune: bool = typer.Option(False, "--skip-prune"),
    ) -> None:
        """Run the offline pipeline: world -> pretrain -> probe -> uas -> prune."""
        from bertology.demo import DemoConfig, demo

        demo(out, DemoConfig(tokens=tokens, steps=steps, seed=seed, skip_prune=skip_prune))
