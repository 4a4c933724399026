"""BLiMP (issue 14): reading pairs (BLiMP directory, one file, the world's minimal_pairs/),
the scoring rule (a tie is wrong), the summary's means, the CLI's run directory, and every
number in pairs.jsonl traced back to its per-token parts. The fixture files are the first
lines of three real BLiMP paradigms (tests/evals/data/blimp)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bertology.errors import InputError
from bertology.evals.blimp import MinimalPair, PairScore, read_pairs, summarize
from bertology.evals.pll import PLLScore

DATA = Path(__file__).parent / "data" / "blimp"


def test_a_blimp_directory_reads_every_paradigm_with_its_field():
    pairs = read_pairs(DATA)
    assert [p.uid for p in pairs].count("anaphor_gender_agreement") == 6
    assert {p.uid for p in pairs} == {
        "adjunct_island",
        "anaphor_gender_agreement",
        "determiner_noun_agreement_1",
    }
    first = next(p for p in pairs if p.uid == "adjunct_island")
    assert first.good == "Who should Derek hug after shocking Richard?"
    assert first.field == "syntax" and first.linguistics_term == "island_effects"
    assert first.source == f"{DATA / 'adjunct_island.jsonl'}:1"


def test_limit_and_paradigms_select_the_first_pairs(tmp_path):
    pairs = read_pairs(DATA, ["anaphor_gender_agreement"], limit=2)
    assert [p.source.rsplit(":", 1)[1] for p in pairs] == ["1", "2"]
    one = tmp_path / "all.jsonl"  # one file holding several paradigms, UID per line
    one.write_text("".join((DATA / f).read_text() for f in sorted(p.name for p in DATA.iterdir())))
    assert len(read_pairs(one, limit=1)) == 3
    assert {p.uid for p in read_pairs(one, ["adjunct_island"])} == {"adjunct_island"}


def test_the_uid_defaults_to_the_file_stem(tmp_path):
    f = tmp_path / "my_paradigm.jsonl"
    f.write_text(json.dumps({"sentence_good": "a b", "sentence_bad": "b a"}) + "\n")
    (p,) = read_pairs(f)
    assert p.uid == "my_paradigm" and p.field is None


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('{"sentence_good": "a b", "sentence_bad": "b a"}\n{"sentence_good": "a"\n', r"x.jsonl:2: expected a JSON object"),
        ('{"sentence_good": "a b"}\n', r"x.jsonl:1: expected a string 'sentence_bad', got NoneType"),
        ('{"sentence_good": "  ", "sentence_bad": "b a"}\n', r"x.jsonl:1: 'sentence_good' is an empty sentence"),
        ('{"sentence_good": "a", "sentence_bad": "b", "UID": 3}\n', r"x.jsonl:1: expected a string 'UID'"),
        ("\n\n", r"x.jsonl: no minimal pairs \(empty data\)"),
    ],
)  # fmt: skip
def test_bad_data_names_the_file_and_line(tmp_path, body, says):
    f = tmp_path / "x.jsonl"
    f.write_text(body)
    with pytest.raises(InputError, match=says):
        read_pairs(f)


def test_an_unknown_paradigm_lists_the_known_ones():
    with pytest.raises(
        InputError, match="unknown paradigm 'islands'; known paradigms: adjunct_island, anaphor"
    ):
        read_pairs(DATA, ["islands"])


def _score(uid: str, good: float, bad: float) -> PairScore:
    p = MinimalPair(uid, "g", "b")
    return PairScore(p, PLLScore("g", good, [], []), PLLScore("b", bad, [], []))


def test_a_tie_is_wrong_and_overall_is_the_mean_over_paradigms():
    scored = [_score("a", -1, -2), _score("a", -3, -3), _score("a", -5, -4), _score("b", -1, -9)]
    res = summarize(scored, "word_l2r")
    assert res["paradigms"]["a"]["accuracy"] == pytest.approx(1 / 3)
    assert res["paradigms"]["a"]["ties"] == 1
    assert res["paradigms"]["b"]["accuracy"] == 1.0
    assert res["overall"] == pytest.approx((1 / 3 + 1) / 2)  # mean over paradigms
    assert res["overall_pairs"] == pytest.approx(2 / 4)  # mean over pairs
    field = res["fields"]["(none)"]
    assert (field["paradigms"], field["n"], field["accuracy"]) == (2, 4, pytest.approx(2 / 3))
    assert field["ci"] is None and res["paradigms"]["b"]["ci"] is None  # b has one pair
    lo, hi = res["paradigms"]["a"]["ci"]
    assert 0 <= lo <= 1 / 3 <= hi <= 1


def test_cli_writes_a_traceable_run(run_cli, tiny_bert_dir, tmp_path):
    out = tmp_path / "run"
    proc = run_cli("blimp", "-m", str(tiny_bert_dir), "--data", str(DATA), "--metric", "original",
                   "--set", "impl.device=cpu", "--out", str(out), cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    res = json.loads((out / "results.json").read_text())
    assert res["schema"] == 1 and res["metric"] == "original" and res["n_pairs"] == 16
    assert set(res["paradigms"]["adjunct_island"]) >= {"n", "accuracy", "field", "linguistics_term"}
    assert set(res["fields"]) == {"syntax", "morphology"}
    assert res["fields"]["morphology"]["paradigms"] == 2 and res["fields"]["morphology"]["n"] == 12
    rows = [json.loads(x) for x in (out / "pairs.jsonl").read_text().splitlines()]
    assert len(rows) == 16
    for r in rows:
        assert r["pll_good"] == pytest.approx(sum(r["log_probs_good"]), abs=1e-9)
        assert r["pll_bad"] == pytest.approx(sum(r["log_probs_bad"]), abs=1e-9)
        assert r["right"] == (r["pll_good"] > r["pll_bad"])
    right = sum(r["right"] for r in rows)
    assert res["overall_pairs"] == pytest.approx(right / 16)
    for f in (
        "config.yaml",
        "env.json",
        "metrics.jsonl",
        "report.html",
        "figures/blimp_by_field.png",
        "figures/blimp_by_paradigm.png",
    ):
        assert (out / f).is_file(), f
