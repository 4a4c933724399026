"""Confidence intervals for the numbers bertology reports (accuracies, P@1, UAS).

A 95% percentile bootstrap (``scipy.stats.bootstrap``), seeded so that a run's intervals are
the same every time. For a mean of group means (BLiMP's overall accuracy is the mean over
paradigms of each paradigm's accuracy) the bootstrap resamples within each group, so every
group keeps its size, as the statistic assumes. A claim should be judged on the interval, not
on the point value: with 20 pairs a paradigm's accuracy moves by 0.05 per pair.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import bootstrap

LEVEL = 0.95
RESAMPLES = 2000


def _interval(samples: tuple[np.ndarray, ...], statistic, seed: int) -> list[float] | None:
    if any(len(s) < 2 for s in samples) or all(np.ptp(s) == 0 for s in samples):
        return None if any(len(s) < 2 for s in samples) else [float(statistic(*samples))] * 2
    res = bootstrap(
        samples, statistic, n_resamples=RESAMPLES, confidence_level=LEVEL, method="percentile",
        random_state=seed, vectorized=True,
    )  # fmt: skip
    ci = res.confidence_interval
    return [float(ci.low), float(ci.high)]


def mean_ci(values: Sequence[float], seed: int = 0) -> list[float] | None:
    """The 95% bootstrap interval of the mean of ``values`` (``None`` below 2 values)."""
    return _interval((np.asarray(values, dtype=np.float64),), _mean, seed)


def mean_of_means_ci(groups: Sequence[Sequence[float]], seed: int = 0) -> list[float] | None:
    """The 95% bootstrap interval of the mean over groups of each group's mean, resampling
    within each group (a stratified bootstrap)."""
    samples = tuple(np.asarray(g, dtype=np.float64) for g in groups)
    if len(samples) == 1:
        return mean_ci(samples[0], seed)
    return _interval(samples, _mean_of_means, seed)


def _mean(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis)


def _mean_of_means(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean([np.mean(s, axis=axis) for s in samples], axis=0)
