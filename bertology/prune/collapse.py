"""Whether a relation's representations have collapsed onto (nearly) one point.

A subnetwork can make every prompt of a relation produce the same final state: it then
ignores the subject and predicts one object for all facts. The silhouette score rewards this:
a relation whose points coincide has zero within-cluster distance, so a "better clustering by
relation" under the subnetworks can be nothing but collapse. :func:`collapse_stats` counts
the distinct states among a relation's prompts so the readout can say so next to the score.

Two states coincide when their Euclidean distance is at most ``rtol`` (default 1%) times the
larger of their norms. Why 1%: float32 batching noise is ~1e-6 relative and a bf16 forward
pass's ~4e-3 (the tolerance is at least 4 machine epsilons of the model's dtype,
:func:`state_tolerance`), while the final states of genuinely different prompts differ by
tens of percent; two states 1% apart point the same way (cosine distance ~5e-5), which is what
the cosine silhouette sees. Points are grouped greedily: each point not yet within tolerance
of an earlier group's first point starts a new group (exact for identical rows; a chain of
near-neighbours is not merged). ``spread`` (mean distance to the mean over mean norm) is
reported too, so a relation that shrank without coinciding can be seen as well.

A relation is **collapsed** when its distinct states number at most
``max(1, COLLAPSE_FRACTION × distinct prompts)``, with at least two distinct prompts (one
prompt cannot collapse). Counting against distinct *prompts*, not facts, keeps N-to-M
relations (one subject, several objects, one prompt) from looking collapsed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

COLLAPSE_RTOL = 1e-2  # relative distance under which two states count as one point
COLLAPSE_FRACTION = 0.1  # collapsed: distinct states <= max(1, this x distinct prompts)


def state_tolerance(dtype: torch.dtype | None = None) -> float:
    """The relative tolerance for states computed in ``dtype``: :data:`COLLAPSE_RTOL`, or 4
    machine epsilons of a coarser floating dtype (bf16: ~0.03)."""
    if dtype is None or not dtype.is_floating_point:
        return COLLAPSE_RTOL
    return max(COLLAPSE_RTOL, 4 * torch.finfo(dtype).eps)


@torch.no_grad()
def distinct_points(states: Tensor, rtol: float = COLLAPSE_RTOL) -> int:
    """The number of distinct rows of ``states`` ``(N, D)``: rows within ``rtol`` (relative to
    the larger norm) of an earlier group's first row are not counted again."""
    x = states.detach().double()  # (N, D)
    n = x.shape[0]
    if n == 0:
        return 0
    norms = x.norm(dim=1)  # (N,)
    covered = torch.zeros(n, dtype=torch.bool)
    groups = 0
    for i in range(n):
        if covered[i]:
            continue
        groups += 1
        d = (x - x[i]).norm(dim=1)  # (N,)
        covered |= d <= rtol * torch.maximum(norms, norms[i])
    return groups


def spread(states: Tensor) -> float:
    """Mean distance of the rows to their mean, relative to the mean row norm: 0 for
    identical rows, whatever the tolerance (NaN without rows or with all-zero rows)."""
    x = states.detach().double()  # (N, D)
    if len(x) == 0:
        return float("nan")
    scale = float(x.norm(dim=1).mean())
    if scale == 0:
        return float("nan")
    return float((x - x.mean(0)).norm(dim=1).mean()) / scale


def collapse_stats(
    states: Tensor, prompts: Sequence[str], rtol: float = COLLAPSE_RTOL
) -> dict[str, Any]:
    """``{"n", "distinct_prompts", "distinct_states", "spread", "collapsed"}`` of one
    relation's states ``(N, D)`` (one row per prompt in ``prompts``)."""
    if len(states) != len(prompts):
        raise ValueError(f"{len(states)} states for {len(prompts)} prompts")
    n_prompts = len(set(prompts))
    distinct = distinct_points(states, rtol)
    limit = max(1, int(COLLAPSE_FRACTION * n_prompts))
    return {
        "n": len(prompts),
        "distinct_prompts": n_prompts,
        "distinct_states": distinct,
        "spread": spread(states),
        "collapsed": n_prompts >= 2 and distinct <= limit,
    }
