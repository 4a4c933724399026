"""Head-wise UAS: the vectorised, batched computation against plain loops."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from bertology.data.dependency import DependencySentence
from bertology.errors import InputError
from bertology.syntax.align import align_words
from bertology.syntax.attention import word_level_attention
from bertology.syntax.uas import DIRECTIONS, OFFSETS, UASCounter, compute_uas

EXCLUDED = {"punct", "root", "ROOT"}


# --- an independent computation, written as plain loops -------------------------------------


def brute_force(sentences, token_words, attns, from_agg="mean", to_agg="sum"):
    """UAS counts from token attention, straight from the definition.

    ``attns[s]`` is a nested list [layer][head][a][b] of one sentence's token attention;
    ``token_words[s][a]`` the word of token a (-1 for special tokens).
    """

    def pool(values, how):
        if how == "sum":
            return sum(values)
        if how == "mean":
            return sum(values) / len(values)
        return values[0]  # first

    L, H = len(attns[0]), len(attns[0][0])
    out = {
        v: {"correct": np.zeros((L, H, 2)), "gold_attn": np.zeros((L, H, 2)), "n": 0}
        for v in ("reference", "clean")
    }
    rel_correct: dict[str, np.ndarray] = {}
    rel_n: dict[str, int] = {}
    offsets = {v: dict.fromkeys(OFFSETS, 0) for v in ("reference", "clean")}
    for s, tw, att in zip(sentences, token_words, attns, strict=True):
        n = len(s)
        pieces = [[t for t, w in enumerate(tw) if w == i] for i in range(n)]
        variants = [
            ["reference"] + ([] if s.deprels[i] in EXCLUDED else ["clean"]) for i in range(n)
        ]
        for i in range(n):
            for v in variants[i]:
                out[v]["n"] += 1
                for k in OFFSETS:
                    if 0 <= i + k < n and i + k == s.heads[i] - 1:
                        offsets[v][k] += 1
            rel_n[s.deprels[i]] = rel_n.get(s.deprels[i], 0) + 1
            rel_correct.setdefault(s.deprels[i], np.zeros((L, H, 2)))
        for layer in range(L):
            for head in range(H):
                a = att[layer][head]
                aw = [
                    [
                        pool(
                            [pool([a[p][q] for q in pieces[j]], to_agg) for p in pieces[i]],
                            from_agg,
                        )
                        for j in range(n)
                    ]
                    for i in range(n)
                ]
                for d in range(2):
                    for i in range(n):
                        best, arg = None, None
                        for j in range(n):
                            if j == i:
                                continue
                            value = aw[i][j] if d == 0 else aw[j][i]
                            if best is None or value > best:  # strict: ties keep the lowest j
                                best, arg = value, j
                        parent = s.heads[i] - 1
                        hit = arg == parent
                        on_gold = 0.0
                        if parent >= 0:
                            on_gold = aw[i][parent] if d == 0 else aw[parent][i]
                        for v in variants[i]:
                            out[v]["correct"][layer, head, d] += hit
                            out[v]["gold_attn"][layer, head, d] += on_gold
                        rel_correct[s.deprels[i]][layer, head, d] += hit
    return out, rel_correct, rel_n, offsets


# --- helpers ---------------------------------------------------------------------------------


def reference_alignment(tokenizer, words: list[str]) -> tuple[list[int], list[int]]:
    """Token ids of ``" ".join(words)`` and each token's word (-1: special token), from the
    tokenizer's character offsets. Written apart from ``bertology.syntax.align`` (which
    tokenizes pre-split words and reads ``word_ids()``): a word owns the characters of its
    form and, after the first word, the space before it (byte-level BPE's ``Ġ`` piece)."""
    spans, pos = [], 0
    for k, w in enumerate(words):
        start = pos + (1 if k else 0)
        spans.append((pos if k else 0, start + len(w)))  # [leading space, end of the word)
        pos = start + len(w)
    enc = tokenizer(" ".join(words), return_offsets_mapping=True, return_special_tokens_mask=True)
    token_word = []
    for (a, _), special in zip(enc["offset_mapping"], enc["special_tokens_mask"], strict=True):
        owners = [] if special else [k for k, (s, e) in enumerate(spans) if s <= a < e]
        assert len(owners) <= 1
        token_word.append(owners[0] if owners else -1)
    assert set(token_word) - {-1} == set(range(len(words))), "a word got no piece"
    return list(enc["input_ids"]), token_word


def random_batch(trees, tokenizer, L=2, H=3, seed=0, quantize=None):
    """The implementation's token_word (by ``align_words``), a padded (B, L, H, T, T) random
    attention with garbage in the padding, the per-sentence unpadded attention as nested
    lists, and the reference's own token_word per sentence (by :func:`reference_alignment`)."""
    g = torch.Generator().manual_seed(seed)
    aligned = align_words(tokenizer, [t.forms for t in trees])
    ref_words = [reference_alignment(tokenizer, t.forms)[1] for t in trees]
    assert [len(a) for a in aligned] == [len(tw) for tw in ref_words]
    T = max(len(a) for a in aligned)
    attn = torch.rand(len(trees), L, H, T, T, generator=g) * 100  # garbage everywhere
    token_word = torch.full((len(trees), T), -1)
    per_sentence = []
    for b, a in enumerate(aligned):
        n = len(a)
        block = torch.rand(L, H, n, n, generator=g, dtype=torch.float64)
        if quantize:
            block = (block * quantize).floor() / quantize  # exact binary fractions: real ties
        attn[b, :, :, :n, :n] = block.float()
        token_word[b, :n] = torch.tensor(a.token_word)
        per_sentence.append(block.float().double().tolist())
    return aligned, attn, token_word, per_sentence, ref_words


def counted(trees, attn, token_word, from_agg="mean", to_agg="sum"):
    W = max(len(t) for t in trees)
    a_word = word_level_attention(attn, token_word, W, from_agg, to_agg)  # (B, L, H, W, W)
    counter = UASCounter(attn.shape[1], attn.shape[2])
    counter.add(a_word, trees)
    return counter.result()


# --- tests -----------------------------------------------------------------------------------


def test_hand_made_tree_reference_counts_root_as_wrong_and_clean_drops_it():
    """The dog chased the cat . -- one head points every word at its parent."""
    s = DependencySentence(
        forms=["The", "dog", "chased", "the", "cat", "."],
        heads=[2, 3, 0, 5, 3, 3],
        deprels=["det", "nsubj", "root", "det", "obj", "punct"],
        upos=["DET", "NOUN", "VERB", "DET", "NOUN", "PUNCT"],
    )
    T = 8  # [CLS] six words [SEP]
    token_word = torch.tensor([[-1, 0, 1, 2, 3, 4, 5, -1]])
    attn = torch.zeros(1, 1, 2, T, T)  # (B, L, H, T, T)
    for i, h in enumerate(s.heads):
        attn[0, 0, 0, i + 1, (h if h else i + 1)] = 1.0  # head 0: each word -> its parent
        attn[0, 0, 1, i + 1, min(i + 2, 6)] = 1.0  # head 1: each word -> the next word
    r = counted([s], attn, token_word)
    assert r.n == {"reference": 6, "clean": 4}
    ref, clean = r.uas("reference"), r.uas("clean")
    assert ref[0, 0, 0] == pytest.approx(5 / 6)  # the root can never be right
    assert clean[0, 0, 0] == pytest.approx(1.0)
    assert r.best("clean") == {"layer": 0, "head": 0, "direction": "dep_to_head", "uas": 1.0}
    # offset +1 gets The->dog, dog->chased, the->cat right (3 of 6; 3 of 4 clean)
    assert r.baselines()["reference"]["+1"] == pytest.approx(3 / 6)
    assert r.baselines()["clean"]["+1"] == pytest.approx(3 / 4)
    # the continuous variant: all attention of head 0 sits on the gold parent
    assert r.continuous("clean")[0, 0, 0] == pytest.approx(1.0)
    assert r.continuous("reference")[0, 0, 0] == pytest.approx(5 / 6)


@pytest.mark.parametrize(
    "from_agg, to_agg", [("mean", "sum"), ("first", "first"), ("sum", "mean"), ("mean", "first")]
)
def test_vectorised_uas_equals_brute_force_loops(trees, wp_tok, from_agg, to_agg):
    """Every count of the batched UASCounter equals the plain-loop reference, for each pooling."""
    _, attn, token_word, per_sentence, ref_words = random_batch(trees, wp_tok, seed=1)
    r = counted(trees, attn, token_word, from_agg, to_agg)
    bf, rel_correct, rel_n, offsets = brute_force(trees, ref_words, per_sentence, from_agg, to_agg)
    for v in ("reference", "clean"):
        assert r.n[v] == bf[v]["n"]
        np.testing.assert_array_equal(r.correct[v], bf[v]["correct"])
        np.testing.assert_allclose(r.attn_on_gold[v], bf[v]["gold_attn"], rtol=1e-5)
        assert [r.offset_correct[v][i] for i in range(len(OFFSETS))] == [
            offsets[v][k] for k in OFFSETS
        ]
    for name, counts in rel_correct.items():
        k = r.relations.index(name)
        assert r.rel_n[k] == rel_n[name]
        np.testing.assert_array_equal(r.rel_correct[..., k], counts)


def test_ties_go_to_the_lowest_index(trees, bpe_tok):
    """Quantised attention has many exact ties; sums of binary fractions are exact."""
    _, attn, token_word, per_sentence, ref_words = random_batch(trees, bpe_tok, seed=2, quantize=4)
    r = counted(trees, attn, token_word, "sum", "sum")
    bf, *_ = brute_force(trees, ref_words, per_sentence, "sum", "sum")
    for v in ("reference", "clean"):
        np.testing.assert_array_equal(r.correct[v], bf[v]["correct"])
    # uniform attention: every word picks word 0 (word 0 picks word 1)
    s = trees[0]
    n = len(s)
    flat = torch.ones(1, 1, 1, n, n)
    r = counted([s], flat, torch.arange(n)[None])
    expected = sum((0 if i else 1) == s.heads[i] - 1 for i in range(n))
    assert r.correct["reference"][0, 0, 0] == expected


def test_streaming_over_batches_equals_one_big_batch(trees, wp_tok):
    aligned, attn, token_word, _, _ = random_batch(trees, wp_tok, seed=3)
    whole = counted(trees, attn, token_word)
    W = max(len(t) for t in trees)
    counter = UASCounter(attn.shape[1], attn.shape[2])
    for b in range(len(trees)):  # one sentence at a time, in a different order
        k = len(trees) - 1 - b
        n_tok = len(aligned[k])
        a_word = word_level_attention(
            attn[k : k + 1, ..., :n_tok, :n_tok], token_word[k : k + 1, :n_tok], W
        )
        counter.add(a_word, [trees[k]])
    streamed = counter.result()
    for v in ("reference", "clean"):
        np.testing.assert_array_equal(streamed.correct[v], whole.correct[v])
    by_name = {r: streamed.rel_n[i] for i, r in enumerate(streamed.relations)}
    assert by_name == {r: whole.rel_n[i] for i, r in enumerate(whole.relations)}


def _model_attention_one_by_one(model, tokenizer, trees):
    """Per-sentence forward passes (batch of one) on the reference's own tokenization:
    each sentence's token_word and its attention as nested lists for brute_force."""
    token_words, attns = [], []
    with torch.no_grad():
        for t in trees:
            ids, tw = reference_alignment(tokenizer, t.forms)
            out = model.base_model(input_ids=torch.tensor([ids]), output_attentions=True)
            attns.append(torch.stack(out.attentions, 1)[0].double().tolist())  # (L, H, T, T)
            token_words.append(tw)
    return token_words, attns


@pytest.mark.parametrize(
    "arch_fixture, tok_fixture", [("syn_bert", "wp_tok"), ("syn_roberta", "bpe_tok")]
)
def test_compute_uas_on_a_model_equals_brute_force_one_sentence_at_a_time(
    request, arch_fixture, tok_fixture, trees
):
    """The batched pipeline (padding, length sorting, base model) against plain loops over
    per-sentence forward passes. fp64 so that no near-tie flips between the two."""
    import copy

    model = copy.deepcopy(request.getfixturevalue(arch_fixture)).double()
    tok = request.getfixturevalue(tok_fixture)
    many = [trees[i % len(trees)] for i in range(10)]
    r = compute_uas(model, tok, many, batch_size=3, progress=False)
    token_words, attns = _model_attention_one_by_one(model, tok, many)
    bf, rel_correct, _, _ = brute_force(many, token_words, attns)
    assert r.n_sentences == 10 and r.skipped_long == 0
    for v in ("reference", "clean"):
        np.testing.assert_array_equal(r.correct[v], bf[v]["correct"])
        np.testing.assert_allclose(r.attn_on_gold[v], bf[v]["gold_attn"], rtol=1e-9)
    for name, counts in rel_correct.items():
        np.testing.assert_array_equal(r.rel_correct[..., r.relations.index(name)], counts)


def test_long_sentences_are_skipped_and_counted(syn_bert, wp_tok, trees):
    lengths = [len(a) for a in align_words(wp_tok, [t.forms for t in trees])]
    limit = sorted(lengths)[1]  # keeps the two shortest
    r = compute_uas(syn_bert, wp_tok, trees, max_length=limit, progress=False)
    assert r.skipped_long == sum(n > limit for n in lengths) == 2
    assert r.n_sentences == 2
    with pytest.raises(InputError, match="longer than the model's maximum length"):
        compute_uas(syn_bert, wp_tok, trees, max_length=3, progress=False)


def test_results_follow_the_schema(syn_bert, wp_tok, trees):
    random.seed(0)
    many = [trees[i % len(trees)] for i in range(40)]
    r = compute_uas(syn_bert, wp_tok, many, progress=False)
    res = r.to_results(min_count=20)
    L, H = 2, 4
    for v in ("reference", "clean"):
        for d in DIRECTIONS:
            grid = res["uas"][v][d]
            assert len(grid) == L and all(len(row) == H for row in grid)
        assert set(res["best"][v]) == {"layer", "head", "direction", "uas"}
        assert set(res["baselines"][v]) == {"-3", "-2", "-1", "+1", "+2", "+3"}
    # relations with >= 20 words; the root is never listed (it has no parent)
    assert set(res["by_relation"]) == {"nsubj", "det", "punct", "amod", "obj"}  # not obl, iobj
    assert {"n", "layer", "head", "direction", "uas"} <= set(res["by_relation"]["det"])
    assert set(res["baselines"]["by_relation"]) == set(res["by_relation"])
    assert res["n_sentences"] == 40 and res["skipped_long"] == 0
    assert res["n_words"] == sum(len(t) for t in many)


def test_sdpa_model_is_measured_on_the_eager_path_and_restored(syn_bert, wp_tok, trees):
    import copy

    from bertology.models import SmallMLMConfig, build_mlm

    eager = compute_uas(syn_bert, wp_tok, trees, progress=False)
    sdpa = build_mlm(
        SmallMLMConfig(layers=2, hidden=32, heads=4, dropout=0.0, seed=0), wp_tok, attn="sdpa"
    )
    sdpa.load_state_dict(copy.deepcopy(syn_bert.state_dict()))
    sdpa.train()
    r = compute_uas(sdpa, wp_tok, trees, progress=False)
    np.testing.assert_array_equal(r.correct["clean"], eager.correct["clean"])
    assert sdpa.config._attn_implementation == "sdpa" and sdpa.training  # both restored


def test_model_without_attention_probabilities_is_a_clear_error(wp_tok, trees):
    class NoAttention(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 2)

        def forward(self, input_ids, attention_mask=None, output_attentions=False):
            return type("Out", (), {"attentions": None})()

    with pytest.raises(InputError, match="no attention probabilities"):
        compute_uas(NoAttention(), wp_tok, trees, progress=False)


def test_unknown_aggregation_lists_the_known_ones(syn_bert, wp_tok, trees):
    with pytest.raises(InputError, match="first, mean, sum"):
        compute_uas(syn_bert, wp_tok, trees, from_agg="max", progress=False)


def test_batches_respect_the_size_and_the_attention_budget():
    from bertology.syntax.uas import _batches

    lengths = [3, 4, 5, 6, 100]
    assert _batches([0, 1, 2, 3, 4], lengths, 2, budget=1000) == [[0, 1], [2, 3], [4]]
    # budget 60: 2 * 5^2 = 50 fits, 3 * 5^2 = 75 does not
    assert _batches([0, 1, 2, 3], lengths, 8, budget=60) == [[0, 1], [2], [3]]


def test_batches_do_not_pad_short_sentences_up_to_long_ones():
    from bertology.syntax.uas import _batches

    lengths = [10, 10, 10, 30, 30, 30]
    # a fixed size of 4 would give [0 1 2 3] [4 5]: 180 padded tokens instead of 120
    assert _batches(list(range(6)), lengths, 4, budget=1e9) == [[0, 1, 2], [3, 4, 5]]


def _brute_force_least_work(lengths, batch_size, budget, overhead):
    """Least work over every split of the sorted sentences into consecutive batches."""
    import itertools

    n, best = len(lengths), float("inf")
    for cuts in itertools.product([False, True], repeat=n - 1):
        bounds = [0, *[i + 1 for i, c in enumerate(cuts) if c], n]
        work = 0.0
        for a, b in itertools.pairwise(bounds):
            size, longest = b - a, lengths[b - 1]
            if size > batch_size or (size > 1 and size * longest**2 > budget):
                break
            work += overhead + size * longest
        else:
            best = min(best, work)
    return best


def test_batches_find_the_least_work_split():
    import random

    from bertology.syntax.uas import _batches

    rng = random.Random(0)
    for _ in range(40):
        n = rng.randint(1, 10)
        lengths = sorted(rng.randint(3, 40) for _ in range(n))
        size, budget, overhead = (
            rng.randint(1, 5),
            rng.choice([1e9, 3000, 900]),
            rng.choice([0, 8, 32]),
        )
        got = _batches(list(range(n)), lengths, size, budget, overhead)
        assert [i for b in got for i in b] == list(range(n))  # every sentence once, in order
        for b in got:
            T = lengths[b[-1]]
            assert len(b) <= size and (len(b) == 1 or len(b) * T * T <= budget)
        work = sum(overhead + len(b) * lengths[b[-1]] for b in got)
        assert work == _brute_force_least_work(lengths, size, budget, overhead)


@pytest.mark.parametrize("from_agg", ["mean", "sum"])
def test_bf16_model_attention_is_pooled_in_fp32_as_the_reference_pools_it(
    syn_bert: torch.nn.Module, wp_tok, trees: list[DependencySentence], from_agg: str
) -> None:
    """The bf16 path: the bf16 model's own attention probabilities, pooled in fp32, give
    the fp64 loops' result over the same probabilities.

    One sentence per batch, so the pipeline's forward passes are the reference's (same
    shapes, no padding: bit-identical bf16 probabilities on a CPU). A bf16 probability has
    8 significant bits, so sums over a word's pieces are exact in fp32 and a mean is off by
    a few 2^-24 relative: ``rtol=1e-6`` on the continuous score, where pooling in bf16
    (2^-9 relative per word pair) or a bf16-only change of pooling or direction shows.
    Argmax counts are compared exactly for sum pooling only: bf16 probabilities make exact
    ties common, and a mean over 12 pieces can tie exactly with a mean over 6; fp64
    division keeps such a tie (lowest index wins) while fp32 rounding of the mean breaks it
    either way (seen in about 1 of 20 tokenizer trainings).
    """
    import copy

    half = copy.deepcopy(syn_bert).to(torch.bfloat16)
    many = [trees[i % len(trees)] for i in range(8)]
    r = compute_uas(half, wp_tok, many, from_agg=from_agg, batch_size=1, progress=False)
    token_words, attns = _model_attention_one_by_one(half, wp_tok, many)
    bf, rel_correct, _, _ = brute_force(many, token_words, attns, from_agg=from_agg)
    for v in ("reference", "clean"):
        np.testing.assert_allclose(r.attn_on_gold[v], bf[v]["gold_attn"], rtol=1e-6, atol=0)
        if from_agg == "sum":
            np.testing.assert_array_equal(r.correct[v], bf[v]["correct"])
    if from_agg == "sum":
        for name, counts in rel_correct.items():
            np.testing.assert_array_equal(r.rel_correct[..., r.relations.index(name)], counts)


def test_bf16_continuous_scores_stay_within_bf16_rounding_of_fp32(
    syn_bert: torch.nn.Module, wp_tok, trees: list[DependencySentence]
) -> None:
    """bf16 is a speed setting: each head's continuous score (mean attention on the gold
    parent) moves by less than bf16's unit roundoff, relatively.

    bf16 keeps 8 significant bits: one rounding is off by at most u = 2^-8 = 0.39%
    relative. In this untrained model the attention logits are small (|s| << 1), so the
    error of a probability is a few roundings of size u (of q, k, the logits and the
    softmax), of random sign; the score is a mean over ~60 words of sums of such
    probabilities, so the errors mostly cancel (measured: at most 0.05%, i.e. u / 8). A
    relative tolerance of u per cell is then a bound with margin, and far below the
    differences that a wrong computation makes here: the two directions differ by about 9%,
    and pooling the attended word by mean instead of sum changes the score by more than 1%.
    """
    import copy

    many = [trees[i % len(trees)] for i in range(12)]
    full = compute_uas(syn_bert, wp_tok, many, progress=False)
    half = compute_uas(copy.deepcopy(syn_bert).to(torch.bfloat16), wp_tok, many, progress=False)
    for v in ("reference", "clean"):
        np.testing.assert_allclose(half.continuous(v), full.continuous(v), rtol=2**-8, atol=0)
