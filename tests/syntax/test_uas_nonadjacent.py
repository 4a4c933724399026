"""Non-adjacent UAS, per-sentence counts, the best head's margin over the offset baseline and
what the ``uas`` evaluator logs, against plain loops on word-level attention written here."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from bertology.data.dependency import DependencySentence
from bertology.syntax.uas import UASCounter
from bertology.syntax.uas_result import SentenceCounts, UASResult

OFFS = (-3, -2, -1, 1, 2, 3)
DIRS = ("dep_to_head", "head_to_dep")
EXCLUDED = ("punct", "root", "ROOT")


def sent(heads: list[int], deprels: list[str]) -> DependencySentence:
    n = len(heads)
    return DependencySentence(
        forms=[f"w{i}" for i in range(n)], heads=heads, deprels=deprels, upos=["X"] * n
    )


def random_sentences(k: int, seed: int) -> list[DependencySentence]:
    """Random heads (not always trees: the counts do not need one), every distance from 1 to
    the sentence length, punctuation and roots among them; one-word sentences too."""
    rng = random.Random(seed)
    out = []
    for _ in range(k):
        n = rng.randint(1, 9)
        root = rng.randrange(n)
        heads = [0 if i == root else rng.choice([j for j in range(1, n + 1) if j != i + 1])
                 for i in range(n)]  # fmt: skip
        rels = ["root" if h == 0 else rng.choice(["nsubj", "obj", "det", "punct"]) for h in heads]
        out.append(sent(heads, rels))
    return out


def random_attention(sentences: list[DependencySentence], L: int, H: int, seed: int) -> list:
    """Word-level attention as quarters (exact ties are frequent), per sentence [l][h][i][j]."""
    rng = random.Random(seed)
    return [
        [[[[rng.randint(0, 4) / 4 for _ in s.heads] for _ in s.heads] for _ in range(H)]
         for _ in range(L)]
        for s in sentences
    ]  # fmt: skip


def padded(att: list, sentences: list[DependencySentence], W: int, garbage: float) -> torch.Tensor:
    L, H = len(att[0]), len(att[0][0])
    out = torch.full((len(sentences), L, H, W, W), garbage, dtype=torch.float64)
    for b, (s, a) in enumerate(zip(sentences, att, strict=True)):
        m = len(s.heads)
        out[b, :, :, :m, :m] = torch.tensor(a, dtype=torch.float64)
    return out


def count(sentences: list[DependencySentence], att: list, batch: int = 3) -> UASResult:
    L, H = len(att[0]), len(att[0][0])
    counter = UASCounter(L, H)
    for k in range(0, len(sentences), batch):
        part = sentences[k : k + batch]
        W = max(len(s.heads) for s in part) + 1
        counter.add(padded(att[k : k + batch], part, W, garbage=9.0), part)
    return counter.result()


def loops(sentences: list[DependencySentence], att: list) -> dict:
    """Per sentence and variant: hits of every cell and every offset, on all arcs and on the
    non-adjacent ones (gold parent j with |i - j| > 1), and the word counts, from the
    definitions."""
    L, H = len(att[0]), len(att[0][0])
    out = {v: {"correct": [], "nonadj_correct": [], "n": [], "nonadj_n": [],
               "offset_correct": [], "nonadj_offset_correct": []}
           for v in ("reference", "clean")}  # fmt: skip
    for s, a in zip(sentences, att, strict=True):
        m = len(s.heads)
        rows = {v: {k: np.zeros((L, H, 2)) for k in ("correct", "nonadj_correct")}
                for v in out}  # fmt: skip
        offs = {v: {k: np.zeros(len(OFFS)) for k in ("all", "nonadj")} for v in out}
        n = {v: {"all": 0, "nonadj": 0} for v in out}
        for i in range(m):
            parent = s.heads[i] - 1
            variants = ["reference"] + ([] if s.deprels[i] in EXCLUDED else ["clean"])
            far = parent >= 0 and abs(i - parent) > 1
            for v in variants:
                n[v]["all"] += 1
                n[v]["nonadj"] += far
                for x, k in enumerate(OFFS):
                    hit = 0 <= i + k < m and i + k == parent
                    offs[v]["all"][x] += hit
                    offs[v]["nonadj"][x] += hit and far
            for layer in range(L):
                for h in range(H):
                    for d in range(2):
                        best, arg = -1.0, None
                        for j in range(m):
                            value = a[layer][h][i][j] if d == 0 else a[layer][h][j][i]
                            if j != i and value > best:  # ties keep the lowest j
                                best, arg = value, j
                        hit = arg == parent
                        for v in variants:
                            rows[v]["correct"][layer, h, d] += hit
                            rows[v]["nonadj_correct"][layer, h, d] += hit and far
        for v in out:
            out[v]["correct"].append(rows[v]["correct"])
            out[v]["nonadj_correct"].append(rows[v]["nonadj_correct"])
            out[v]["n"].append(n[v]["all"])
            out[v]["nonadj_n"].append(n[v]["nonadj"])
            out[v]["offset_correct"].append(offs[v]["all"])
            out[v]["nonadj_offset_correct"].append(offs[v]["nonadj"])
    return {v: {k: np.array(x) for k, x in d.items()} for v, d in out.items()}


def best_cell(score: np.ndarray) -> dict:
    L, H, _ = score.shape
    cells = [(layer, h, d) for layer in range(L) for h in range(H) for d in range(2)]
    top = max(score[c] for c in cells)
    layer, h, d = next(c for c in cells if score[c] == top)  # lowest (layer, head, dir)
    return {"layer": layer, "head": h, "direction": DIRS[d], "uas": float(top)}


# --- non-adjacent UAS and per-sentence counts ------------------------------------------------


def test_hand_made_non_adjacent_arcs() -> None:
    """The dog chased the cat . -- arcs The->dog, dog->chased, the->cat are adjacent; cat->chased
    (2 away) and .->chased (3 away) are not; the root has none. Clean: cat only (n = 1);
    reference: cat and the full stop (n = 2). Head 0 points every word at its parent, head 1
    at the next word (right only on adjacent arcs)."""
    s = sent([2, 3, 0, 5, 3, 3], ["det", "nsubj", "root", "det", "obj", "punct"])
    a = torch.zeros(1, 1, 2, 6, 6, dtype=torch.float64)
    for i, h in enumerate(s.heads):
        a[0, 0, 0, i, h - 1 if h else (i + 1) % 6] = 1.0
        a[0, 0, 1, i, min(i + 1, 5) if i < 5 else 4] = 1.0
    counter = UASCounter(1, 2)
    counter.add(a, [s])
    r = counter.result()
    assert (r.n_nonadjacent("clean"), r.n_nonadjacent("reference")) == (1, 2)
    assert r.uas_nonadjacent("clean")[0, :, 0].tolist() == [1.0, 0.0]
    assert r.uas_nonadjacent("reference")[0, :, 0].tolist() == [1.0, 0.0]
    assert r.uas("clean")[0, 1, 0] == 0.75  # the next-word head: 3 of 4 clean words
    b = r.best_head("clean")
    assert (b["layer"], b["head"], b["uas"], b["uas_nonadjacent"]) == (0, 0, 1.0, 1.0)
    assert b["n_nonadjacent"] == 1 and b["n_words"] == 4 and b["n_sentences"] == 1
    # offsets on non-adjacent arcs: cat->chased is -2, .->chased is -3
    assert r.best_baseline_nonadjacent("clean") == {"offset": "-2", "uas": 1.0}
    assert r.best_baseline_nonadjacent("reference") == {"offset": "-3", "uas": 0.5}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_non_adjacent_and_per_sentence_counts_equal_plain_loops(seed: int) -> None:
    """Every per-sentence count, the non-adjacent UAS grid, its best head and baseline, against
    the loops; sentences streamed in batches of 3 with garbage in the padding."""
    sentences = random_sentences(11, seed)
    att = random_attention(sentences, L=2, H=3, seed=seed)
    r = count(sentences, att)
    ref = loops(sentences, att)
    for v in ("reference", "clean"):
        sc = r.sentences[v]
        for name in ("correct", "nonadj_correct", "n", "nonadj_n", "offset_correct",
                     "nonadj_offset_correct"):  # fmt: skip
            np.testing.assert_array_equal(getattr(sc, name), ref[v][name], err_msg=name)
        n_far = int(ref[v]["nonadj_n"].sum())
        assert n_far > 0 and r.n_nonadjacent(v) == n_far
        grid = ref[v]["nonadj_correct"].sum(0) / n_far
        assert np.array_equal(r.uas_nonadjacent(v), grid)
        assert r.best_nonadjacent(v) == best_cell(grid)
        base = ref[v]["nonadj_offset_correct"].sum(0) / n_far
        k = int(np.argmax(base))
        assert r.best_baseline_nonadjacent(v) == {"offset": f"{OFFS[k]:+d}", "uas": base[k]}
        # the per-sentence counts add up to the totals
        np.testing.assert_array_equal(sc.correct.sum(0), r.correct[v])
        np.testing.assert_array_equal(sc.offset_correct.sum(0), r.offset_correct[v])
        assert int(sc.n.sum()) == r.n[v]
        # the best head's non-adjacent UAS is read at the best head chosen on all arcs
        b = r.best_head(v)
        cell = (b["layer"], b["head"], DIRS.index(b["direction"]))
        assert b["uas_nonadjacent"] == grid[cell]
        assert b["best_nonadjacent"] == best_cell(grid)


def test_results_json_carries_the_non_adjacent_block_and_the_best_head() -> None:
    sentences = random_sentences(8, 4)
    res = count(sentences, random_attention(sentences, 1, 2, 4)).to_results(min_count=1)
    json.dumps(res)  # plain JSON
    for v in ("reference", "clean"):
        block = res["nonadjacent"][v]
        assert set(block) == {"n", "uas", "best", "best_baseline"}
        assert set(block["uas"]) == set(DIRS) and len(block["uas"]["dep_to_head"]) == 1
        b = res["best_head"][v]
        assert {k: b[k] for k in ("layer", "head", "direction", "uas")} == res["best"][v]
        assert b["offset"] == res["best_baseline"][v]["offset"]
        assert b["n_words"] == (res["n_words"] if v == "reference" else res["n_words_clean"])


# --- the margin over the best offset baseline -------------------------------------------------


def test_margin_is_best_head_minus_best_offset_baseline_with_its_sign() -> None:
    """Four clean words, three of whose parents are the previous word: the -1 baseline scores
    3/4. Head 0 gets all four (margin +1/4); with head 0 gone, head 1 gets two (margin -1/4)."""
    s = sent([0, 1, 2, 3, 2], ["root", "obj", "obj", "obj", "obj"])  # w4 -> w1: 3 away
    a = torch.zeros(1, 1, 2, 5, 5, dtype=torch.float64)
    for i, h in enumerate(s.heads):
        if h:
            a[0, 0, 0, i, h - 1] = 1.0  # head 0: the gold parent
    for i, j in [(0, 1), (1, 0), (2, 1), (3, 4), (4, 3)]:
        a[0, 0, 1, i, j] = 1.0  # head 1: right for w1 and w2 only
    for heads, expected in (([0, 1], 0.25), ([1], -0.25)):
        counter = UASCounter(1, len(heads))
        counter.add(a[:, :, heads].clone(), [s])
        b = counter.result().best_head("clean")
        assert (b["offset"], b["offset_uas"]) == ("-1", 0.75)
        assert b["uas_margin"] == pytest.approx(expected)
        assert b["uas_margin"] == b["uas"] - b["offset_uas"]


# --- intervals in the best-head summary ------------------------------------------------------


def by_hand(head: list[int], offset: list[int], n: list[int]) -> UASResult:
    """A one-head result from per-sentence counts (both directions alike, offset -1 the
    only baseline that scores), totals consistent with them."""
    S = len(n)
    correct = np.repeat(np.array(head, dtype=np.int64)[:, None, None, None], 2, axis=3)
    offs = np.zeros((S, len(OFFS)), dtype=np.int64)
    offs[:, OFFS.index(-1)] = offset
    sc = SentenceCounts(correct, correct * 0, np.array(n), np.zeros(S, dtype=np.int64), offs,
                        offs * 0)  # fmt: skip
    per_variant = {v: sc for v in ("reference", "clean")}
    return UASResult(
        n_layers=1, n_heads=1, relations=[],
        correct={v: correct.sum(0).astype(float) for v in per_variant},
        attn_on_gold={v: np.zeros((1, 1, 2)) for v in per_variant},
        n={v: int(sum(n)) for v in per_variant},
        rel_correct=np.zeros((1, 1, 2, 0)), rel_n=np.zeros(0),
        offset_correct={v: offs.sum(0).astype(float) for v in per_variant},
        offset_rel_correct=np.zeros((len(OFFS), 0)), n_sentences=S, sentences=per_variant,
    )  # fmt: skip


def test_margin_interval_is_paired_by_sentence() -> None:
    """Sentences of 4, 8 or 12 words; the head's and the baseline's hits vary a lot over them,
    but the head gets exactly a quarter of each sentence's words more than the baseline. Only
    resampling sentences whole (the head's hits, the baseline's and the word count together)
    makes the margin 1/4 in every resample; the head's own interval is wide."""
    rng = np.random.default_rng(0)
    n = 4 * rng.integers(1, 4, 40)
    head = np.array([rng.integers(m // 4, m + 1) for m in n])
    b = by_hand(list(head), list(head - n // 4), list(n)).best_head("clean")
    assert b["uas_margin"] == pytest.approx(0.25)
    assert b["uas_margin_ci"] == pytest.approx([0.25, 0.25])
    lo, hi = b["uas_ci"]
    assert lo <= b["uas"] <= hi and hi - lo > 0.1


def test_intervals_are_none_below_two_sentences_with_counted_words() -> None:
    b = by_hand([2], [1], [3]).best_head("clean")
    assert b["uas_ci"] is None and b["uas_margin_ci"] is None and b["uas_nonadjacent_ci"] is None
    b = by_hand([2, 0], [1, 0], [3, 0]).best_head("clean")  # the second has no counted word
    assert b["uas_ci"] is None and b["n_sentences"] == 2


# --- what the uas evaluator logs ---------------------------------------------------------------


def test_checkpoint_metrics_keep_the_old_keys_and_add_the_grid() -> None:
    sentences = random_sentences(12, 7)
    r = count(sentences, random_attention(sentences, 2, 3, 7))
    m = r.checkpoint_metrics()
    json.dumps(m)
    best, base = r.best("clean"), r.best_baseline("clean")
    assert (m["uas"], m["uas_layer"], m["uas_head"], m["uas_direction"]) == (
        best["uas"], best["layer"], best["head"], best["direction"])  # fmt: skip
    assert m["uas_reference"] == r.best("reference")["uas"]
    assert m["uas_offset_baseline"] == base["uas"] and m["uas_offset"] == base["offset"]
    assert m["uas_margin"] == best["uas"] - base["uas"]
    assert m["uas_sentences"] == 12 and m["uas_words"] == r.n["clean"]
    assert m["uas_nonadjacent_words"] == r.n_nonadjacent("clean")
    assert m["uas_nonadjacent_best"] == r.best_nonadjacent("clean")["uas"]
    grid = np.array(m["uas_heads"])
    assert grid.shape == (2, 3)
    np.testing.assert_array_equal(grid, r.uas("clean").max(-1))  # each head's better direction
    assert grid.max() == m["uas"]
    assert np.unravel_index(int(np.argmax(grid)), grid.shape) == (m["uas_layer"], m["uas_head"])
    for key in ("uas_ci", "uas_margin_ci", "uas_nonadjacent_ci"):
        assert isinstance(m[key], list) and len(m[key]) == 2 and m[key][0] <= m[key][1]
