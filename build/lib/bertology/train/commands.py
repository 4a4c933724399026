"""CLI: ``bertology pretrain``."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("pretrain")
    def pretrain_cmd(
        config: str | None = typer.Option(
            None,
            "--config",
            "-c",
            help="YAML config file, or a shipped one by name (world-tiny, bert-small, "
            "bert-base-sas). With --resume it defaults to RUN/config.yaml.",
        ),
        out: Path = typer.Option(Path("runs/pretrain"), "--out", "-o", help="Run directory."),
        resume: bool = typer.Option(
            False, "--resume", help="Continue from the newest checkpoint in RUN/checkpoints."
        ),
        set_: list[str] | None = typer.Option(
            None, "--set", help="Override a config key, e.g. --set sas.lambda=-0.5 (repeatable)."
        ),
    ) -> None:
        """Pre-train a masked LM, optionally with the syntactic regularizer, with checkpoints.

        Runs DDP under torchrun: torchrun --nproc_per_node N -m bertology.cli pretrain ...
        """
        from bertology.train import load_config, pretrain

        path = config
        if path is None:
            saved = out / "config.yaml"
            if not (resume and saved.exists()):
                raise typer.BadParameter("give --config (or --resume with an existing RUN)")
            path = str(saved)
        cfg = load_config(path, list(set_ or []))
        pretrain(cfg, out, resume=resume)
