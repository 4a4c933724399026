"""The numbers ``bertology uas`` reports, derived from word-level attention that the test
writes itself, recomputed here with plain loops: per-head UAS and continuous scores, the best
head and its tie rule, per-relation best heads and offset baselines, the best baseline,
relation order, and the edge cases (padding slots, one-word sentences, word 0 as a parent,
variants with no words).
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
import torch

from bertology.data.dependency import DependencySentence
from bertology.errors import InputError
from bertology.syntax.uas import UASCounter

OFFS = (-3, -2, -1, 1, 2, 3)
DIRS = ("dep_to_head", "head_to_dep")


def sent(heads: list[int], deprels: list[str]) -> DependencySentence:
    n = len(heads)
    return DependencySentence(
        forms=[f"w{i}" for i in range(n)], heads=heads, deprels=deprels, upos=["X"] * n
    )


# Word 0 is a parent ("Go home ."), a one-word sentence, punctuation as the first relation of
# a sentence, relations of equal frequency (their order: first seen first).
SENTENCES = [
    sent([2, 0, 2, 2], ["nsubj", "root", "obj", "punct"]),
    sent([0, 1, 1], ["root", "obj", "punct"]),
    sent([0], ["root"]),
    sent([3, 3, 0, 5, 3, 3], ["punct", "det", "root", "det", "obj", "advmod"]),
    sent([0, 1], ["root", "obj"]),
]


# --- an independent computation, as plain loops ----------------------------------------------


def reference(sentences: list[DependencySentence], att: list, min_count: int) -> dict[str, Any]:
    """Every reported number from ``att[s][l][h][i][j]`` (word-level attention of sentence s),
    straight from the definitions in DESIGN.md and the uas module docstring."""
    L, H = len(att[0]), len(att[0][0])
    cells = [(layer, h, d) for layer in range(L) for h in range(H) for d in range(2)]
    correct = {v: dict.fromkeys(cells, 0) for v in ("reference", "clean")}
    on_gold = {v: dict.fromkeys(cells, 0.0) for v in ("reference", "clean")}
    n = {"reference": 0, "clean": 0}
    offsets = {v: dict.fromkeys(OFFS, 0) for v in ("reference", "clean")}
    rel_n: dict[str, int] = {}
    rel_correct: dict[str, dict] = {}
    rel_offsets: dict[str, dict[int, int]] = {}
    for s, a in zip(sentences, att, strict=True):
        m = len(s.heads)
        for i in range(m):
            parent = s.heads[i] - 1
            rel = s.deprels[i]
            variants = ["reference"] + ([] if rel in ("punct", "root", "ROOT") else ["clean"])
            rel_n[rel] = rel_n.get(rel, 0) + 1
            rel_correct.setdefault(rel, dict.fromkeys(cells, 0))
            rel_offsets.setdefault(rel, dict.fromkeys(OFFS, 0))
            for v in variants:
                n[v] += 1
            for k in OFFS:
                if 0 <= i + k < m and i + k == parent:
                    rel_offsets[rel][k] += 1
                    for v in variants:
                        offsets[v][k] += 1
            for layer, h, d in cells:
                aw = a[layer][h]
                best, arg = -math.inf, None
                for j in range(m):
                    if j != i:
                        value = aw[i][j] if d == 0 else aw[j][i]
                        if value > best:  # strict: ties keep the lowest j
                            best, arg = value, j
                hit = int(arg == parent)
                gold_attn = 0.0 if parent < 0 else (aw[i][parent] if d == 0 else aw[parent][i])
                rel_correct[rel][layer, h, d] += hit
                for v in variants:
                    correct[v][layer, h, d] += hit
                    on_gold[v][layer, h, d] += gold_attn

    def best_cell(score: dict) -> dict[str, Any]:
        top = max(score.values())
        layer, h, d = next(c for c in cells if score[c] == top)  # lowest (layer, head, dir)
        return {"layer": layer, "head": h, "direction": DIRS[d], "uas": top}

    def best_offset(score: dict[int, float]) -> tuple[str, float]:
        top = max(score.values())
        k = next(k for k in OFFS if score[k] == top)  # the first of OFFS on a tie
        return f"{k:+d}", top

    uas = {v: {c: correct[v][c] / n[v] if n[v] else 0.0 for c in cells} for v in n}
    cont = {v: {c: on_gold[v][c] / n[v] if n[v] else 0.0 for c in cells} for v in n}
    base = {
        v: {f"{k:+d}": offsets[v][k] / n[v] if n[v] else 0.0 for k in OFFS}
        for v in ("reference", "clean")
    }
    first_seen = list(rel_n)
    frequent = sorted(
        (r for r in first_seen if rel_n[r] >= min_count and r not in ("root", "ROOT")),
        key=lambda r: (-rel_n[r], first_seen.index(r)),
    )
    by_relation = {}
    for r in frequent:
        row = {"n": rel_n[r], **best_cell({c: rel_correct[r][c] / rel_n[r] for c in cells})}
        name, value = best_offset({k: rel_offsets[r][k] / rel_n[r] for k in OFFS})
        row["best_offset"], row["offset_uas"] = name, value
        by_relation[r] = row
    best_baseline = {}
    for v in ("reference", "clean"):
        name, value = best_offset({k: base[v][f"{k:+d}"] for k in OFFS})
        best_baseline[v] = {"offset": name, "uas": value}
    return {
        "n": n,
        "uas": uas,
        "continuous": cont,
        "best": {v: best_cell(uas[v]) for v in n},
        "best_continuous": {v: best_cell(cont[v]) for v in n},
        "baselines": {
            **base,
            "by_relation": {
                r: {f"{k:+d}": rel_offsets[r][k] / rel_n[r] for k in OFFS} for r in frequent
            },
        },
        "best_baseline": best_baseline,
        "by_relation": by_relation,
        "relation_counts": rel_n,
        "cells": cells,
    }


def padded(att: list, sentences: list[DependencySentence], W: int, garbage: float) -> torch.Tensor:
    """(B, L, H, W, W) attention with ``garbage`` in every padding row and column."""
    L, H = len(att[0]), len(att[0][0])
    out = torch.full((len(sentences), L, H, W, W), garbage, dtype=torch.float64)
    for b, (s, a) in enumerate(zip(sentences, att, strict=True)):
        m = len(s.heads)
        out[b, :, :, :m, :m] = torch.tensor(a, dtype=torch.float64)
    return out


def random_attention(sentences: list[DependencySentence], L: int, H: int, seed: int) -> list:
    """Word-level attention as quarters (exact ties are frequent), per sentence."""
    rng = random.Random(seed)
    return [
        [
            [[[rng.randint(0, 4) / 4 for _ in s.heads] for _ in s.heads] for _ in range(H)]
            for _ in range(L)
        ]
        for s in sentences
    ]


def assert_matches(res: dict[str, Any], ref: dict[str, Any]) -> None:
    """Every reported number of ``to_results`` equals the loops' value, exactly: the
    attention values are quarters (sums exact in float64) and each score is one division of
    the same two integers."""
    assert res["n_words"] == ref["n"]["reference"]
    assert res["n_words_clean"] == ref["n"]["clean"]
    for v in ("reference", "clean"):
        for layer, h, d in ref["cells"]:
            got = res["uas"][v][DIRS[d]][layer][h]
            assert got == ref["uas"][v][layer, h, d]
            got = res["continuous"][v][DIRS[d]][layer][h]
            assert got == ref["continuous"][v][layer, h, d]
        assert res["best"][v] == ref["best"][v]
        assert res["best_continuous"][v] == ref["best_continuous"][v]
        assert res["baselines"][v] == ref["baselines"][v]
        assert res["best_baseline"][v] == ref["best_baseline"][v]
    assert res["baselines"]["by_relation"] == ref["baselines"]["by_relation"]
    assert list(res["baselines"]["by_relation"]) == list(ref["baselines"]["by_relation"])
    assert res["by_relation"] == ref["by_relation"]
    assert list(res["by_relation"]) == list(ref["by_relation"])  # most frequent first
    assert res["relation_counts"] == ref["relation_counts"]
    for value in (res["uas"], res["continuous"], res["baselines"], res["best_baseline"]):
        assert "nan" not in repr(value)


# --- tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("min_count", [1, 2, 3])
def test_reported_numbers_equal_plain_loops(seed: int, min_count: int) -> None:
    """to_results against the loops, with garbage larger than any attention in the padding
    slots (padding is never a predicted parent), in one batch."""
    att = random_attention(SENTENCES, L=2, H=3, seed=seed)
    W = max(len(s.heads) for s in SENTENCES) + 2
    counter = UASCounter(2, 3)
    counter.add(padded(att, SENTENCES, W, garbage=9.0), SENTENCES)
    res = counter.result().to_results(min_count=min_count)
    assert_matches(res, reference(SENTENCES, att, min_count))
    assert res["n_sentences"] == len(SENTENCES)


def test_hand_made_offsets_and_relation_order() -> None:
    """A few numbers worked out by hand on the first three sentences.

    Offsets (guess i + k): nsubj w0 -> w1 (+1); obj w2 -> w1 (-1); punct w3 -> w1 (-2);
    "Go home .": obj w1 -> w0 (-1), punct w2 -> w0 (-2); roots never. Reference n = 8,
    clean n = 3 (nsubj, obj, obj).
    """
    sentences = SENTENCES[:3]
    att = random_attention(sentences, L=1, H=1, seed=5)
    counter = UASCounter(1, 1)
    counter.add(padded(att, sentences, 4, garbage=0.0), sentences)
    r = counter.result()
    base = r.baselines(min_count=1)
    assert base["reference"] == pytest.approx(
        {"-3": 0, "-2": 2 / 8, "-1": 2 / 8, "+1": 1 / 8, "+2": 0, "+3": 0}
    )
    assert base["clean"] == pytest.approx(
        {"-3": 0, "-2": 0, "-1": 2 / 3, "+1": 1 / 3, "+2": 0, "+3": 0}
    )
    assert r.best_baseline("reference") == {"offset": "-2", "uas": 0.25}  # tie: first of OFFS
    assert r.best_baseline("clean") == pytest.approx({"offset": "-1", "uas": 2 / 3})
    rows = r.by_relation(min_count=1)
    assert list(rows) == ["obj", "punct", "nsubj"]  # 2, 2 (obj seen first), 1; no root
    assert [(rows[x]["best_offset"], rows[x]["offset_uas"]) for x in rows] == [
        ("-1", 1.0),
        ("-2", 1.0),
        ("+1", 1.0),
    ]
    assert r.relation_counts() == {"nsubj": 1, "root": 3, "obj": 2, "punct": 2}


def test_one_counted_word_and_no_counted_words() -> None:
    """Scores are fractions of the words counted: with one clean word a hit is 1.0; with
    none (a root and a punctuation mark) every clean score is 0, not NaN, beside n = 0."""
    one = [sent([0, 1], ["root", "obj"])]  # w1's parent is w0
    a = torch.tensor([[[[[0.0, 0.25], [0.75, 0.0]]]]], dtype=torch.float64)  # (1,1,1,2,2)
    counter = UASCounter(1, 1)
    counter.add(a, one)
    r = counter.result()
    assert r.n == {"reference": 2, "clean": 1}
    assert r.uas("clean")[0, 0, 0] == 1.0  # w1 -> w0 (dep_to_head)
    assert r.uas("reference")[0, 0, 0] == 0.5  # the root counts as wrong
    assert r.continuous("clean")[0, 0].tolist() == [0.75, 0.25]  # A[1, 0] and A[0, 1]
    assert r.continuous("reference")[0, 0].tolist() == [0.375, 0.125]
    assert r.baselines()["clean"]["-1"] == 1.0
    assert r.best_baseline("clean") == {"offset": "-1", "uas": 1.0}
    assert r.best_baseline("reference") == {"offset": "-1", "uas": 0.5}

    none = [sent([0, 1], ["root", "punct"])]
    counter = UASCounter(1, 1)
    counter.add(a, none)
    r = counter.result()
    assert r.n == {"reference": 2, "clean": 0}
    assert r.uas("clean").tolist() == [[[0.0, 0.0]]]
    assert r.continuous("clean").tolist() == [[[0.0, 0.0]]]
    assert set(r.baselines()["clean"].values()) == {0.0}
    assert r.best_baseline("clean") == {"offset": "-3", "uas": 0.0}
    assert r.best("clean")["uas"] == 0.0


def test_one_word_sentence_batched_with_a_two_word_one() -> None:
    """W = 2 with a one-word sentence padded: the padding slot is never counted or read."""
    batch = [sent([0], ["root"]), sent([0, 1], ["root", "obj"])]
    att = [[[[[1.0]]]], [[[[0.0, 0.25], [0.75, 0.0]]]]]
    counter = UASCounter(1, 1)
    counter.add(padded(att, batch, 2, garbage=5.0), batch)
    res = counter.result().to_results(min_count=1)
    assert_matches(res, reference(batch, att, 1))
    assert res["n_words"] == 3 and res["uas"]["clean"]["dep_to_head"] == [[1.0]]


def test_unknown_variant_is_a_clear_error() -> None:
    counter = UASCounter(1, 1)
    counter.add(torch.zeros(1, 1, 1, 2, 2), [sent([0, 1], ["root", "obj"])])
    r = counter.result()
    for f in (r.uas, r.continuous):
        with pytest.raises(InputError, match="unknown UAS variant 'all'"):
            f("all")


def test_throughput_is_sentences_per_second() -> None:
    counter = UASCounter(1, 1)
    counter.add(torch.zeros(2, 1, 1, 2, 2), [sent([0, 1], ["root", "obj"])] * 2)
    res = counter.result(elapsed_s=0.5).to_results()
    assert res["throughput"] == {"elapsed_s": 0.5, "sentences_per_s": 4.0}
    assert counter.result().to_results()["throughput"]["sentences_per_s"] is None


def test_counts_are_exact_integers_after_many_batches() -> None:
    """Streaming many batches (each sentence alone) gives the one-batch numbers."""
    att = random_attention(SENTENCES, L=1, H=2, seed=7)
    whole = UASCounter(1, 2)
    whole.add(padded(att, SENTENCES, 6, garbage=3.0), SENTENCES)
    streamed = UASCounter(1, 2)
    for s, a in zip(SENTENCES, att, strict=True):
        streamed.add(padded([a], [s], len(s.heads), garbage=0.0), [s])
    for v in ("reference", "clean"):
        np.testing.assert_array_equal(streamed.result().correct[v], whole.result().correct[v])
    assert streamed.result().to_results(1) == whole.result().to_results(1)
