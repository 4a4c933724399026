"""Tail-prediction ranks, raw and filtered, equal a brute force written apart from bertology,
and the metrics are means over full (never truncated) ranks."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
import torch

from bertology.data.facts import Fact
from bertology.kbc.config import KBCConfig
from bertology.kbc.ranking import filtered_rank, rank_queries
from bertology.kbc.run import kbc
from bertology.probe.scoring import rank_of

from .conftest import CAPITAL, CAPITALS, MATERIAL, MATERIALS

TEMPLATES = {"capital": CAPITAL, "material": MATERIAL}
TRIPLES = [(s, "capital", o) for s, o in CAPITALS] + [(s, "material", o) for s, o in MATERIALS]


def _truth() -> dict[tuple[str, str], set[str]]:
    truth: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s, r, o in [*TRIPLES, ("wheel", "material", "extraordinarily")]:
        truth[s, r].add(o)
    return dict(truth)


def _candidates(kind: str) -> dict[str, set[str]]:
    if kind == "entities":
        every = {w for s, _, o in TRIPLES for w in (s, o)} | {"extraordinarily"}
        return {"capital": every, "material": every}
    return {r: {o for _, rr, o in TRIPLES if rr == r} for r in TEMPLATES}


def _rows(run) -> dict[tuple[str, str, str, str], dict]:
    lines = [json.loads(x) for x in (run / "ranks.jsonl").read_text().splitlines()]
    return {
        (r["variant"], r["subject"], r["relation"], r["object"]): r for r in lines if "rank" in r
    }


@pytest.mark.parametrize("candidates", ["entities", "relation"])
def test_raw_and_filtered_ranks_equal_a_brute_force(
    tmp_path, kb_files, scaled_bert, wordpiece_tokenizer, brute_force_ranks, candidates
):
    facts, rel = kb_files
    cfg = KBCConfig(
        model="scaled", facts=str(facts), relations_file=str(rel), split="all",
        candidates=candidates, filtered=True,
    )  # fmt: skip
    cfg.validate()
    results = kbc(cfg, tmp_path / "run", scaled_bert, wordpiece_tokenizer)
    rows = _rows(tmp_path / "run")
    want = brute_force_ranks(
        scaled_bert, wordpiece_tokenizer, TRIPLES, TEMPLATES, _candidates(candidates), _truth()
    )
    got = [rows["full", s, r, o] for s, r, o in TRIPLES]
    assert [(g["rank"], g["filtered_rank"]) for g in got] == [(w[0], w[1]) for w in want]
    assert [g["log_prob"] for g in got] == pytest.approx([w[2] for w in want], abs=1e-5)
    # the fixture exercises what it checks: filtering changes ranks; with entities, ranks go
    # past 5 (LAMP's truncation) and past 10
    assert any(w[1] < w[0] for w in want)
    if candidates == "entities":
        assert any(5 < w[0] <= 10 for w in want) and max(w[0] for w in want) > 10
    assert results["skipped"] == {"multi_token_object": 1}

    # the metrics are means over these full ranks
    for setting, i in (("raw", 0), ("filtered", 1)):
        ranks = [w[i] for w in want]
        micro = results["ranking"]["full"][setting]["micro"]
        assert micro["n"] == len(ranks)
        for k in (1, 3, 10):
            assert micro[f"hits@{k}"] == pytest.approx(sum(r <= k for r in ranks) / len(ranks))
        assert micro["mrr"] == pytest.approx(sum(1 / r for r in ranks) / len(ranks))
        lo, hi = micro["mrr_ci"]
        assert lo <= micro["mrr"] <= hi
        per = results["ranking"]["full"][setting]["relations"]
        means = [
            sum(1 / w[i] for w, t in zip(want, TRIPLES, strict=True) if t[1] == r) / 12
            for r in ("capital", "material")
        ]
        assert per["capital"]["mrr"] == pytest.approx(means[0])
        macro = results["ranking"]["full"][setting]["macro"]["mrr"]
        assert macro == pytest.approx(sum(means) / 2)


def test_a_tie_with_the_gold_object_does_not_lower_its_rank():
    log_probs = torch.tensor([-1.0, -2.0, -1.0, -0.5, -3.0])  # (V,)
    cands = torch.tensor([0, 1, 2, 3])
    assert rank_of(log_probs, 0, cands) == 2  # only id 3 is strictly higher; id 2 ties
    assert filtered_rank(log_probs, 0, cands, torch.tensor([3])) == 1
    assert filtered_rank(log_probs, 0, cands, torch.tensor([2])) == 2  # a tie removed: no change
    assert filtered_rank(log_probs, 1, None, torch.tensor([0])) == 3  # whole vocabulary: 2, 3


def test_a_filtered_query_excludes_exactly_the_other_true_objects_of_its_subject(
    wordpiece_tokenizer,
):
    from bertology.probe.scoring import prepare_facts

    facts = [Fact(s, "capital", o, (f"{s} is the capital of [MASK] .",)) for s, o in CAPITALS]
    truth = _truth()
    prepared, _ = prepare_facts(facts, wordpiece_tokenizer, "relation")
    queries = rank_queries(prepared, wordpiece_tokenizer, truth)
    ids = wordpiece_tokenizer.convert_tokens_to_ids
    for q in queries:
        others = truth[q.fact.subject, "capital"] - {q.fact.object}
        assert q.exclude.tolist() == sorted(ids(sorted(others)))  # never the gold itself
        assert q.gold_id not in q.exclude.tolist()


def test_filtering_removes_only_the_same_subjects_true_objects(
    tmp_path, kb_files, scaled_bert, wordpiece_tokenizer
):
    """Another subject's objects stay candidates: filtering by relation alone is wrong."""
    facts, rel = kb_files
    cfg = KBCConfig(model="m", facts=str(facts), relations_file=str(rel), split="all",
                    candidates="relation", filtered=True)  # fmt: skip
    kbc(cfg, tmp_path / "run", scaled_bert, wordpiece_tokenizer)
    rows = _rows(tmp_path / "run")
    # rome has one true capital object: its filtered rank is its raw rank
    rome = rows["full", "rome", "capital", "italy"]
    assert rome["filtered_rank"] == rome["rank"]
