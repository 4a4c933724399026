"""Evaluations for training dynamics: BLiMP by pseudo-log-likelihood, TwoNN intrinsic
dimension.

>>> from bertology.evals import pll, read_pairs, score_pairs, summarize, twonn
>>> scores = pll(model, tokenizer, ["The cat sleeps .", "The cat sleep ."])  # doctest: +SKIP
>>> scores[0].total, scores[0].log_probs                                    # doctest: +SKIP
>>> twonn(points).dimension                                                 # doctest: +SKIP
"""

from bertology.evals.blimp import MinimalPair, PairScore, read_pairs, score_pairs, summarize
from bertology.evals.pll import DEFAULT_METRIC, METRICS, PLLScore, PLLStats, pll
from bertology.evals.twonn import TwoNNResult, twonn

__all__ = [
    "DEFAULT_METRIC",
    "METRICS",
    "MinimalPair",
    "PLLScore",
    "PLLStats",
    "PairScore",
    "TwoNNResult",
    "pll",
    "read_pairs",
    "score_pairs",
    "summarize",
    "twonn",
]
