"""Export a subnetwork as an ordinary Hugging Face model directory (pruned weights zeroed).

``AutoModelForMaskedLM.from_pretrained(DIR)`` then gives exactly the subnetwork's predictions:
multiplying by a 0/1 mask and zeroing give bit-identical weights. Soft stochastic masks are
exported as their thresholded (hard) subnetwork, since a soft mask is not a subnetwork.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from bertology.io import atomic_directory
from bertology.prune.apply import zero_pruned_
from bertology.prune.masks import SubnetworkMask


def export_pruned(
    model: Any, tokenizer: Any, mask: SubnetworkMask, out: str | Path, overwrite: bool = False
) -> Path:
    """Write ``model`` with ``mask``'s pruned weights zeroed (plus tokenizer) to ``out``.

    The caller's model is not modified (a copy is zeroed). The directory appears complete or
    not at all; ``bertology_mask.json`` records the mask's relation, sparsity and origin.
    """
    pruned = copy.deepcopy(model)
    zero_pruned_(pruned, mask)
    out = Path(out)
    with atomic_directory(out, overwrite=overwrite) as tmp:
        pruned.save_pretrained(tmp)
        if tokenizer is not None:
            tokenizer.save_pretrained(tmp)
        info = {
            "relation": mask.relation,
            "mode": mask.mode,
            "threshold": mask.threshold,
            "layers": list(mask.layers),
            "sparsity": mask.sparsity,
            "model_name": mask.model_name,
            "model_shape_hash": mask.model_shape_hash,
        }
        (Path(tmp) / "bertology_mask.json").write_text(json.dumps(info, indent=2) + "\n")
    return out
