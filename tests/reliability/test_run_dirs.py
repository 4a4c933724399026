"""Run directories (issue 13): an existing run is never changed by a command that fails; a
finished run is replaced only with --overwrite, and only once the new run completes; a
directory that is not a run is never written into; a failed command leaves no directory."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bertology.cli import app
from bertology.errors import InputError
from bertology.probe.config import ProbeConfig, ProbeImpl
from bertology.probe.run import probe

FACTS = [
    ("paris", "capital", "france"),
    ("rome", "capital", "italy"),
    ("berlin", "capital", "germany"),
]


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    rel = tmp_path / "relations.jsonl"
    rel.write_text(
        json.dumps({"relation": "capital", "template": "[X] is the capital of [Y] ."}) + "\n"
    )
    facts = tmp_path / "facts.jsonl"
    facts.write_text(
        "".join(json.dumps({"subject": s, "relation": r, "object": o}) + "\n" for s, r, o in FACTS)
    )
    return facts, rel


def _snapshot(d: Path) -> dict[str, str]:
    """Every file under ``d`` (hidden ones too) with the hash of its bytes."""
    return {
        str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(d.rglob("*"))
        if p.is_file()
    }


def _cfg(model: Path, facts: Path, rel: Path, **kw) -> ProbeConfig:
    return ProbeConfig(
        model=str(model),
        facts=str(facts),
        relations_file=str(rel),
        impl=ProbeImpl(device="cpu"),
        **kw,
    )


def test_a_finished_run_needs_overwrite_and_stays_byte_for_byte_without_it(tiny_bert_dir, tmp_path):
    facts, rel = _inputs(tmp_path)
    out = tmp_path / "run"
    probe(_cfg(tiny_bert_dir, facts, rel), out)
    before = _snapshot(out)
    with pytest.raises(InputError, match="a run is already here; pass --overwrite"):
        probe(_cfg(tiny_bert_dir, facts, rel, top=3), out)
    assert _snapshot(out) == before
    probe(_cfg(tiny_bert_dir, facts, rel, top=3), out, overwrite=True)  # replaced on success
    assert _snapshot(out) != before
    assert json.loads((out / "results.json").read_text())["n_facts"] == 3
    assert not list(tmp_path.glob(".run.*"))  # no temporaries left beside it


def test_a_failing_run_leaves_an_existing_run_as_it_was(tiny_bert_dir, tmp_path):
    facts, rel = _inputs(tmp_path)
    out = tmp_path / "run"
    probe(_cfg(tiny_bert_dir, facts, rel), out)
    before = _snapshot(out)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"subject": "x"\n')
    with pytest.raises(InputError, match="malformed JSON"):
        probe(_cfg(tiny_bert_dir, bad, rel), out, overwrite=True)
    with pytest.raises(InputError, match="no facts in split 'test'"):
        probe(
            _cfg(tiny_bert_dir, facts, rel, split="test", split_ratios=(1.0, 0.0, 0.0)),
            out,
            overwrite=True,
        )
    assert _snapshot(out) == before  # config.yaml and env.json included
    assert not list(tmp_path.glob(".run.*"))


def test_a_failed_run_leaves_no_directory(tiny_bert_dir, tmp_path, monkeypatch):
    facts, rel = _inputs(tmp_path)
    import bertology.probe.run as probe_run

    def boom(*a, **k):
        raise RuntimeError("scoring failed")

    monkeypatch.setattr(probe_run, "evaluate_facts", boom)
    with pytest.raises(RuntimeError, match="scoring failed"):
        probe(_cfg(tiny_bert_dir, facts, rel), tmp_path / "new")
    assert not (tmp_path / "new").exists() and not list(tmp_path.glob(".new.*"))


def test_a_directory_that_is_not_a_run_is_never_written_into(tiny_bert_dir, tmp_path):
    facts, rel = _inputs(tmp_path)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    for overwrite in (False, True):
        with pytest.raises(InputError, match="not a bertology run and is not empty"):
            probe(_cfg(tiny_bert_dir, facts, rel), mine, overwrite=overwrite)
    assert _snapshot(mine) == {"notes.txt": hashlib.sha256(b"keep me").hexdigest()}
    with pytest.raises(InputError, match="--out is a file"):
        probe(_cfg(tiny_bert_dir, facts, rel), mine / "notes.txt")


def test_stale_temporaries_of_an_interrupted_run_are_removed_at_start(tiny_bert_dir, tmp_path):
    facts, rel = _inputs(tmp_path)
    stale = tmp_path / ".run.abc123.tmp"
    stale.mkdir()
    (stale / "config.yaml").write_text("command: probe\n")
    probe(_cfg(tiny_bert_dir, facts, rel), tmp_path / "run")
    assert not stale.exists() and (tmp_path / "run" / "results.json").exists()


def test_the_cli_refuses_a_finished_run_without_overwrite(tiny_bert_dir, tmp_path):
    facts, rel = _inputs(tmp_path)
    out = tmp_path / "run"
    args = [
        "probe",
        "-m",
        str(tiny_bert_dir),
        "-f",
        str(facts),
        "-r",
        str(rel),
        "--device",
        "cpu",
        "--out",
        str(out),
    ]
    assert CliRunner().invoke(app, args).exit_code == 0
    before = _snapshot(out)
    again = CliRunner().invoke(app, args)
    assert isinstance(again.exception, InputError) and _snapshot(out) == before
    assert CliRunner().invoke(app, [*args, "--overwrite"]).exit_code == 0


def test_a_staged_run_lands_in_new_nested_directories_with_ordinary_permissions(
    tiny_bert_dir, tmp_path
):
    """The run is built beside --out even where --out's parents do not exist yet, and ends
    with the permissions of an ordinary new directory (not mkdtemp's 0700)."""
    import os

    facts, rel = _inputs(tmp_path)
    out = tmp_path / "new" / "deeper" / "run"
    old = os.umask(0o022)
    try:
        probe(_cfg(tiny_bert_dir, facts, rel), out)
    finally:
        os.umask(old)
    assert (out / "results.json").exists()
    assert out.stat().st_mode & 0o7777 == 0o755


def test_reopening_a_run_removes_the_temporaries_of_an_interrupted_write(tmp_path):
    """Interrupted atomic writes leave hidden ``.NAME.*.tmp`` files; a command that opens its
    run directory again (pretrain, or specialize/inspect on a prune run) removes them, and
    only them."""
    from bertology.io import remove_stale_temporaries
    from bertology.rundir import RunDir

    run = tmp_path / "run"
    RunDir(run, "pretrain", {"a": 1})
    (run / "figures").mkdir()
    stale = [
        run / ".results.json.k2j3.tmp",
        run / "figures" / ".loss.png.x9.tmp",
        run / ".ckpt.ab.tmp",
    ]
    stale[0].write_bytes(b"")
    stale[1].write_bytes(b"half a png")
    stale[2].mkdir()
    (stale[2] / "model.safetensors").write_bytes(b"partial")
    keep = [run / "notes.tmp", run / "figures" / "loss.png", run / "metrics.jsonl"]
    for k in keep:
        k.write_text("kept")
    (stale[2] / ".inner.q1.tmp").write_bytes(b"")  # inside a stale directory
    assert remove_stale_temporaries(run) == sorted(stale)
    assert not any(p.exists() for p in stale)
    assert all(k.read_text() == "kept" for k in keep)
    stale[0].write_bytes(b"")
    RunDir(run, "pretrain", {"a": 1})  # reopening the run does the same
    assert not stale[0].exists() and all(k.read_text() == "kept" for k in keep)
