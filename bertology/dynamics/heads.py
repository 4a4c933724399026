"""One attention head followed across training: the ``uas_fixed_head`` curve.

``uas`` at a checkpoint is the best head *there*, and the best head changes over training
(0-0 early, 2-1 later, 1-3 at the end), so the ``uas`` curve stitches several heads together
and a break in it may be a hand-over between heads rather than one head's rise. The fixed-head
curve takes the final checkpoint's best head (the argmax of its ``uas_heads`` grid, each head
at its better direction; ties to the lowest layer, then head, as for ``uas``) and reads that
same head's UAS at every checkpoint from the grid the ``uas`` evaluator logs.

A checkpoint without a grid (a metrics row written before the grid was logged) or with a grid
of another shape is left out of the curve, and ``note`` says so; without a grid at the final
checkpoint there is no fixed head and no curve.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FIXED_HEAD = "uas_fixed_head"


def _grid(value: Any) -> np.ndarray | None:
    """The ``uas_heads`` value as an (L, H) float array, or ``None`` if it is not one."""
    if not isinstance(value, list) or not value:
        return None
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return a if a.ndim == 2 and a.size and np.isfinite(a).all() else None


def fixed_head(
    evals: dict[int, dict[str, Any]],
) -> tuple[dict[str, Any] | None, tuple[list[int], list[float]] | None]:
    """The final checkpoint's best head and its UAS at every checkpoint.

    Returns ``(head, curve)``: ``head`` is ``{"layer", "head", "step", "uas", "points",
    "note"}`` (``layer`` and ``head`` ``None`` when no head can be fixed, with the reason in
    ``note``), or ``None`` when no checkpoint was evaluated for UAS at all; ``curve`` is
    ``(steps, values)``, or ``None`` without a fixed head.
    """
    steps = sorted(s for s, m in evals.items() if "uas" in m)
    if not steps:
        return None, None
    last = steps[-1]
    final = _grid(evals[last].get("uas_heads"))
    if final is None:
        note = (
            f"the final checkpoint (step {last}) has no uas_heads grid (evaluated before the "
            "uas evaluator logged one): no fixed-head curve"
        )
        return {"layer": None, "head": None, "step": last, "uas": None, "points": 0,
                "note": note}, None  # fmt: skip
    layer, head = (int(i) for i in np.unravel_index(int(np.argmax(final)), final.shape))
    xs, ys, missing = [], [], []
    for s in steps:
        g = _grid(evals[s].get("uas_heads"))
        if g is None or g.shape != final.shape:
            missing.append(s)
            continue
        xs.append(s)
        ys.append(float(g[layer, head]))
    note = None
    if missing:
        note = (
            f"{len(missing)} of {len(steps)} checkpoints have no usable uas_heads grid and are "
            f"left out of the fixed-head curve (steps {', '.join(map(str, missing[:10]))}"
            f"{', ...' if len(missing) > 10 else ''})"
        )
    info = {"layer": layer, "head": head, "step": last, "uas": float(final[layer, head]),
            "points": len(xs), "note": note}  # fmt: skip
    return info, (xs, ys)
