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
            2_000_000, "--tokens", help="Size of the world's training corpus."
        ),
        steps: int = typer.Option(4000, "--steps", help="Pre-training steps."),
        seed: int = typer.Option(0, "--seed"),
        fact_fraction: float = typer.Option(
            0.6, "--fact-fraction", help="Share of the world's sentences that state a fact."
        ),
        skip_prune: bool = typer.Option(False, "--skip-prune"),
        prune_relations: int = typer.Option(
            4, "--prune-relations", help="How many relations to train masks for."
        ),
        prune_epochs: int = typer.Option(20, "--prune-epochs", help="Mask-training epochs."),
    ) -> None:
        """Run the offline pipeline: world -> pretrain -> probe -> uas -> prune."""
        from bertology.demo import DemoConfig, demo

        cfg = DemoConfig(
            tokens=tokens,
            steps=steps,
            seed=seed,
            fact_fraction=fact_fraction,
            prune_relations=prune_relations,
            prune_epochs=prune_epochs,
            skip_prune=skip_prune,
        )
        demo(out, cfg)
