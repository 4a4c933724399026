"""Triple classification: the threshold is chosen on dev only (ties: the lowest), accuracy is
measured on test, and sampled negatives are never true."""

from __future__ import annotations

import json
import math

import pytest

from bertology.data.facts import Fact, split_by_subject
from bertology.kbc.classify import Judged, choose_threshold, classification, sample_negatives
from bertology.kbc.config import KBCConfig
from bertology.kbc.data import read_kbc_facts
from bertology.kbc.run import kbc

from .conftest import CAPITAL, CAPITALS, MATERIAL, MATERIALS, write_jsonl


def test_the_threshold_maximises_accuracy_and_a_tie_goes_to_the_lowest():
    assert choose_threshold([1, 2, 3, 4], [False, False, True, True]) == (3, 1.0)
    # t = 1, t = 3 and +inf all get 2 of 4 right: the lowest wins
    assert choose_threshold([4, 3, 2, 1], [False, True, False, True]) == (1, 0.5)
    # tied scores move together: t = 1 and t = 2 both get 2 of 3
    assert choose_threshold([1, 1, 2], [True, False, True]) == (1, pytest.approx(2 / 3))
    # calling everything false is a candidate too
    assert choose_threshold([1, 2], [False, False]) == (math.inf, 1.0)


def _judged(relation: str, split: str, pairs: list[tuple[float, bool]]) -> list[Judged]:
    return [
        Judged(Fact(f"s{i}", relation, f"o{i}", ("[MASK] .",)), split, y, x, "data")
        for i, (x, y) in enumerate(pairs)
    ]


def test_the_threshold_is_chosen_on_dev_when_test_would_prefer_another():
    dev = _judged("r", "dev", [(-3, False), (-2, True), (-1.5, True), (-1, True)])  # t = -2
    test = _judged("r", "test", [(-3, False), (-2, False), (-1.5, False), (-1, True)])  # t = -1
    assert choose_threshold([j.log_prob for j in test], [j.label for j in test])[0] == -1
    out, rows = classification(dev + test)
    r = out["relations"]["r"]
    assert r["threshold"] == -2 and r["threshold_from"] == "relation"
    assert r["dev_accuracy"] == 1.0
    assert r["accuracy"] == 0.5 and r["n"] == 4 and r["n_dev"] == 4 and r["n_negative"] == 3
    assert out["micro"] == {"accuracy": 0.5, "accuracy_ci": pytest.approx([0.0, 1.0]), "n": 4}
    test_rows = [row for row in rows if row["split"] == "test"]
    assert [row["predicted"] for row in test_rows] == [0, 1, 1, 1]


def test_a_relation_without_dev_takes_the_threshold_of_all_dev_pooled():
    dev = _judged("a", "dev", [(-3, False), (-1, True)])
    test = _judged("b", "test", [(-2, False), (-0.5, True)])
    out, _ = classification(dev + test)
    assert out["relations"]["b"]["threshold"] == -1
    assert out["relations"]["b"]["threshold_from"] == "pooled"
    assert out["relations"]["b"]["accuracy"] == 1.0 and "a" not in out["relations"]


def test_sampled_negatives_are_false_one_token_objects_of_the_relation(wordpiece_tokenizer):
    facts = [Fact(s, "capital", o, (f"{s} is the capital of [MASK] .",)) for s, o in CAPITALS]
    truth: dict[tuple[str, str], set[str]] = {}
    for f in facts:
        truth.setdefault((f.subject, f.relation), set()).add(f.object)
    objects = {"capital": sorted({f.object for f in facts} | {"extraordinarily"})}
    neg, none = sample_negatives(facts, objects, truth, wordpiece_tokenizer, seed=3)
    assert none == 0 and len(neg) == len(facts)
    for f, n in zip(facts, neg, strict=True):
        assert n.subject == f.subject and n.prompts == f.prompts
        assert n.object not in truth[f.subject, "capital"] and n.object != "extraordinarily"
    again, _ = sample_negatives(facts[::-1], objects, truth, wordpiece_tokenizer, seed=3)
    assert again[::-1] == neg  # seeded per triple: the file's order does not matter
    other, _ = sample_negatives(facts, objects, truth, wordpiece_tokenizer, seed=4)
    assert other != neg


def _tsv(tmp_path):
    """A ConceptNet-style TSV: true triples (labels and weights), false ones (label 0)."""
    lines = [f"capital\t{s}\t{o}\t1" for s, o in CAPITALS]
    lines += [f"material\t{s}\t{o}\t2.5" for s, o in MATERIALS]
    lines += [f"capital\t{s}\tgermany\t0" for s, o in CAPITALS if s not in ("berlin", "bird")]
    lines += ["material\tpaper clip\twood", "material\tpaper clip\tglass\t0"]
    path = tmp_path / "cn.txt"
    path.write_text("\n".join(lines) + "\n")
    rel = write_jsonl(
        tmp_path / "relations.jsonl",
        [
            {"relation": "capital", "template": CAPITAL},
            {"relation": "material", "template": MATERIAL},
        ],
    )
    return path, rel


def _best_on(rows: list[dict]) -> float:
    """The dev threshold, by brute force: every dev score and +inf, the best accuracy, the
    lowest threshold among the best."""
    cands = sorted({r["log_prob"] for r in rows}) + [math.inf]
    acc = [sum((r["log_prob"] >= t) == bool(r["label"]) for r in rows) for t in cands]
    return cands[acc.index(max(acc))]


def test_classification_of_a_conceptnet_file_uses_dev_thresholds_and_data_negatives(
    tmp_path, scaled_bert, wordpiece_tokenizer, brute_force_ranks
):
    path, rel = _tsv(tmp_path)
    cfg = KBCConfig(model="m", facts=str(path), relations_file=str(rel),
                    split_ratios=(0.5, 0.25, 0.25), candidates="relation")  # fmt: skip
    results = kbc(cfg, tmp_path / "run", scaled_bert, wordpiece_tokenizer)
    assert results["format"] == "conceptnet"
    cls = results["classification"]
    assert cls["thresholds_on"] == "dev split"
    lines = (tmp_path / "run" / "classification.jsonl").read_text().splitlines()
    full = [r for r in map(json.loads, lines) if r["variant"] == "full"]
    for split in ("dev", "test"):
        clip = any(r["subject"] == "paper clip" and r["split"] == split for r in full)
        origins = cls["splits"][split]["negatives"]
        assert origins == {"capital": "data", "material": "data" if clip else "sampled"}
    templates = {"capital": CAPITAL, "material": MATERIAL}
    logp = brute_force_ranks(
        scaled_bert,
        wordpiece_tokenizer,
        [(r["subject"], r["relation"], r["object"]) for r in full],
        templates,
        {"capital": {"germany"}, "material": {"wood"}},
    )
    assert [r["log_prob"] for r in full] == pytest.approx([w[2] for w in logp], abs=1e-5)
    for relation, m in cls["variants"]["full"]["relations"].items():
        dev = [r for r in full if r["relation"] == relation and r["split"] == "dev"]
        test = [r for r in full if r["relation"] == relation and r["split"] == "test"]
        assert dev and test and any(not r["label"] for r in test)
        assert m["threshold"] == _best_on(dev)
        right = [(r["log_prob"] >= m["threshold"]) == bool(r["label"]) for r in test]
        assert m["accuracy"] == pytest.approx(sum(right) / len(right)) and m["n"] == len(test)
    # dev and test triples come from the dev and test splits of the subjects
    positives = read_kbc_facts(path, rel).facts.facts
    splits = split_by_subject(positives, (0.5, 0.25, 0.25), 0)
    for split in ("dev", "test"):
        want = {(f.subject, f.relation) for f in splits[split]}
        got = {(r["subject"], r["relation"]) for r in full if r["split"] == split}
        assert got <= want and got & want
    # the data's false triples are in the splits of their subjects' true ones
    true = {(r["subject"], r["relation"], r["split"]) for r in full if r["label"]}
    false = [r for r in full if not r["label"] and r["origin"] == "data"]
    assert false and all((r["subject"], r["relation"], r["split"]) in true for r in false)
