"""``bertology kbc`` end to end on a tiny model: the run directory the issue specifies."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from bertology.cli import app

from .conftest import CAPITALS, MATERIALS, write_prune_run

runner = CliRunner()
N_FACTS = len(CAPITALS) + len(MATERIALS)  # and one multi-token object, skipped


def test_kbc_with_masks_writes_ranks_results_figure_and_report(
    tmp_path, kb_files, scaled_bert, scaled_bert_dir
):
    facts, rel = kb_files
    write_prune_run(
        tmp_path / "prune", scaled_bert, scaled_bert_dir, facts, rel, {"capital": 1, "material": 2}
    )
    out = tmp_path / "run"
    res = runner.invoke(
        app,
        ["kbc", "--masks", str(tmp_path / "prune"), "--split", "all", "--filtered",
         "--no-progress", "--set", "random_seed=3", "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    results = json.loads((out / "results.json").read_text())
    assert results["schema"] == 1
    assert results["variants"] == ["full", "subnetwork", "random"]
    assert results["candidates"] == "entities" and results["filtered"] is True
    assert results["n_facts"] == N_FACTS + 1 and results["n_ranked"] == N_FACTS
    assert results["skipped"] == {"multi_token_object": 1}
    assert results["mask_eval"] == "hard" and results["random_seed"] == 3
    for v in results["variants"]:
        for setting in ("raw", "filtered"):
            m = results["ranking"][v][setting]
            assert set(m) == {"relations", "macro", "micro"}
            for key in ("hits@1", "hits@3", "hits@10", "mrr"):
                assert key in m["micro"] and f"{key}_ci" in m["micro"] and key in m["macro"]
            assert m["micro"]["n"] == N_FACTS and m["relations"]["material"]["skipped"] == 1
    assert set(results["differences"]) == {"ranks", "subnetwork_minus_full", "subnetwork_minus_random"}  # fmt: skip
    assert "classification" not in results  # split all: no dev to choose thresholds on

    rows = [json.loads(x) for x in (out / "ranks.jsonl").read_text().splitlines()]
    ranked = [r for r in rows if "variant" in r]
    assert len(ranked) == 3 * N_FACTS
    assert set(ranked[0]) == {"variant", "subject", "relation", "object", "rank",
                              "filtered_rank", "log_prob"}  # fmt: skip
    assert all(1 <= r["filtered_rank"] <= r["rank"] for r in ranked)
    assert [r for r in rows if "skipped" in r] == [{"subject": "wheel", "relation": "material",
        "object": "extraordinarily", "skipped": "multi_token_object"}]  # fmt: skip
    metrics = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["variant"] for m in metrics] == ["full", "subnetwork", "random"]
    assert (out / "figures" / "hits1_mrr_by_variant.png").stat().st_size > 0
    assert "hits@1" in (out / "report.html").read_text()
    assert yaml.safe_load((out / "config.yaml").read_text())["command"] == "kbc"
    assert json.loads((out / "env.json").read_text())["torch"]


def test_kbc_on_a_conceptnet_file_classifies_and_a_bad_line_stops_with_file_and_line(
    tmp_path, run_cli, scaled_bert_dir
):
    rel = tmp_path / "relations.jsonl"
    rel.write_text('{"relation": "capital", "template": "[X] is the capital of [Y] ."}\n')
    lines = [f"capital\t{s}\t{o}\t1" for s, o in CAPITALS]
    lines += [f"capital\t{s}\tgermany\t0" for s, _ in CAPITALS if s not in ("berlin", "bird")]
    good = tmp_path / "cn.txt"
    good.write_text("\n".join(lines) + "\n")
    res = runner.invoke(
        app,
        ["kbc", "-m", str(scaled_bert_dir), "-f", str(good), "-r", str(rel), "--no-progress",
         "--set", "split_ratios=[0.5,0.25,0.25]", "--out", str(tmp_path / "run")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["format"] == "conceptnet" and results["split"] == "test"
    micro = results["classification"]["variants"]["full"]["micro"]
    assert micro["n"] > 0 and 0 <= micro["accuracy"] <= 1 and "accuracy_ci" in micro
    assert (tmp_path / "run" / "classification.jsonl").exists()

    bad = tmp_path / "bad.txt"
    bad.write_text("capital\tparis\tfrance\t1\ncapital paris germany 0\n")
    proc = run_cli("kbc", "-m", str(scaled_bert_dir), "-f", "bad.txt", "-r", str(rel),
                   "--out", "bad-run", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "bertology: error: bad.txt:2: expected 3 or 4 tab-separated fields" in proc.stderr
    assert not (tmp_path / "bad-run").exists()
