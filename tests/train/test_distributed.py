"""DDP on 2 CPU processes (gloo) gives the single-process result up to float tolerance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from bertology.train import pretrain

WORKER = """
import sys
from bertology.train.config import config_from_dict
from bertology.train import pretrain
import json
cfg = config_from_dict(json.load(open(sys.argv[1])))
pretrain(cfg, sys.argv[2])
"""


@pytest.mark.distributed
def test_ddp_on_two_processes_equals_a_single_process(tiny_config, tmp_path):
    # dropout off (each rank draws its own dropout masks); the regularizer on, so its
    # per-edge weighting across ranks and micro-batches is checked too
    common = dict(
        model={"dropout": 0.0},
        sas={"lambda": -0.5},
        checkpoint={"every": 0},
        eval={"evaluators": []},
    )
    single = tiny_config(train={"max_steps": 4, "batch_size": 8}, impl={"grad_accum": 1}, **common)
    pretrain(single, tmp_path / "single")

    # 2 ranks x 2 micro-batches of 2 sequences: grad accumulation under no_sync as well
    ddp = tiny_config(train={"max_steps": 4, "batch_size": 8}, impl={"grad_accum": 2}, **common)
    cfg_path = tmp_path / "ddp.json"
    cfg_path.write_text(json.dumps(ddp.to_dict()))
    worker = tmp_path / "worker.py"
    worker.write_text(WORKER)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        str(worker),
        str(cfg_path),
        str(tmp_path / "ddp"),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]

    a = load_file(str(tmp_path / "single" / "checkpoints" / "step-000004" / "model.safetensors"))
    b = load_file(str(tmp_path / "ddp" / "checkpoints" / "step-000004" / "model.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=2e-5, rtol=1e-4, msg=k)

    def losses(run: Path) -> list[tuple[float, float]]:
        rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
        return [(r["loss"], r["sas_reg"]) for r in rows if r["kind"] == "train"]

    la, lb = losses(tmp_path / "single"), losses(tmp_path / "ddp")
    assert len(la) == len(lb) == 4
    for (x, rx), (y, ry) in zip(la, lb, strict=True):
        assert abs(x - y) < 1e-4 and abs(rx - ry) < 1e-5
    results = json.loads((tmp_path / "ddp" / "results.json").read_text())
    assert results["world_size"] == 2


RESUME_WORKER = """
import hashlib, json, os, random, sys
from pathlib import Path
import numpy as np
from bertology.train import pretrain
from bertology.train.checkpoint import capture_rng
from bertology.train.config import config_from_dict
rank = int(os.environ["RANK"])
random.seed(100 + rank)  # python and numpy differ per rank, as torch's dropout streams do
np.random.seed(200 + rank)
cfg = config_from_dict(json.load(open(sys.argv[1])))
pretrain(cfg, sys.argv[2], resume=sys.argv[3] == "resume")
state = capture_rng()
digest = {k: hashlib.sha256(v.numpy().tobytes()).hexdigest() for k, v in state["tensors"].items()}
digest["python_numpy"] = hashlib.sha256(json.dumps(state["json"]).encode()).hexdigest()
Path(sys.argv[2], f"rng-rank{rank}.json").write_text(json.dumps(digest))
"""


def _torchrun(worker: Path, *args: str) -> None:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [*cmd, str(worker), *args], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.distributed
def test_ddp_resume_restores_each_ranks_rng_and_continues_bit_for_bit(tiny_config, tmp_path):
    """Two ranks with dropout on: resuming from step 2 gives the uninterrupted run's step-4
    weights bit for bit, and each rank ends with its own RNG states (torch, python, numpy)
    exactly as in the uninterrupted run; a rank restored with another rank's states fails."""
    import shutil

    cfg = tiny_config(
        model={"dropout": 0.1},
        train={"max_steps": 4, "batch_size": 8, "schedule": "constant"},
        checkpoint={"every": 2},
        eval={"evaluators": []},
    )
    cfg_path = tmp_path / "cfg.json"
    cfg_path.write_text(json.dumps(cfg.to_dict()))
    worker = tmp_path / "worker.py"
    worker.write_text(RESUME_WORKER)
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    _torchrun(worker, str(cfg_path), str(straight), "fresh")
    shutil.copytree(straight, resumed)
    shutil.rmtree(resumed / "checkpoints" / "step-000004")  # as if killed after step 2's save
    for r in (0, 1):
        (resumed / f"rng-rank{r}.json").unlink()
    _torchrun(worker, str(cfg_path), str(resumed), "resume")

    a = load_file(str(straight / "checkpoints" / "step-000004" / "model.safetensors"))
    b = load_file(str(resumed / "checkpoints" / "step-000004" / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    for r in (0, 1):
        want = json.loads((straight / f"rng-rank{r}.json").read_text())
        got = json.loads((resumed / f"rng-rank{r}.json").read_text())
        assert got == want, f"rank {r}"
    ranks = [json.loads((straight / f"rng-rank{r}.json").read_text()) for r in (0, 1)]
    assert all(ranks[0][k] != ranks[1][k] for k in ranks[0])  # the ranks' streams differ
