"""Real environment faults (issue 13), not simulated ones: a file-size limit that makes a
write fail half-way (``EFBIG``, as a full disk gives ``ENOSPC``) and a read-only file system.
Each is one line naming the path, exit code 1, no traceback; nothing half-written is left and
an existing run stays byte-for-byte as it was."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from faults import snapshot


def _probe(
    ws, out: Path, *extra: str, fsize: int | None = None
) -> subprocess.CompletedProcess[str]:
    p = ws.paths
    args = ["probe", "-m", p["model"], "-f", p["facts"], "-r", p["rel"], "--split", "all"]

    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [sys.executable, "-m", "bertology.cli", *args, "--out", str(out), *extra],
        capture_output=True, text=True, timeout=300, preexec_fn=limit,
    )  # fmt: skip


def test_a_write_that_fails_half_way_is_one_line_and_leaves_the_old_run(ws, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(ws.paths["probe"], run)
    before = snapshot(run)
    size = (run / "predictions.jsonl").stat().st_size
    proc = _probe(ws, run, "--overwrite", fsize=size // 2)  # predictions.jsonl cannot be written
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("bertology: error: ") and "File too large" in last
    assert str(tmp_path) in last  # names the path it could not write
    assert snapshot(run) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporaries beside it


@pytest.fixture
def read_only_dir(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a read-only file system needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(d)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield d
    finally:
        subprocess.run(["umount", str(d)], check=True)


def test_a_read_only_file_system_is_one_line_naming_the_path(ws, read_only_dir):
    proc = _probe(ws, read_only_dir / "run")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"bertology: error: {read_only_dir}") and "Read-only file system" in last
    assert not list(read_only_dir.iterdir())


def test_a_checkpoint_that_cannot_be_written_stops_pretraining_cleanly(ws, tmp_path):
    """The disk fills up at the first checkpoint: one line naming it, no partial checkpoint;
    after space is freed, --resume finishes the run with the bytes of an undisturbed one."""
    run = tmp_path / "run"
    done = Path(ws.paths["pt"]) / "checkpoints" / "step-000004" / "model.safetensors"
    args = [sys.executable, "-m", "bertology.cli", "pretrain", "--config", ws.paths["pt_yaml"]]
    size = done.stat().st_size // 2

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    proc = subprocess.run(
        [*args, "--out", str(run)], capture_output=True, text=True, timeout=300, preexec_fn=limit
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last == f"bertology: error: {run}/checkpoints/step-000000: File too large", last
    assert not [p for p in run.rglob("*") if p.name.endswith(".tmp")]
    assert not (run / "checkpoints" / "step-000000").exists()
    proc = subprocess.run(
        [sys.executable, "-m", "bertology.cli", "pretrain", "--resume", "--out", str(run)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        run / "checkpoints" / "step-000004" / "model.safetensors"
    ).read_bytes() == done.read_bytes()
