"""Bootstrap intervals (bertology.stats): they cover the true mean about 95% of the time,
narrow with more data, resample within groups for a mean of means, and are reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from bertology.stats import mean_ci, mean_of_means_ci


def test_the_interval_covers_the_true_accuracy_about_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(300):
        lo, hi = mean_ci(rng.random(200) < 0.7, seed=int(rng.integers(1 << 30)))
        hits += lo <= 0.7 <= hi
    assert 0.90 <= hits / 300 <= 0.99  # the percentile bootstrap is a little narrow


def test_intervals_narrow_with_more_data_and_are_reproducible():
    rng = np.random.default_rng(1)
    small, large = rng.random(50) < 0.6, rng.random(5000) < 0.6
    w_small = np.diff(mean_ci(small))[0]
    w_large = np.diff(mean_ci(large))[0]
    assert w_large < w_small / 5  # ~ 1/sqrt(n): 10x fewer points, ~3x the width... and more
    assert mean_ci(small, seed=3) == mean_ci(small, seed=3)


def test_a_mean_of_group_means_resamples_within_groups():
    """Two groups, one constant: only the other one's spread may show in the interval."""
    a = np.ones(30)
    b = np.r_[np.zeros(15), np.ones(15)]
    lo, hi = mean_of_means_ci([a, b])
    assert lo <= 0.75 <= hi
    assert hi - lo == pytest.approx(np.diff(mean_ci(b))[0] / 2, abs=0.03)


def test_degenerate_inputs():
    assert mean_ci([1.0]) is None
    assert mean_ci([1.0, 1.0, 1.0]) == [1.0, 1.0]
    assert mean_of_means_ci([[0.0, 1.0, 1.0]]) == mean_ci([0.0, 1.0, 1.0])
