"""CLI: ``bertology probe``."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("probe")
    def probe_cmd(
        model: str = typer.Option(
            ..., "--model", "-m", help="HF hub name or local model directory."
        ),
        facts: Path = typer.Option(..., "--facts", "-f", help="Facts JSONL (canonical or LAMA)."),
        out: Path = typer.Option(..., "--out", "-o", help="Run directory to write."),
        relations_file: Path | None = typer.Option(
            None, "--relations-file", "-r", help="Relation templates JSONL."
        ),
        relation: list[str] | None = typer.Option(
            None, "--relation", help="Only these relations (repeatable)."
        ),
        k: str = typer.Option("1,10", "--k", help="Comma-separated k for P@k."),
        candidates: str = typer.Option(
            "all", "--candidates", help="all | relation | FILE (one word per line)."
        ),
        split: str = typer.Option(
            "all", "--split", help="all | train | dev | test (split by subject)."
        ),
        split_seed: int = typer.Option(0, "--split-seed"),
        average_prompts: bool = typer.Option(
            False, "--average-prompts", help="Average over all of a fact's masked sentences."
        ),
        batch_size: int = typer.Option(64, "--batch-size"),
        device: str = typer.Option("auto", "--device"),
        dtype: str | None = typer.Option(None, "--dtype", help="fp32 | bf16 | fp16"),
    ) -> None:
        """Rank the vocabulary at the mask for every fact: P@k and MRR per relation."""
        from bertology.errors import InputError
        from bertology.probe.run import ProbeConfig, probe

        try:
            ks = sorted({int(x) for x in k.split(",") if x.strip()})
        except ValueError:
            raise InputError(f"--k expects comma-separated integers, got {k!r}") from None
        if not ks or min(ks) < 1:
            raise InputError(f"--k values must be >= 1, got {k!r}")
        cfg = ProbeConfig(
            model=model,
            facts=str(facts),
            relations_file=str(relations_file) if relations_file else None,
            relations=relation or None,
            k=ks,
            candidates=candidates,
            split=split,
            split_seed=split_seed,
            average_prompts=average_prompts,
            batch_size=batch_size,
            device=device,
            dtype=dtype,
        )
        probe(cfg, out)
