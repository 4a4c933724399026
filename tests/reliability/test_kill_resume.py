"""Kill -9 and resume (issue 13): a pre-training run killed at any moment, during a step or
in the middle of writing a checkpoint, and continued with ``--resume`` ends with the same
bytes as a run that was never interrupted; no half-written file is left visible."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

STEPS = 10


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "bertology.cli", *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _config(ws, tmp_path: Path) -> Path:
    text = Path(ws.paths["pt_yaml"]).read_text()
    text = re.sub(r"max_steps: \d+", f"max_steps: {STEPS}", text)
    text = re.sub(r"cache_dir: [^,}]+", f"cache_dir: {tmp_path / 'cache'}", text)
    text = text.replace("heads: 2,", "heads: 2, dropout: 0.1,")  # dropout's RNG must resume too
    cfg = tmp_path / "p.yaml"
    cfg.write_text(text)
    return cfg


def _final(run: Path) -> bytes:
    return (run / "checkpoints" / f"step-{STEPS:06d}" / "model.safetensors").read_bytes()


@pytest.mark.parametrize("when", ["during a checkpoint write", "between checkpoints"])
def test_kill9_then_resume_is_bitwise_equal_to_an_uninterrupted_run(ws, tmp_path, when):
    cfg = _config(ws, tmp_path)
    whole = _start(["pretrain", "--config", str(cfg), "--out", str(tmp_path / "whole")], tmp_path)
    assert whole.wait(timeout=300) == 0, whole.stdout.read() if whole.stdout else ""

    run = tmp_path / "killed"
    proc = _start(["pretrain", "--config", str(cfg), "--out", str(run)], tmp_path)
    ckpts = run / "checkpoints"
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        names = [p.name for p in ckpts.iterdir()] if ckpts.is_dir() else []
        temps = [n for n in names if n.endswith(".tmp")]
        done = [n for n in names if n.startswith("step-")]
        if (when == "during a checkpoint write" and temps and done) or (
            when == "between checkpoints" and len(done) >= 3
        ):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"

    resumed = _start(["pretrain", "--resume", "--out", str(run)], tmp_path)
    assert resumed.wait(timeout=300) == 0, resumed.stdout.read() if resumed.stdout else ""
    assert _final(run) == _final(tmp_path / "whole")
    assert not [p for p in run.rglob("*") if p.name.endswith(".tmp")]
    assert _science(run) == _science(tmp_path / "whole")  # the killed tail was dropped


def _science(run: Path) -> list[dict[str, float]]:
    """metrics.jsonl without the timings: the same rows, in order, with the same values."""
    keep = ("step", "loss", "mlm_loss", "lr", "val_loss", "uas", "grad_norm")
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    return [{k: r[k] for k in keep if k in r} for r in rows]
