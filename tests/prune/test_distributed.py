"""``torchrun`` shards relations across ranks; the masks equal a single process's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from bertology.data.facts import read_facts
from bertology.models import load_mlm
from bertology.prune.storage import load_mask
from bertology.prune.train import PruneConfig, train_relation_masks

pytestmark = pytest.mark.distributed

CONFIG = dict(layers="1-1", epochs=3, lr=0.01, batch_size=4, seed=5)

# Trains with torchrun and saves the gathered masks from rank 0 (every rank gets all masks).
SCRIPT = textwrap.dedent(
    """
    import sys
    from bertology.data.facts import read_facts
    from bertology.models import load_mlm
    from bertology.prune.run import mask_filename
    from bertology.prune.storage import save_mask
    from bertology.prune.train import PruneConfig, train_relation_masks
    from bertology.distributed import init_distributed

    model_dir, facts, rel, out = sys.argv[1:5]
    ctx = init_distributed("cpu")
    model, tok = load_mlm(model_dir, "cpu")
    outcome = train_relation_masks(
        model, tok, read_facts(facts, rel).facts, PruneConfig(**CONFIG), model_name=model_dir
    )
    assert ctx.world == 2 and set(outcome.relations) == {"capital", "material", "story"}
    if ctx.is_main:
        for rt in outcome.relations.values():
            if rt.mask is not None:
                save_mask(rt.mask, f"{out}/{mask_filename(rt.relation)}")
    ctx.close()
    """
).replace("CONFIG", repr(CONFIG))


def _torchrun() -> str:
    exe = Path(sys.executable).with_name("torchrun")
    return str(exe) if exe.exists() else str(shutil.which("torchrun"))


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_OFFLINE": "1",
    }


def test_two_gloo_processes_give_the_same_masks_as_one(tmp_path, scaled_bert_dir, fact_files):
    facts, rel = fact_files
    script = tmp_path / "shard.py"
    script.write_text(SCRIPT)
    out = tmp_path / "two"
    out.mkdir()
    cmd = [
        _torchrun(),
        "--standalone",
        "--nproc_per_node=2",
        str(script),
        str(scaled_bert_dir),
        str(facts),
        str(rel),
        str(out),
    ]
    res = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]

    model, tok = load_mlm(scaled_bert_dir, "cpu")  # one process, same seed (one thread)
    single = train_relation_masks(model, tok, read_facts(facts, rel).facts, PruneConfig(**CONFIG))
    for r in ("capital", "material"):
        a = single.relations[r].mask
        b = load_mask(out / f"{r}.safetensors", model)
        assert a.keep.keys() == b.keep.keys()
        assert all(torch.equal(a.keep[k], b.keep[k]) for k in a.keep), r


@pytest.mark.slow
def test_prune_command_under_torchrun_writes_the_same_masks_as_one_process(
    tmp_path, scaled_bert_dir, fact_files
):
    """The whole CLI path under torchrun (rank 0 analyses); slow: three process start-ups."""
    facts, rel = fact_files
    for n in (1, 2):
        cmd = [
            _torchrun(), "--standalone", f"--nproc_per_node={n}", "-m", "bertology.cli", "prune",
            "--model", str(scaled_bert_dir), "--facts", str(facts), "--relations-file", str(rel),
            "--layers", "1-1", "--epochs", "3", "--lr", "0.01", "--batch-size", "4", "--seed", "5",
            "--device", "cpu", "--no-progress", "--out", str(tmp_path / str(n)),
        ]  # fmt: skip
        res = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr[-3000:]
    for r in ("capital", "material"):
        a = load_mask(tmp_path / "1" / "masks" / f"{r}.safetensors")
        b = load_mask(tmp_path / "2" / "masks" / f"{r}.safetensors")
        assert all(torch.equal(a.keep[k], b.keep[k]) for k in a.keep), r
    assert (tmp_path / "2" / "results.json").exists()
