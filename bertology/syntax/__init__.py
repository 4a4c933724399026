"""Syntactic attention structure (SAS): where attention heads point at syntactic parents.

- :mod:`~bertology.syntax.align`: words to subword tokens for any fast tokenizer
- :mod:`~bertology.syntax.attention`: :func:`word_level_attention`, batched
- :mod:`~bertology.syntax.uas`: head-wise UAS, offset baselines, per-relation best heads
  (:func:`compute_uas`; counted by :class:`UASCounter` in :mod:`~bertology.syntax.counter`,
  read off :class:`UASResult` in :mod:`~bertology.syntax.uas_result`)
- :mod:`~bertology.syntax.intervals`: :func:`ratio_ci`, bootstrap intervals over sentences
- :mod:`~bertology.syntax.regularizer`: :func:`syntactic_attention_loss`, the term added to
  the MLM loss (lambda < 0 promotes SAS), and :func:`token_edges`
- :mod:`~bertology.syntax.run`: ``bertology uas`` as :func:`run_uas`

Attributes are imported lazily so ``import bertology.syntax`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AlignedSentence": "align",
    "align_words": "align",
    "first_piece_index": "align",
    "model_max_length": "align",
    "piece_to_word_matrix": "align",
    "word_level_attention": "attention",
    "DIRECTIONS": "uas_result",
    "OFFSETS": "uas_result",
    "VARIANTS": "uas_result",
    "SentenceCounts": "uas_result",
    "UASCounter": "counter",
    "UASResult": "uas_result",
    "compute_uas": "uas",
    "eager_attention": "uas",
    "predict_parents": "counter",
    "ratio_ci": "intervals",
    "SyntacticRegularizer": "regularizer",
    "syntactic_attention_loss": "regularizer",
    "token_edges": "regularizer",
    "UASConfig": "config",
    "run_uas": "run",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"bertology.syntax.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'bertology.syntax' has no attribute {name!r}")
