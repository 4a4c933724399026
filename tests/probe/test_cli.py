"""``bertology probe`` end to end on a tiny model."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bertology.cli import app

runner = CliRunner()


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _fixture(tmp_path):
    rel = _write(
        tmp_path / "relations.jsonl",
        [
            {"relation": "capital", "template": "[X] is the capital of [Y] ."},
            {"relation": "material", "template": "the [X] is made of [Y] ."},
        ],
    )
    facts = _write(
        tmp_path / "facts.jsonl",
        [
            {"subject": "paris", "relation": "capital", "object": "france"},
            {"subject": "berlin", "relation": "capital", "object": "germany"},
            {"subject": "rome", "relation": "capital", "object": "italy"},
            {
                "subject": "madrid",
                "relation": "capital",
                "object": "extraordinarily",
            },  # multi-token
            {"subject": "table", "relation": "material", "object": "wood"},
            {"subject": "window", "relation": "material", "object": "glass"},
        ],
    )
    return facts, rel


def test_probe_cli_writes_run_directory(tmp_path, tiny_bert_dir):
    facts, rel = _fixture(tmp_path)
    out = tmp_path / "run"
    res = runner.invoke(
        app,
        [
            "probe",
            "--model",
            str(tiny_bert_dir),
            "--facts",
            str(facts),
            "--relations-file",
            str(rel),
            "--k",
            "1,5,10",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    results = json.loads((out / "results.json").read_text())
    assert results["schema"] == 1
    cap = results["relations"]["capital"]
    assert cap["n"] == 3 and cap["skipped"] == 1 and set(cap) >= {"p@1", "p@5", "p@10", "mrr"}
    assert results["micro"]["n"] == 5 and results["macro"]["n_relations"] == 2
    rows = [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(rows) == 6
    scored = [r for r in rows if "rank" in r]
    assert all(len(r["top"]) == 10 for r in scored)
    assert [r for r in rows if r.get("skipped")][0]["object"] == "extraordinarily"
    for name in ("config.yaml", "env.json", "report.html", "figures/p_at_1_by_relation.png"):
        assert (out / name).exists(), name


def test_relation_candidates_rank_within_the_relation_objects(tmp_path, tiny_bert_dir):
    facts, rel = _fixture(tmp_path)
    out = tmp_path / "run"
    res = runner.invoke(
        app,
        [
            "probe",
            "--model",
            str(tiny_bert_dir),
            "--facts",
            str(facts),
            "--relations-file",
            str(rel),
            "--candidates",
            "relation",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    results = json.loads((out / "results.json").read_text())
    # 2 material candidates -> every rank is 1 or 2, so P@10 is 1
    assert results["relations"]["material"]["p@10"] == 1.0
    rows = [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()]
    material = [r for r in rows if r["relation"] == "material"]
    assert all(len(r["top"]) == 2 for r in material)


def test_candidate_file_and_split(tmp_path, tiny_bert_dir):
    facts, rel = _fixture(tmp_path)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("france\ngermany\nwood\n")
    out = tmp_path / "run"
    res = runner.invoke(
        app,
        [
            "probe",
            "--model",
            str(tiny_bert_dir),
            "--facts",
            str(facts),
            "--relations-file",
            str(rel),
            "--candidates",
            str(vocab),
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    r = json.loads((out / "results.json").read_text())
    assert r["relations"]["capital"]["skipped_reasons"] == {
        "object_not_in_candidates": 1,
        "multi_token_object": 1,
    }
    res = runner.invoke(
        app,
        [
            "probe",
            "--model",
            str(tiny_bert_dir),
            "--facts",
            str(facts),
            "--relations-file",
            str(rel),
            "--split",
            "test",
            "--out",
            str(tmp_path / "r2"),
        ],
    )
    assert res.exit_code == 0, res.output


def test_bad_input_gets_a_clear_message_and_exit_code_2(tmp_path, tiny_bert_dir):
    import subprocess
    import sys

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"subject": "a", "relation": "r", "object": "b", "prompt": "[X] [Y]"}\n{oops\n')
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bertology.cli",
            "probe",
            "--model",
            str(tiny_bert_dir),
            "--facts",
            str(bad),
            "--out",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "bad.jsonl:2: expected a JSON object" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_relation_lists_known_relations(tmp_path, tiny_bert_dir):
    facts, rel = _fixture(tmp_path)
    res = runner.invoke(
        app,
        [
            "probe",
            "--model",
            str(tiny_bert_dir),
            "--facts",
            str(facts),
            "--relations-file",
            str(rel),
            "--relation",
            "nope",
            "--out",
            str(tmp_path / "run"),
        ],
    )
    assert res.exit_code != 0
    assert "known relations: capital, material" in str(res.exception)
