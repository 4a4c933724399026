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
    assert set(summary) >= {"world", "pretrain", "dynamics", "probe", "uas", "prune", "seconds"}
    assert set(summary["headlines"]) == {"world", "pretrain", "dynamics", "uas", "probe", "prune"}
    assert "UAS" in summary["headlines"]["uas"] and "[" in summary["headlines"]["uas"]
    assert "P@1 macro" in summary["headlines"]["probe"]
    ids = {c["id"] for c in summary["claims"]}
    assert {"structure_before_capability", "structure_above_positional",
            "mismatched_masks_lose"} <= ids  # fmt: skip
    assert "claim: " in res.output and "summary (95% bootstrap intervals" in res.output
    # the dynamics stage evaluated every checkpoint of the 8-step run (one every step)
    assert len(json.loads((out / "dynamics" / "dynamics.json").read_text())["runs"]["pretrain"]
               ["metrics"]["uas"]["steps"]) == 9  # fmt: skip
    assert summary["world"]["tokens"] >= 20000 and summary["world"]["facts"] > 0
    assert summary["pretrain"]["final_step"] == 8
    assert 0.0 <= summary["uas"]["best"]["clean"]["uas"] <= 1.0
    prune = summary["prune"]
    assert len(prune["specialization"]["relations"]) == 2
    # the relations with the largest test sets, not the first two by name
    world = json.loads((out / "world" / "world.json").read_text())
    order = world["knowledge"]["subject_split"]["relations_by_test_size"]
    assert prune["specialization"]["relations"] == sorted(order[:2])
    assert prune["inspection"]["relations"] == prune["specialization"]["relations"]
    for r in prune["specialization"]["relations"]:
        assert {"full", "subnetwork", "random"} <= set(prune[r])
    index = (out / "index.html").read_text()
    for stage in ("pretrain", "dynamics", "probe", "uas", "prune"):
        assert (out / stage / "report.html").exists()
        assert f"{stage}/report.html" in index
