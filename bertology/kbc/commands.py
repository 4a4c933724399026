"""CLI: ``bertology kbc``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from bertology.cli_config import OVERWRITE, Flag, config_command, out_option
from bertology.kbc.config import KBCConfig

FLAGS = [
    Flag(
        "model",
        "--model",
        "-m",
        help="HF hub name or local model directory (default: the --masks run's).",
    ),
    Flag(
        "facts",
        "--facts",
        "-f",
        help="Canonical or LAMA JSONL, or ConceptNet-100k TSV (default: the run's).",
    ),
    Flag("relations_file", "--relations-file", "-r", help="Relation templates JSONL."),
    Flag("relations", "--relation", help="Only these relations."),
    Flag("facts_format", "--format", help="Format of --facts (auto: by its first line)."),
    Flag("masks", "--masks", help="A `bertology prune` run: its subnetworks and random masks."),
    Flag("candidates", "--candidates", help="entities | relation | all | FILE (one word a line)."),
    Flag("filtered", "--filtered", help="Also rank with the other true objects removed."),
    Flag("split", "--split", help="Subject-disjoint split to evaluate."),
    Flag("split_seed", "--split-seed"),
    Flag("k", "--k", help="Hits@k for each k."),
    Flag("classify", "--classify", help="Triple classification (threshold chosen on dev)."),
    Flag("dev_facts", "--dev-facts", help="Choose thresholds on this file, not the dev split."),
    Flag("impl.batch_size", "--batch-size"),
    Flag("impl.device", "--device"),
    Flag("impl.dtype", "--dtype"),
    Flag("impl.progress", "--progress"),
]


def _run(cfg: KBCConfig, out: Path, overwrite: bool) -> Any:
    from bertology.kbc.run import kbc  # torch: not at CLI start-up

    return kbc(cfg, out, overwrite=overwrite)


def register(app: typer.Typer) -> None:
    config_command(
        app,
        "kbc",
        config=KBCConfig,
        flags=FLAGS,
        run=_run,
        params=[out_option("Run directory to write."), OVERWRITE],
        help="Knowledge-base completion: rank candidate objects (Hits@k, MRR, raw and "
        "filtered) and classify triples, full model vs subnetworks vs random masks.",
    )
