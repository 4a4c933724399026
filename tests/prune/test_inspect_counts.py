"""``inspect`` counts the facts the evaluation scores (issue 13): a test fact that scoring
skips (its object is not a candidate) is left out of the [MASK] readout and counted as
skipped, so inspection.json, results.json and specialize agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bertology.prune.config import PruneConfig, PruneImpl, PruneRunConfig
from bertology.prune.followup import inspect_run
from bertology.prune.run import prune


def test_inspect_counts_what_the_evaluation_scored(
    tmp_path: Path, scaled_bert: Any, wordpiece_tokenizer: Any, fact_files: tuple[Path, Path]
) -> None:
    facts, rel = fact_files
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("france\nitaly\nwood\n")  # germany, spain, gold, glass, ... are not candidates
    cfg = PruneRunConfig(
        model="scaled-bert",
        facts=str(facts),
        relations_file=str(rel),
        train=PruneConfig(layers="all", epochs=2, lr=0.01, batch_size=4, seed=3,
                          split_ratios=(0.5, 0.0, 0.5), candidates=str(vocab)),
        random_seeds=[0],
        impl=PruneImpl(progress=False),
    )  # fmt: skip
    run = tmp_path / "run"
    prune(cfg, run, model=scaled_bert, tokenizer=wordpiece_tokenizer)
    results = json.loads((run / "results.json").read_text())
    masked = [r for r in ("capital", "material") if "full" in results["relations"][r]]
    scored = sum(results["relations"][r]["full"]["n"] for r in masked)
    in_test = sum(results["relations"][r]["split"]["test"] for r in masked)
    assert 0 < scored < in_test  # some test facts are skipped by scoring
    ins = inspect_run(run, scaled_bert, wordpiece_tokenizer)
    assert ins["representations"]["n"] == scored
    assert ins["representations"]["skipped_facts"] == in_test - scored
