"""Probe's ``impl`` changes speed only: ranks and metrics do not depend on it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import yaml
from typer.testing import CliRunner

from bertology.cli import app

runner = CliRunner()

RELATIONS = [
    {"relation": "capital", "template": "[X] is the capital of [Y] ."},
    {"relation": "material", "template": "the [X] is made of [Y] ."},
]
FACTS = [
    ("paris", "capital", "france"),
    ("berlin", "capital", "germany"),
    ("rome", "capital", "italy"),
    ("madrid", "capital", "spain"),
    ("table", "material", "wood"),
    ("ring", "material", "gold"),
    ("window", "material", "glass"),
]


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    rel = tmp_path / "relations.jsonl"
    rel.write_text("".join(json.dumps(r) + "\n" for r in RELATIONS))
    facts = tmp_path / "facts.jsonl"
    facts.write_text(
        "".join(json.dumps({"subject": s, "relation": r, "object": o}) + "\n" for s, r, o in FACTS)
    )
    return facts, rel


def _run(tmp_path: Path, model: Path, name: str, *extra: str) -> Path:
    facts, rel = _inputs(tmp_path)
    out = tmp_path / name
    args = ["probe", "-m", str(model), "-f", str(facts), "-r", str(rel), "--out", str(out)]
    res = runner.invoke(app, [*args, *extra])
    assert res.exit_code == 0, res.output
    return out


def test_batch_size_1_and_64_give_the_same_ranks_and_metrics(tiny_bert_dir, tmp_path):
    a = _run(tmp_path, tiny_bert_dir, "b1", "--set", "impl.batch_size=1")
    b = _run(tmp_path, tiny_bert_dir, "b64", "--set", "impl.batch_size=64")
    ra, rb = (json.loads((d / "results.json").read_text()) for d in (a, b))
    for key in ("macro", "micro", "relations", "n_facts"):
        assert ra[key] == rb[key], key
    pa, pb = (
        [json.loads(r) for r in (d / "predictions.jsonl").read_text().splitlines()] for d in (a, b)
    )
    assert len(pa) == len(pb) == len(FACTS)
    for x, y in zip(pa, pb, strict=True):  # padding differs: the same ranks, log-probs to rounding
        assert x.get("skipped") == y.get("skipped") and x.get("rank") == y.get("rank")
        if "rank" in x:
            assert [t["id"] for t in x["top"]] == [t["id"] for t in y["top"]]
            assert math.isclose(x["gold_log_prob"], y["gold_log_prob"], rel_tol=1e-5, abs_tol=1e-6)
    assert sum("rank" in x for x in pa) >= 4  # most facts are scored
    assert yaml.safe_load((a / "config.yaml").read_text())["impl"]["batch_size"] == 1
    assert yaml.safe_load((b / "config.yaml").read_text())["impl"]["batch_size"] == 64


def test_the_batch_size_flag_and_a_config_file_set_impl(tiny_bert_dir, tmp_path):
    cfg = tmp_path / "probe.yaml"
    cfg.write_text("split: all\nimpl:\n  batch_size: 3\n")
    out = _run(tmp_path, tiny_bert_dir, "file", "--config", str(cfg))
    assert yaml.safe_load((out / "config.yaml").read_text())["impl"]["batch_size"] == 3
    out = _run(tmp_path, tiny_bert_dir, "flag", "--config", str(cfg), "--batch-size", "5")
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["command"] == "probe" and saved["impl"]["batch_size"] == 5


def test_an_old_flat_batch_size_key_is_read_into_impl_with_a_warning(tiny_bert_dir, tmp_path):
    cfg = tmp_path / "old.yaml"
    cfg.write_text("batch_size: 2\n")
    facts, rel = _inputs(tmp_path)
    args = ["probe", "-m", str(tiny_bert_dir), "-f", str(facts), "-r", str(rel)]
    res = runner.invoke(app, [*args, "--config", str(cfg), "--out", str(tmp_path / "old")])
    assert res.exit_code == 0, res.output
    assert "batch_size has moved to impl.batch_size" in res.output
    saved = yaml.safe_load((tmp_path / "old" / "config.yaml").read_text())
    assert saved["impl"]["batch_size"] == 2 and "batch_size" not in saved
