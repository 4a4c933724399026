"""``compute_uas`` end to end on tiny models: results do not depend on how sentences are
batched, on the model's training mode, on the padding token, or on the number of layers;
and the run's reported throughput (tokens, elapsed time, progress) is right."""

from __future__ import annotations

import copy
import re
import time
from typing import Any

import numpy as np
import pytest

from bertology.data.dependency import DependencySentence
from bertology.syntax.uas import UASResult, compute_uas


def _many(trees: list[DependencySentence], n: int) -> list[DependencySentence]:
    return [trees[i % len(trees)] for i in range(n)]


def _numbers(r: UASResult) -> dict[str, Any]:
    res = r.to_results(min_count=3)
    res.pop("throughput")
    return res


def assert_same_results(a: UASResult, b: UASResult) -> None:
    """Equal counts, and equal reported numbers (dict order aside)."""
    for v in ("reference", "clean"):
        np.testing.assert_array_equal(a.correct[v], b.correct[v])
        np.testing.assert_allclose(a.attn_on_gold[v], b.attn_on_gold[v], rtol=1e-12)
    assert a.n == b.n and a.n_sentences == b.n_sentences
    na, nb = _numbers(a), _numbers(b)
    for key in ("continuous", "best_continuous"):  # compared above to 1e-12
        na.pop(key), nb.pop(key)
    assert na == nb


@pytest.mark.parametrize(
    "arch_fixture, tok_fixture", [("syn_bert", "wp_tok"), ("syn_roberta", "bpe_tok")]
)
def test_results_do_not_depend_on_batching(
    request: pytest.FixtureRequest, arch_fixture: str, tok_fixture: str, trees
) -> None:
    """Batch size, the attention budget and the default size only choose batch boundaries:
    one sentence per batch, several, all in one, give the same numbers (fp64, so padding's
    different matrix shapes cannot flip a near-tie)."""
    model = copy.deepcopy(request.getfixturevalue(arch_fixture)).double()
    tok = request.getfixturevalue(tok_fixture)
    many = _many(trees, 9)
    alone = compute_uas(model, tok, many, batch_size=1, progress=False)
    for kw in ({"batch_size": 3}, {"batch_size": 64}, {}, {"attn_budget_mb": 1e-6}):
        assert_same_results(compute_uas(model, tok, many, progress=False, **kw), alone)


def test_model_in_training_mode_is_measured_without_dropout(wp_tok: Any, trees) -> None:
    """A model left in training mode, with heavy attention dropout, is measured in eval mode
    (deterministic, equal to the eval-mode model) and handed back in training mode."""
    from bertology.models import SmallMLMConfig, build_mlm

    cfg = SmallMLMConfig(arch="bert", layers=2, hidden=32, heads=4, dropout=0.5, seed=0)
    model = build_mlm(cfg, wp_tok).double()
    model.eval()
    expected = compute_uas(model, wp_tok, _many(trees, 6), progress=False)
    model.train()
    got = compute_uas(model, wp_tok, _many(trees, 6), progress=False)
    assert model.training
    assert_same_results(got, expected)


def test_tokenizer_without_a_padding_token(syn_bert: Any, wp_tok: Any, trees) -> None:
    """Sentences of different lengths in one batch need padding even when the tokenizer has
    no padding token; the padding is masked, so the numbers are those with one."""
    model = copy.deepcopy(syn_bert).double()
    no_pad = copy.deepcopy(wp_tok)
    no_pad.pad_token = None
    assert no_pad.pad_token_id is None
    many = _many(trees, 4)
    expected = compute_uas(model, wp_tok, many, batch_size=4, progress=False)
    assert_same_results(compute_uas(model, no_pad, many, batch_size=4, progress=False), expected)


def test_one_layer_model_scores_its_layer_as_the_first_layer_of_two(
    syn_bert: Any, wp_tok: Any, trees
) -> None:
    """A one-layer model with the weights of a two-layer model's first layer: its UAS is that
    layer's UAS (layer 0 sees the same input in both)."""
    from bertology.models import SmallMLMConfig, build_mlm

    two = copy.deepcopy(syn_bert).double()
    cfg = SmallMLMConfig(arch="bert", layers=1, hidden=32, heads=4, dropout=0.0, seed=0)
    one = build_mlm(cfg, wp_tok).double()
    state = {k: v for k, v in two.state_dict().items() if ".layer.1." not in k}
    one.load_state_dict(state)
    many = _many(trees, 5)
    r1 = compute_uas(one, wp_tok, many, progress=False)
    r2 = compute_uas(two, wp_tok, many, progress=False)
    assert (r1.n_layers, r1.n_heads) == (1, 4)
    for v in ("reference", "clean"):
        np.testing.assert_array_equal(r1.correct[v][0], r2.correct[v][0])
        np.testing.assert_allclose(r1.attn_on_gold[v][0], r2.attn_on_gold[v][0], rtol=1e-12)
    np.testing.assert_array_equal(r1.rel_correct[0], r2.rel_correct[0])


class FakeProgress:
    """Records what compute_uas tells its progress bar."""

    made: list[FakeProgress] = []

    def __init__(self, *columns: Any, **kwargs: Any) -> None:
        self.started = self.stopped = 0
        self.total: float | None = None
        self.advanced = 0
        FakeProgress.made.append(self)

    def start(self) -> None:
        self.started += 1

    def stop(self) -> None:
        self.stopped += 1

    def add_task(self, name: str, total: float) -> int:
        self.total = total
        return 0

    def advance(self, task: int, n: float) -> None:
        self.advanced += n


def test_progress_tokens_and_elapsed_time_are_reported_right(
    syn_bert: Any, wp_tok: Any, trees, capsys: pytest.CaptureFixture, monkeypatch
) -> None:
    """The summary line counts the tokens of the scored sentences (special tokens included,
    the skipped one not), the bar advances once per scored sentence and is stopped, and the
    elapsed times (result and per-batch log) lie within the call's wall time."""
    import bertology.syntax.uas as uas_module

    monkeypatch.setattr(uas_module, "Progress", FakeProgress)  # where compute_uas binds it
    FakeProgress.made.clear()
    many = _many(trees, 7)
    lengths = [len(wp_tok(" ".join(t.forms))["input_ids"]) for t in many]
    limit = max(lengths) - 1  # the longest sentences are skipped
    kept = [n for n in lengths if n <= limit]
    assert 0 < len(kept) < len(many)
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    r = compute_uas(
        syn_bert, wp_tok, many, batch_size=2, max_length=limit, progress=True, log=rows.append
    )
    wall = time.perf_counter() - t0
    out = capsys.readouterr().err  # progress and summaries go to stderr
    match = re.search(r"UAS: (\d+) sentences \((\d+) tokens\)", out)
    assert match and (int(match[1]), int(match[2])) == (len(kept), sum(kept))
    assert f"skipped {len(many) - len(kept)} longer than {limit} tokens" in out
    (bar,) = FakeProgress.made
    assert (bar.started, bar.stopped) == (1, 1)
    assert bar.total == len(kept) and bar.advanced == len(kept)
    assert 0 < r.elapsed_s <= wall
    assert rows and rows[-1]["sentences"] == len(kept)
    elapsed = [row["elapsed_s"] for row in rows]
    assert elapsed == sorted(elapsed) and elapsed[0] >= 0 and elapsed[-1] <= wall + 1e-3
    for row in rows:  # the rate is over the unrounded time that elapsed_s rounds
        assert abs(row["sentences"] / row["sentences_per_s"] - row["elapsed_s"]) <= 5e-4 + 1e-9

    FakeProgress.made.clear()
    compute_uas(syn_bert, wp_tok, many[:2], progress=False)
    quiet = capsys.readouterr()
    assert FakeProgress.made == [] and quiet.out == "" and quiet.err == ""


def test_batch_may_fill_the_attention_budget_exactly() -> None:
    """The budget is an upper bound, B * T^2 <= budget: two sentences of 5 tokens fit a budget
    of exactly 2 * 5^2 = 50 (fewer forward passes, the same numbers)."""
    from bertology.syntax.uas import _batches

    assert _batches([0, 1], [5, 5], 2, budget=50, overhead=28) == [[0, 1]]
    assert _batches([0, 1], [5, 5], 2, budget=49, overhead=28) == [[0], [1]]
