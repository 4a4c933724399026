"""MLM pre-training with the syntactic regularizer and checkpointed training dynamics.

- :func:`pretrain` (:mod:`~bertology.train.loop`): the loop, DDP-ready, resumable bit for bit
- :class:`PretrainConfig`, :func:`load_config` (:mod:`~bertology.train.config`): YAML + ``--set``
- :mod:`~bertology.train.corpus`, :mod:`~bertology.train.packing`, :mod:`~bertology.train.packed`,
  :mod:`~bertology.train.batches`: read the corpus and its trees, tokenize once, pack rows with
  their dependency edges, cache as memmaps, and order the batches
- :mod:`~bertology.train.masking`: 15%, 80/10/10, whole-word
- :mod:`~bertology.train.schedule`: lr and checkpoint schedules
- :mod:`~bertology.train.checkpoint`: HF model directories + trainer state, atomic
- :mod:`~bertology.train.evaluators`: ``val_loss``, ``uas``; :func:`register_evaluator` in
  :mod:`~bertology.train.registry`

Attributes are imported lazily so ``import bertology.train`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "pretrain": "loop",
    "PretrainResult": "results",
    "TrainingDiverged": "loop",
    "PretrainConfig": "config",
    "load_config": "config",
    "config_from_dict": "config",
    "known_keys": "config",
    "checkpoint_steps": "schedule",
    "lr_at": "schedule",
    "list_checkpoints": "checkpoint",
    "EVALUATORS": "registry",
    "EvalContext": "evaluators",
    "register_evaluator": "registry",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"bertology.train.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'bertology.train' has no attribute {name!r}")
