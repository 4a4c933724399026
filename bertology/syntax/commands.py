"""CLI: ``bertology uas`` (head-wise UAS of attention) and ``bertology parse`` (spaCy to
CoNLL-U). Thin wrappers over :func:`bertology.syntax.run.run_uas` and
:func:`bertology.data.parsing.parse_text_file`; heavy imports stay inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bertology.cli_config import OVERWRITE, Flag, config_command, option, out_option
from bertology.console import say
from bertology.console import table as show_table
from bertology.syntax.config import MOVED, ParseConfig, UASConfig

UAS_FLAGS = [
    Flag("model", "--model", "-m", help="Hub name or local model directory."),
    Flag("conllu", "--conllu", help="Gold trees (CoNLL-U)."),
    Flag("text", "--text", help="Raw text, one or more sentences a line, parsed with spaCy."),
    Flag("max_sentences", "--max-sentences"),
    Flag("from_agg", "--from-agg", help="Pool the pieces of the attending word."),
    Flag("to_agg", "--to-agg", help="Pool the pieces of the attended word."),
    Flag("spacy_model", "--spacy-model"),
    Flag("min_relation_count", "--min-relation-count"),
    Flag("max_length", "--max-length", help="Skip longer sentences (tokens)."),
    Flag("impl.batch_size", "--batch-size"),
    Flag("impl.device", "--device"),
    Flag("impl.dtype", "--dtype"),
]
PARSE_FLAGS = [
    Flag("spacy_model", "--spacy-model"),
    Flag("max_sentences", "--max-sentences"),
    Flag("impl.batch_size", "--batch-size"),
]


def _uas(cfg: UASConfig, out: Path, overwrite: bool) -> Any:
    from bertology.syntax.run import run_uas  # torch: not at CLI start-up

    results = run_uas(cfg, out, overwrite=overwrite)
    _print_summary(results)
    say(f"wrote {out}/results.json and {out}/report.html")
    return results


def _parse(cfg: ParseConfig, text: Path, out: Path) -> Any:
    from bertology.data.dependency import write_conllu  # conllu: not at CLI start-up
    from bertology.data.parsing import parse_text_file  # spaCy, rich: not at CLI start-up

    sents = parse_text_file(
        text, cfg.spacy_model, cfg.max_sentences, cfg.impl.batch_size, progress=cfg.impl.progress
    )
    write_conllu(sents, out)
    say(f"wrote {len(sents)} sentences to {out}")
    return sents


def register(app: typer.Typer) -> None:
    """Add ``uas`` and ``parse`` to the ``bertology`` app."""
    config_command(
        app,
        "uas",
        config=UASConfig,
        flags=UAS_FLAGS,
        moved=MOVED,
        run=_uas,
        params=[out_option("Run directory to write."), OVERWRITE],
        help="Head-wise UAS: which attention heads point words at their syntactic parents.",
    )
    config_command(
        app,
        "parse",
        config=ParseConfig,
        flags=PARSE_FLAGS,
        run=_parse,
        params=[
            option(
                "text",
                "--text",
                annotation=Path,
                default=...,
                help="Raw text, one or more sentences a line.",
            ),
            out_option("CoNLL-U file to write."),
        ],
        help="Parse raw text with spaCy and cache the trees as CoNLL-U.",
    )


def _ci(ci: list[float] | None) -> str:
    return "" if ci is None else f" [{ci[0]:.3f}, {ci[1]:.3f}]"


def _print_summary(results: dict) -> None:
    """The best head per variant with its 95% interval, non-adjacent UAS, best offset
    baseline and margin over it; then the per-relation best heads."""
    from rich.table import Table  # only for the summary table

    title = f"UAS ({results['n_sentences']} sentences, {results['n_words']} words; 95% CI)"
    table = Table(title=title)
    for col in ("", "best head", "UAS", "non-adjacent UAS", "best offset", "offset UAS",
                "margin", "n words"):  # fmt: skip
        table.add_column(col)
    for v in ("reference", "clean"):
        b = results["best_head"][v]
        table.add_row(
            v,
            f"{b['layer']}-{b['head']} {b['direction']}",
            f"{b['uas']:.3f}{_ci(b['uas_ci'])}",
            f"{b['uas_nonadjacent']:.3f}{_ci(b['uas_nonadjacent_ci'])} (n={b['n_nonadjacent']})",
            b["offset"],
            f"{b['offset_uas']:.3f}",
            f"{b['uas_margin']:+.3f}{_ci(b['uas_margin_ci'])}",
            str(b["n_words"]),
        )
    show_table(table, min_width=150)
    for v in ("reference", "clean"):
        nb = results["best_head"][v]["best_nonadjacent"]
        say(
            f"{v}: best head on non-adjacent arcs alone: {nb['layer']}-{nb['head']} "
            f"{nb['direction']} {nb['uas']:.3f}"
        )
    rel = Table(title="best head per relation")
    for col in ("relation", "best head", "UAS", "best offset", "offset UAS"):
        rel.add_column(col)
    for name, r in list(results["by_relation"].items())[:12]:
        rel.add_row(
            f"{name} (n={r['n']})",
            f"{r['layer']}-{r['head']} {r['direction']}",
            f"{r['uas']:.3f}",
            r["best_offset"],
            f"{r['offset_uas']:.3f}",
        )
    show_table(rel)
