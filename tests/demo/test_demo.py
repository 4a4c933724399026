"""``bertology demo`` runs every stage end to end and links each stage's report."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bertology.cli import app


def test_demo_runs_every_stage_and_writes_an_index(tmp_path):
    out = tmp_path / "demo"
    args = ["demo", "--out", str(out), "--tokens", "20000", "--steps", "8"]
    args += ["--prune-relations", "2", "--prune-epochs", "1"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) >= {"world", "pretrain", "probe", "uas", "prune", "seconds"}
    assert summary["world"]["tokens"] >= 20000 and summary["world"]["facts"] > 0
    assert summary["pretrain"]["final_step"] == 8
    assert 0.0 <= summary["uas"]["best"]["clean"]["uas"] <= 1.0
    prune = summary["prune"]
    assert len(prune["specialization"]["relations"]) == 2
    assert prune["inspection"]["relations"] == prune["specialization"]["relations"]
    for r in prune["specialization"]["relations"]:
        assert {"full", "subnetwork", "random"} <= set(prune[r])
    index = (out / "index.html").read_text()
    for stage in ("pretrain", "probe", "uas", "prune"):
        assert (out / stage / "report.html").exists()
        assert f"{stage}/report.html" in index
