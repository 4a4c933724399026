"""``bertology probe`` end to end on a tiny model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bertology.cli import app
from bertology.data.facts import SPLITS
from bertology.models import load_mlm

runner = CliRunner()


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _fixture(tmp_path: Path) -> tuple[Path, Path]:
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


# relation -> (template, [(subject, object)]): every word is one WordPiece token of the tiny
# BERT; "paris" has two facts, which must land in the same split
SPLIT_RELATIONS = {
    "near": (
        "[X] is near the [Y] .",
        [
            ("paris", "france"),
            ("paris", "river"),
            ("berlin", "germany"),
            ("rome", "italy"),
            ("madrid", "spain"),
            ("cat", "mat"),
            ("dog", "animal"),
            ("hammer", "nails"),
            ("knife", "bread"),
            ("bird", "lake"),
            ("fish", "water"),
        ],
    ),
    "material": (
        "the [X] is made of [Y] .",
        [
            ("table", "wood"),
            ("window", "glass"),
            ("wheel", "water"),
            ("car", "bread"),
            ("mat", "cat"),
        ],
    ),
}


def _split_fixture(tmp_path: Path) -> tuple[Path, Path]:
    rel = _write(
        tmp_path / "relations.jsonl",
        [{"relation": r, "template": t} for r, (t, _) in SPLIT_RELATIONS.items()],
    )
    facts = _write(
        tmp_path / "facts.jsonl",
        [
            {"subject": s, "relation": r, "object": o}
            for r, (_, pairs) in SPLIT_RELATIONS.items()
            for s, o in pairs
        ],
    )
    return facts, rel


def _probe(model: Path, facts: Path, rel: Path, out: Path, *extra: str) -> list[dict[str, Any]]:
    """Run ``bertology probe``; return its prediction rows."""
    args = ["probe", "--model", str(model), "--facts", str(facts), "--relations-file", str(rel)]
    res = runner.invoke(app, [*args, "--k", "1,3", "--out", str(out), *extra])
    assert res.exit_code == 0, res.output
    return [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()]


def _prompt(relation: str, subject: str, tok: Any) -> str:
    return SPLIT_RELATIONS[relation][0].replace("[X]", subject).replace("[Y]", tok.mask_token)


def _expected_metrics(ranks: dict[str, list[int]]) -> dict[str, Any]:
    """P@1, P@3 and MRR per relation, macro (mean of relations) and micro (all facts)."""

    def m(rs: list[int]) -> dict[str, float]:
        return {
            "n": len(rs),
            "p@1": sum(r == 1 for r in rs) / len(rs),
            "p@3": sum(r <= 3 for r in rs) / len(rs),
            "mrr": sum(1 / r for r in rs) / len(rs),
        }

    per = {r: m(rs) for r, rs in ranks.items()}
    macro = {k: sum(p[k] for p in per.values()) / len(per) for k in ("p@1", "p@3", "mrr")}
    return {"relations": per, "macro": macro, "micro": m([r for rs in ranks.values() for r in rs])}


def _assert_metrics(results: dict[str, Any], expected: dict[str, Any]) -> None:
    for r, m in expected["relations"].items():
        for k, v in m.items():
            assert results["relations"][r][k] == pytest.approx(v), (r, k)
    for k, v in expected["micro"].items():
        assert results["micro"][k] == pytest.approx(v), ("micro", k)
    for k, v in expected["macro"].items():
        assert results["macro"][k] == pytest.approx(v), ("macro", k)


def test_split_test_evaluates_only_the_held_out_subjects(
    tmp_path: Path, tiny_bert_dir: Path, hf_reference: Any
) -> None:
    """Guards ``--split``: train/dev/test partition each relation's facts by subject (80/10/10,
    at least one subject in dev and test), ``--split test`` scores exactly the test facts, and
    its metrics are those of their ranks (checked against HF logits).
    """
    facts, rel = _split_fixture(tmp_path)
    rows = {s: _probe(tiny_bert_dir, facts, rel, tmp_path / s, "--split", s) for s in SPLITS}
    subjects = {
        s: {(r["relation"], r["subject"]) for r in split_rows} for s, split_rows in rows.items()
    }
    everything = {(r, s, o) for r, (_, pairs) in SPLIT_RELATIONS.items() for s, o in pairs}
    assert (
        set().union(
            *({(r["relation"], r["subject"], r["object"]) for r in v} for v in rows.values())
        )
        == everything
    )
    assert sum(len(v) for v in rows.values()) == len(everything)
    for a, b in [("train", "dev"), ("train", "test"), ("dev", "test")]:
        assert not subjects[a] & subjects[b], (a, b)
    # 10 subjects of "near": 8/1/1; 5 of "material": round(0.5) = 0 raised to 1 -> 3/1/1
    for split, (near, material) in {"train": (8, 3), "dev": (1, 1), "test": (1, 1)}.items():
        rels = [r for r, _ in subjects[split]]
        assert (rels.count("near"), rels.count("material")) == (near, material), split

    test_rows = rows["test"]
    results = json.loads((tmp_path / "test" / "results.json").read_text())
    assert results["split"] == "test" and results["n_facts"] == len(test_rows)
    model, tok = load_mlm(tiny_bert_dir, device="cpu")
    ranks: dict[str, list[int]] = {}
    for r in test_rows:
        assert "rank" in r, r
        lp = hf_reference.log_probs(model, tok, _prompt(r["relation"], r["subject"], tok))
        hf_reference.assert_rank(r["rank"], lp, tok.convert_tokens_to_ids(r["object"]))
        ranks.setdefault(r["relation"], []).append(r["rank"])
    _assert_metrics(results, _expected_metrics(ranks))


def test_relation_candidates_are_all_the_relations_objects_not_the_splits(
    tmp_path: Path, tiny_bert_dir: Path, hf_reference: Any
) -> None:
    """Guards ``--candidates relation`` under ``--split test``: each test fact is ranked among
    the objects of its relation in the whole fact file, not only those of the test split
    (which would shrink the set and inflate rank and P@1).
    """
    facts, rel = _split_fixture(tmp_path)
    rows = _probe(
        tiny_bert_dir, facts, rel, tmp_path / "run", "--split", "test", "--candidates", "relation"
    )
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    model, tok = load_mlm(tiny_bert_dir, device="cpu")
    ranks: dict[str, list[int]] = {}
    split_ranks = []
    for r in rows:
        relation = r["relation"]
        whole = [tok.convert_tokens_to_ids(o) for _, o in SPLIT_RELATIONS[relation][1]]
        in_split = [
            tok.convert_tokens_to_ids(x["object"]) for x in rows if x["relation"] == relation
        ]
        lp = hf_reference.log_probs(model, tok, _prompt(relation, r["subject"], tok))
        gold = tok.convert_tokens_to_ids(r["object"])
        hf_reference.assert_rank(r["rank"], lp, gold, whole)
        hf_reference.assert_top([t["id"] for t in r["top"]], lp, whole, 10)
        ranks.setdefault(relation, []).append(r["rank"])
        split_ranks.append(hf_reference.rank(lp, gold, in_split))
    # the fixture tells the two candidate sets apart: some rank differs between them
    assert split_ranks != [r["rank"] for r in rows]
    _assert_metrics(results, _expected_metrics(ranks))


def test_candidate_file_restricts_the_ranking(
    tmp_path: Path, tiny_bert_dir: Path, hf_reference: Any
) -> None:
    """Guards ``--candidates FILE``: each fact is ranked among the file's single-token words
    only; facts whose object is not in the file are skipped as such; words that are not one
    token are left out of the candidates.
    """
    facts, rel = _split_fixture(tmp_path)
    words = ["france", "germany", "river", "mat", "wood", "glass", "cat", "the", "extraordinarily"]
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(words) + "\n")
    rows = _probe(tiny_bert_dir, facts, rel, tmp_path / "run", "--candidates", str(vocab))
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    model, tok = load_mlm(tiny_bert_dir, device="cpu")
    ids = [tok.convert_tokens_to_ids(w) for w in words if w in tok.vocab]
    assert len(ids) == len(words) - 1  # "extraordinarily" is several tokens
    scored = [r for r in rows if "rank" in r]
    assert {(r["relation"], r["subject"], r["object"]) for r in scored} == {
        (r, s, o) for r, (_, pairs) in SPLIT_RELATIONS.items() for s, o in pairs if o in words
    }
    assert all(r["skipped"] == "object_not_in_candidates" for r in rows if "rank" not in r)
    ranks: dict[str, list[int]] = {}
    for r in scored:
        lp = hf_reference.log_probs(model, tok, _prompt(r["relation"], r["subject"], tok))
        hf_reference.assert_rank(r["rank"], lp, tok.convert_tokens_to_ids(r["object"]), ids)
        hf_reference.assert_top([t["id"] for t in r["top"]], lp, ids, 10)
        ranks.setdefault(r["relation"], []).append(r["rank"])
    assert max(r["rank"] for r in scored) > 3  # the whole vocabulary is not the set
    _assert_metrics(results, _expected_metrics(ranks))


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
