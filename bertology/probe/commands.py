"""CLI: ``bertology probe``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bertology.cli_config import OVERWRITE, Flag, config_command, out_option
from bertology.probe.config import MOVED, ProbeConfig

# The model and the facts: the same keys in probe's and prune's configs.
INPUT_FLAGS = [
    Flag("model", "--model", "-m", help="HF hub name or local model directory."),
    Flag("facts", "--facts", "-f", help="Facts JSONL (canonical or LAMA)."),
    Flag("relations_file", "--relations-file", "-r", help="Relation templates JSONL."),
    Flag("relations", "--relation", help="Only these relations."),
]
FLAGS = [
    *INPUT_FLAGS,
    Flag("k", "--k", help="P@k for each k."),
    Flag("candidates", "--candidates", help="all | relation | FILE (one word per line)."),
    Flag("split", "--split", help="Split by subject."),
    Flag("split_seed", "--split-seed"),
    Flag("average_prompts", "--average-prompts", help="Average over a fact's masked sentences."),
    Flag("attention", "--attention", help="Facts per relation whose attention the report shows."),
    Flag("impl.batch_size", "--batch-size"),
    Flag("impl.device", "--device"),
    Flag("impl.dtype", "--dtype"),
]


def _run(cfg: ProbeConfig, out: Path, overwrite: bool) -> Any:
    from bertology.probe.run import probe  # torch: not at CLI start-up

    return probe(cfg, out, overwrite=overwrite)


def register(app: typer.Typer) -> None:
    config_command(
        app,
        "probe",
        config=ProbeConfig,
        flags=FLAGS,
        moved=MOVED,
        run=_run,
        params=[out_option("Run directory to write."), OVERWRITE],
        help="Rank the vocabulary at the mask for every fact: P@k and MRR per relation.",
    )
