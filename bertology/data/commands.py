"""CLI: ``bertology data ...`` (building fact sets)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from bertology.cli_config import Flag, config_command, out_option

data_app = typer.Typer(help="Build fact sets and other inputs.", no_args_is_help=True)


@dataclass
class WordNetConfig:
    """``data wordnet``: where WordNet is, and how many facts per relation (seeded sample).
    Nothing here is speed-only, so there is no ``impl`` section."""

    wordnet_dir: str | None = None  # a WordNet 3.0 dict directory; None: nltk's, or Debian's
    max_per_relation: int | None = None
    seed: int = 0


def _wordnet(cfg: WordNetConfig, out: Path) -> Any:
    from bertology.data.wordnet import wordnet_facts  # torch: not at CLI start-up

    return wordnet_facts(
        out,
        wordnet_dir=None if cfg.wordnet_dir is None else Path(cfg.wordnet_dir),
        max_per_relation=cfg.max_per_relation,
        seed=cfg.seed,
    )


config_command(
    data_app,
    "wordnet",
    config=WordNetConfig,
    flags=[
        Flag("wordnet_dir", "--wordnet-dir", help="A WordNet 3.0 dict directory."),
        Flag("max_per_relation", "--max-per-relation"),
        Flag("seed", "--seed"),
    ],
    run=_wordnet,
    params=[out_option("Directory for facts.jsonl and relations.jsonl.")],
    help="Facts for IsA, PartOf, HasA, MadeOf and MemberOf from WordNet, with templates.",
)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
