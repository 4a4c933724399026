"""Cloze knowledge probing (LAMA style): rank the vocabulary at the mask, P@k and MRR.

- :mod:`~bertology.probe.scoring`: batched scoring at the mask, ranks, top predictions
- :mod:`~bertology.probe.metrics`: P@k and MRR, per relation, macro and micro, with 95%
  bootstrap intervals
- :mod:`~bertology.probe.run`: :func:`evaluate_facts` and ``bertology probe`` as :func:`probe`

Attributes are imported lazily so ``bertology --help`` does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "FactScore": "scoring",
    "PreparedFact": "scoring",
    "prepare_facts": "scoring",
    "score_facts": "scoring",
    "RankMetrics": "metrics",
    "aggregate": "metrics",
    "hits_at": "metrics",
    "rank_metrics": "metrics",
    "ProbeConfig": "config",
    "ProbeImpl": "config",
    "Evaluation": "run",
    "evaluate_facts": "run",
    "probe": "run",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"bertology.probe.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'bertology.probe' has no attribute {name!r}")
