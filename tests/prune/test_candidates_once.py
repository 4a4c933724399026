"""A prune run resolves its ranking vocabulary once: a candidates file is read once, and each
relation's dev facts are prepared once, however many epochs evaluate them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bertology.probe.run as probe_run
import bertology.probe.scoring as scoring
import bertology.prune.train as train
from bertology.data.facts import read_facts
from bertology.prune.config import PruneConfig, PruneImpl, PruneRunConfig
from bertology.prune.run import prune

VOCAB = ["france", "germany", "italy", "spain", "wood", "gold", "glass"]


def _config(tmp_path: Path, facts: Path, rel: Path) -> PruneRunConfig:
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(VOCAB))
    train_cfg = PruneConfig(
        layers="all", epochs=3, patience=0, lr=0.01, batch_size=4, candidates=str(vocab),
        split_ratios=(0.4, 0.3, 0.3),
    )  # fmt: skip
    return PruneRunConfig(
        model="scaled-bert",
        facts=str(facts),
        relations_file=str(rel),
        train=train_cfg,
        random_seeds=[0],
        impl=PruneImpl(progress=False),
    )


def test_a_candidates_file_is_read_once_per_run(
    tmp_path: Path, scaled_bert: Any, wordpiece_tokenizer: Any, fact_files, monkeypatch
) -> None:
    reads: list[str] = []
    real = scoring.read_candidate_file
    monkeypatch.setattr(scoring, "read_candidate_file", lambda p: reads.append(str(p)) or real(p))
    cfg = _config(tmp_path, *fact_files)
    prune(cfg, tmp_path / "run", model=scaled_bert, tokenizer=wordpiece_tokenizer)
    assert reads == [cfg.train.candidates]  # training's dev checks and the analysis share it


def test_dev_facts_are_prepared_once_per_relation(
    tmp_path: Path, scaled_bert: Any, wordpiece_tokenizer: Any, fact_files, monkeypatch
) -> None:
    calls: list[str] = []
    for module in (train, probe_run):  # mask training's own, and evaluate_facts'
        real = module.prepare_facts
        monkeypatch.setattr(
            module,
            "prepare_facts",
            lambda fs, *a, _real=real, **k: (
                calls.append(fs[0].relation if fs else "") or _real(fs, *a, **k)
            ),
        )
    cfg = _config(tmp_path, *fact_files)
    facts = read_facts(cfg.facts, cfg.relations_file).facts
    out = train.train_relation_masks(
        scaled_bert, wordpiece_tokenizer, facts, cfg.train, impl=cfg.impl
    )
    trained = [r for r, t in out.relations.items() if t.mask is not None]
    assert trained and all(len(out.relations[r].history) == 3 for r in trained)
    assert all("dev_p@1" in row for r in trained for row in out.relations[r].history)
    for r in trained:  # its training facts and its dev facts, once each, for 3 dev evaluations
        assert calls.count(r) == 2, (r, calls)
