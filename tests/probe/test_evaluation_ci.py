"""Per-fact hits from an ``Evaluation`` (what a caller bootstraps its own intervals from), and
``bertology probe`` reporting and printing every P@k and MRR with its interval and n."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bertology.data.facts import Fact
from bertology.models import load_mlm
from bertology.stats import mean_ci

# every word is one WordPiece token of the tiny BERT (tests/conftest.py's corpus)
PAIRS = {
    "near": ("[X] is near the [Y] .", [("paris", "france"), ("berlin", "germany"), ("rome", "italy"), ("madrid", "spain"), ("cat", "mat"), ("dog", "animal"), ("bird", "lake"), ("fish", "water")]),
    "material": ("the [X] is made of [Y] .", [("table", "wood"), ("window", "glass"), ("wheel", "water"), ("car", "bread"), ("knife", "bread")]),
}  # fmt: skip


def facts() -> list[Fact]:
    return [
        Fact(s, r, o, (t.replace("[X]", s).replace("[Y]", "[MASK]"),))
        for r, (t, pairs) in PAIRS.items()
        for s, o in pairs
    ]


@pytest.fixture(scope="module")
def evaluation(tiny_bert_dir: Path) -> Any:
    from bertology.probe.run import evaluate_facts

    model, tok = load_mlm(tiny_bert_dir, device="cpu")
    return evaluate_facts(model, tok, facts(), ks=(1, 10), candidates="relation", ci=True)


def test_hits_are_the_values_p_at_k_is_the_mean_of(evaluation: Any) -> None:
    ev = evaluation
    assert len(ev.hits(1)) == len(ev.scores) == 13
    assert sum(ev.hits(1)) / 13 == pytest.approx(ev.metrics["micro"]["p@1"])
    assert ev.hits(10) == [1.0] * 13  # at most 8 candidates per relation
    for r in PAIRS:
        hits = ev.hits(1, relation=r)
        assert len(hits) == len(PAIRS[r][1])
        assert sum(hits) / len(hits) == pytest.approx(ev.metrics["relations"][r]["p@1"])
        assert mean_ci(hits) == ev.metrics["relations"][r]["p@1_ci"]


def test_per_fact_rows_follow_the_scores(evaluation: Any) -> None:
    rows = evaluation.per_fact(ks=(1, 3))
    assert [(r["subject"], r["relation"], r["object"]) for r in rows] == [
        s.fact.key for s in evaluation.scores
    ]
    for row, s in zip(rows, evaluation.scores, strict=True):
        assert row["rank"] == s.rank and row["rr"] == pytest.approx(1 / s.rank)
        assert (row["hit@1"], row["hit@3"]) == (int(s.rank == 1), int(s.rank <= 3))


def test_probe_reports_and_prints_every_metric_with_interval_and_n(
    tmp_path: Path, tiny_bert_dir: Path
) -> None:
    from bertology.cli import app

    rel = tmp_path / "relations.jsonl"
    rel.write_text(
        "".join(json.dumps({"relation": r, "template": t}) + "\n" for r, (t, _) in PAIRS.items())
    )
    fact_file = tmp_path / "facts.jsonl"
    rows = [
        {"subject": s, "relation": r, "object": o} for r, (_, ps) in PAIRS.items() for s, o in ps
    ]
    fact_file.write_text("".join(json.dumps(x) + "\n" for x in rows))
    out = tmp_path / "run"
    args = ["probe", "--model", str(tiny_bert_dir), "--facts", str(fact_file)]
    args += ["--relations-file", str(rel), "--candidates", "relation", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    for m in [*results["relations"].values(), results["macro"], results["micro"]]:
        for key in ("p@1", "p@10", "mrr"):
            lo, hi = m[f"{key}_ci"]
            assert lo <= m[key] <= hi
    assert results["relations"]["near"]["n"] == 8 and results["micro"]["n"] == 13
    assert results["intervals"]["level"] == 0.95 and results["intervals"]["seed"] == 0
    near = results["relations"]["near"]
    printed = f"{near['p@1']:.3f} [{near['p@1_ci'][0]:.3f}, {near['p@1_ci'][1]:.3f}]"
    assert any(line.startswith("near") and printed in line for line in result.output.splitlines())
    assert "P@1 [95% CI]" in result.output
