"""95% bootstrap intervals of UAS-like ratios over sentences.

UAS is a ratio of sums over words (words right / words counted), and sentences are the
independent units: the bootstrap resamples sentences, keeping each sentence's numerator and
denominator together (``scipy.stats.bootstrap`` with ``paired=True``), and recomputes the
ratio of the resampled sums. Averaging per-sentence UAS instead would weight a two-word
sentence like a forty-word one. A difference of two scores on the same words (the best head's
margin over an offset baseline) is the same ratio with the per-sentence difference of hits as
its numerator, so both scores move together in every resample.

The level, the number of resamples and the percentile method are those of
:mod:`bertology.stats`; the seed is fixed, so a run's intervals are the same every time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bertology.stats import LEVEL, RESAMPLES

# resamples per vectorised call are capped so that each holds about this many numbers
_CELLS_PER_BATCH = 4_000_000


def ratio_ci(
    numerator: Sequence[float] | np.ndarray,
    denominator: Sequence[float] | np.ndarray,
    seed: int = 0,
) -> list[float] | None:
    """The 95% percentile bootstrap interval of ``sum(numerator) / sum(denominator)``,
    resampling sentences (the entries, paired).

    Sentences with a zero denominator (no word counted) carry nothing to either sum and are
    left out, so that no resample divides by zero. ``None`` with fewer than 2 sentences left.
    """
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    if num.shape != den.shape or num.ndim != 1:
        raise ValueError(f"expected two 1-d arrays of one length, got {num.shape}, {den.shape}")
    keep = den > 0
    num, den = num[keep], den[keep]
    if len(den) < 2:
        return None
    from scipy.stats import bootstrap  # scipy: only when an interval is asked for

    res = bootstrap(
        (num, den), _ratio, paired=True, vectorized=True, n_resamples=RESAMPLES,
        confidence_level=LEVEL, method="percentile", random_state=seed,
        batch=max(1, min(RESAMPLES, _CELLS_PER_BATCH // len(den))),
    )  # fmt: skip
    ci = res.confidence_interval
    return [float(ci.low), float(ci.high)]


def _ratio(num: np.ndarray, den: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.sum(num, axis=axis) / np.sum(den, axis=axis)
