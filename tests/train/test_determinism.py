"""Two pre-training runs with the same config and seed, each with a fresh cache (so the
tokenizer is trained and the data packed twice), write identical weights and RNG states."""

from __future__ import annotations

import random

import numpy as np
import torch
from safetensors.torch import load_file

from bertology.train import pretrain


def test_two_fresh_runs_with_one_seed_give_equal_weights_and_rng_files(tiny_config, tmp_path):
    runs = []
    for name, entropy in (("a", 1), ("b", 2)):
        # a fresh process starts python's and numpy's RNGs from OS entropy: simulate that
        random.seed(entropy)
        np.random.seed(entropy)
        cfg = tiny_config(
            train={"max_steps": 3},
            checkpoint={"every": 3, "initial": False},
            eval={"evaluators": []},
            impl={"cache_dir": str(tmp_path / f"cache-{name}")},  # nothing shared
        )
        pretrain(cfg, tmp_path / name)
        (ckpt,) = sorted((tmp_path / name / "checkpoints").iterdir())
        runs.append(ckpt)
    wa, wb = (load_file(str(c / "model.safetensors")) for c in runs)
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    ta, tb = ((c / "tokenizer.json").read_bytes() for c in runs)
    assert ta == tb  # the same vocabulary, in the same id order
    ra, rb = ((c / "trainer_state" / "rng.safetensors").read_bytes() for c in runs)
    assert ra == rb  # python's and numpy's RNG states too
