"""``ratio_ci``: the bootstrap over sentences of a ratio of sums (UAS = words right / words
counted), against a plain numpy bootstrap of the same statistic."""

from __future__ import annotations

import numpy as np
import pytest

from bertology.syntax.intervals import ratio_ci


def numpy_bootstrap(num: np.ndarray, den: np.ndarray, seed: int, reps: int = 4000) -> list:
    """The percentile interval of sum(num[idx]) / sum(den[idx]) over resampled sentences."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(num), (reps, len(num)))
    stats = num[idx].sum(1) / den[idx].sum(1)
    return list(np.percentile(stats, [2.5, 97.5]))


def test_interval_contains_the_point_value_and_matches_a_plain_bootstrap() -> None:
    rng = np.random.default_rng(1)
    den = rng.integers(1, 40, 300)
    num = rng.binomial(den, 0.4)
    point = num.sum() / den.sum()
    lo, hi = ratio_ci(num, den)
    assert lo < point < hi
    ref = numpy_bootstrap(num.astype(float), den.astype(float), seed=7)
    assert lo == pytest.approx(ref[0], abs=0.006) and hi == pytest.approx(ref[1], abs=0.006)
    assert ratio_ci(num, den) == [lo, hi]  # seeded: the same every time
    assert ratio_ci(num, den, seed=3) != [lo, hi]


def test_the_statistic_is_a_ratio_of_sums_not_a_mean_of_sentence_ratios() -> None:
    """Short sentences all right, long ones all wrong: the ratio of sums is about 0.09, the
    mean of per-sentence UAS 0.5; the interval must be around the former."""
    den = np.array([2, 40] * 50)
    num = np.array([2, 0] * 50)
    lo, hi = ratio_ci(num, den)
    assert lo <= num.sum() / den.sum() <= hi < 0.2


def test_a_negative_numerator_a_margin_is_allowed() -> None:
    den = np.array([4, 4, 4, 4, 4])
    num = np.array([-1, 0, 1, -2, -1])  # head hits minus offset hits
    lo, hi = ratio_ci(num, den)
    assert lo <= num.sum() / den.sum() <= hi and lo < 0


def test_none_below_two_sentences_with_words_and_zero_denominators_are_left_out() -> None:
    assert ratio_ci([], []) is None
    assert ratio_ci([3], [5]) is None
    assert ratio_ci([3, 0, 0], [5, 0, 0]) is None  # two sentences counted nothing
    with_empty = ratio_ci([3, 1, 0, 2], [5, 4, 0, 3])
    assert with_empty == ratio_ci([3, 1, 2], [5, 4, 3])
    assert ratio_ci([2, 3], [2, 3]) == pytest.approx([1.0, 1.0])  # every resample is 1


def test_mismatched_inputs_are_an_error() -> None:
    with pytest.raises(ValueError, match="one length"):
        ratio_ci([1, 2], [1, 2, 3])
