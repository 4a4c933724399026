"""CLI: ``bertology data ...`` (building fact sets)."""

from __future__ import annotations

from pathlib import Path

import typer

data_app = typer.Typer(help="Build fact sets and other inputs.", no_args_is_help=True)


@data_app.command("wordnet")
def wordnet_cmd(
    out: Path = typer.Option(
        ..., "--out", "-o", help="Directory for facts.jsonl and relations.jsonl."
    ),
    wordnet_dir: Path | None = typer.Option(
        None,
        "--wordnet-dir",
        help="A WordNet 3.0 dict directory (default: nltk's, or Debian's /usr/share/wordnet).",
    ),
    max_per_relation: int | None = typer.Option(None, "--max-per-relation"),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Facts for IsA, PartOf, HasA, MadeOf and MemberOf from WordNet, with templates."""
    from bertology.data.wordnet import wordnet_facts

    wordnet_facts(out, wordnet_dir=wordnet_dir, max_per_relation=max_per_relation, seed=seed)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
