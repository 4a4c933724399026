"""LAMP: relation-specific subnetworks of a frozen masked LM, found by differentiable pruning.

- :mod:`~bertology.prune.targets`: which matrices are pruned, by architecture;
- :mod:`~bertology.prune.masks`: scores, stochastic / deterministic masks, :class:`SubnetworkMask`;
- :mod:`~bertology.prune.apply`: functional application (``parametrize``), frozen weights untouched;
- :mod:`~bertology.prune.train`: :func:`train_relation_masks`;
- :mod:`~bertology.prune.storage`: bit-packed safetensors with the model's identity;
- :mod:`~bertology.prune.analysis`: controls, specialization, overlap, combination, sparsity;
- :mod:`~bertology.prune.intervals`: bootstrap intervals of P@1 and paired P@1 differences;
- :mod:`~bertology.prune.readout` and :mod:`~bertology.prune.collapse`: [MASK] attention,
  final representations ([MASK] or [CLS]) and whether a relation's states collapsed;
- :mod:`~bertology.prune.export`: a subnetwork as an ordinary Hugging Face model directory.


Attributes are imported lazily so ``bertology --help`` does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "combine_masks": "analysis",
    "evaluate_mask": "analysis",
    "jaccard_overlap": "analysis",
    "random_control": "analysis",
    "sparsity_stats": "analysis",
    "specialization_matrix": "analysis",
    "subnetwork_vs_controls": "analysis",
    "applied": "apply",
    "masked": "apply",
    "export_pruned": "export",
    "MaskConfig": "masks",
    "SubnetworkMask": "masks",
    "init_scores": "masks",
    "load_mask": "storage",
    "save_mask": "storage",
    "Target": "targets",
    "find_targets": "targets",
    "layer_count": "targets",
    "PruneConfig": "train",
    "PruneOutcome": "train",
    "train_relation_masks": "train",
    "PruneRunConfig": "run",
    "prune": "run",
    "specialize": "followup",
    "inspect_run": "followup",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"bertology.prune.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'bertology.prune' has no attribute {name!r}")
