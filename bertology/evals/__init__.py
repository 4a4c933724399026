"""Evaluations for training dynamics: BLiMP by pseudo-log-likelihood, TwoNN intrinsic
dimension.

>>> from bertology.evals import pll, read_pairs, score_pairs, summarize, twonn
>>> scores = pll(model, tokenizer, ["The cat sleeps .", "The cat sleep ."])  # doctest: +SKIP
>>> scores[0].total, scores[0].log_probs                                    # doctest: +SKIP
>>> twonn(points).dimension                                                 # doctest: +SKIP

Attributes are imported lazily, so that the CLI (which reads :mod:`bertology.evals.config`
at start-up) does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "MinimalPair": "blimp",
    "PairScore": "blimp",
    "read_pairs": "blimp",
    "score_pairs": "blimp",
    "summarize": "blimp",
    "DEFAULT_METRIC": "pll",
    "METRICS": "pll",
    "PLLScore": "pll",
    "PLLStats": "pll",
    "pll": "pll",
    "TwoNNResult": "twonn",
    "twonn": "twonn",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"bertology.evals.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'bertology.evals' has no attribute {name!r}")
