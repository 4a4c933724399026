"""Prune's ``impl`` changes speed only: one epoch with evaluation batches of 1 and of 64
gives the same masks and the same metrics."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from bertology.prune.config import PruneConfig, PruneImpl, PruneRunConfig
from bertology.prune.run import prune
from bertology.prune.storage import load_mask


def _numbers(x: Any) -> Any:
    """Results with the timing fields dropped (they measure the machine, not the science)."""
    if isinstance(x, dict):
        return {
            k: _numbers(v)
            for k, v in x.items()
            if "second" not in k and k not in ("throughput", "train_seconds")
        }
    if isinstance(x, list):
        return [_numbers(v) for v in x]
    return x


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-7)
    return a == b


def test_eval_batch_size_does_not_change_masks_or_metrics(
    tmp_path: Path, scaled_bert: Any, wordpiece_tokenizer: Any, fact_files: tuple[Path, Path]
) -> None:
    facts, rel = fact_files
    base = PruneRunConfig(
        model="scaled-bert",
        facts=str(facts),
        relations_file=str(rel),
        train=PruneConfig(
            layers="all", epochs=1, lr=0.01, batch_size=4, seed=3, candidates="relation"
        ),
        random_seeds=[0],
    )
    runs = {}
    for bs in (1, 64):
        cfg = replace(base, impl=PruneImpl(eval_batch_size=bs, progress=False))
        runs[bs] = tmp_path / f"bs{bs}"
        prune(cfg, runs[bs], model=scaled_bert, tokenizer=wordpiece_tokenizer)
    ra, rb = (json.loads((runs[b] / "results.json").read_text()) for b in (1, 64))
    assert _close(_numbers(ra["relations"]), _numbers(rb["relations"]))
    files = sorted(p.name for p in (runs[1] / "masks").glob("*.safetensors"))
    assert files and files == sorted(p.name for p in (runs[64] / "masks").glob("*.safetensors"))
    for name in files:
        a, b = (load_mask(runs[bs] / "masks" / name, scaled_bert) for bs in (1, 64))
        assert a.keep.keys() == b.keep.keys()
        assert all(torch.equal(a.keep[k], b.keep[k]) for k in a.keep)
