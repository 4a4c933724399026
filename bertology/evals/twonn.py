"""TwoNN intrinsic dimension (Facco, d'Errico, Rodriguez & Laio 2017, Sci. Rep. 7:12140).

What: the intrinsic dimension of a point cloud (for instance one layer's token representations),
measured from nothing but each point's first two nearest-neighbour distances.
Why: TwoNN is the representation-complexity measure of the SAS paper (Chen et al., "Sudden
drops in the loss", ICLR 2024): the intrinsic dimension of the model's representations drops
just before structure onset, so tracking it across checkpoints locates the transition.

The formula. For each point, r1 and r2 are the distances to its first and second nearest
neighbours (itself excluded) and mu = r2 / r1. On a locally uniform d-dimensional manifold mu
follows the Pareto law F(mu) = 1 - mu^(-d), that is -log(1 - F(mu)) = d log(mu). So:

1. drop the degenerate points, leaving N (counted in ``n_dropped``, never turned into NaN or
   inf): the extra copies of exact duplicate rows first (one of each stays; dropping them
   before the neighbour search keeps their neighbours, whose two nearest would otherwise be
   an equidistant duplicate pair), then points with r1 == 0 (distances that underflow) or
   mu == 1 (r1 == r2, log mu = 0);
2. sort the N values of mu ascending and keep the k = int(N * (1 - discard_fraction)) smallest,
   discarding the largest (the tail is where the local-uniformity assumption fails);
3. F_i = i / N for i = 1..k, with N counted BEFORE discarding;
4. fit -log(1 - F_i) = d log(mu_i) through the origin: with x = log mu and y = -log(1 - F),
   the dimension is the least-squares slope d = sum(x * y) / sum(x * x).

These are the conventions of ``skdim.id.TwoNN`` (scikit-dimension, ``method="linear"``): its
``n_keep = int(N * (1 - self.discard_fraction))``, ``Femp = np.arange(1, 1 + n_keep) / N`` and
``LinearRegression(fit_intercept=False)`` on ``(np.log(mu), -np.log(1 - Femp))``. So k is
``int``, not ``N - floor(discard_fraction * N)``: 2 of 15 points are discarded at 0.1. The
differences: skdim keeps mu == 1 points (each adds a point at x = 0), and with
``discard_fraction = 0`` the largest mu (F = 1, y = inf) is discarded here where skdim fails.

All distances are float64 and exact (blocked pairwise matrices, no approximate neighbours), so
near-duplicates that float32 would merge keep their small non-zero r1. The cosine distance
1 - u.v of unit rows is computed as the equal |u - v|^2 / 2, which does not cancel to 0 for
nearly parallel rows. Note that 1 - cos grows like angle^2 / 2, so locally it doubles log mu and
the cosine estimate is about half the Euclidean one of the normalised rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.spatial.distance import cdist

from bertology.errors import InputError, unknown_name_error

METRICS: tuple[str, ...] = ("cosine", "euclidean")
MIN_POINTS = 10
_BLOCK_ENTRIES = (
    1 << 24
)  # distance-matrix entries per block (128 MiB of float64), at most 1024 rows


@dataclass(frozen=True)
class TwoNNResult:
    """A TwoNN estimate and its bookkeeping; ``n_points = n_used + n_dropped + n_discarded``."""

    dimension: float  # the fitted slope d
    r: float  # Pearson correlation of (log mu, -log(1 - F)) over the fit's points; 0.0 if mu constant
    n_points: int  # points given
    n_used: int  # points whose mu entered the fit
    n_dropped: int  # extra copies of duplicate rows, then points with r1 == 0 or mu == 1
    n_discarded: int  # points discarded as the largest discard_fraction of mu

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _as_float64(points: Any) -> np.ndarray:
    """``points`` (numpy array, torch tensor of any float dtype and device, nested lists) as float64."""
    if hasattr(points, "detach"):  # a torch tensor: bfloat16 has no numpy dtype, so cast in torch
        points = points.detach().cpu().double().numpy()
    return np.asarray(points, dtype=np.float64)


def nearest_two(x: np.ndarray, metric: str = "euclidean") -> tuple[np.ndarray, np.ndarray]:
    """``(r1, r2)``: each row's exact float64 distances to its nearest and second-nearest other
    rows (a duplicate row counts, at distance 0). Needs at least 3 rows."""
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        zero = np.flatnonzero(norms[:, 0] == 0)
        if zero.size:
            raise InputError(
                f"cosine distance is undefined for rows with zero norm: {zero.size} such rows "
                f"(first: {zero[:5].tolist()})"
            )
        x = x / norms
    n = len(x)
    rows = max(1, min(1024, _BLOCK_ENTRIES // n))
    r12 = np.empty((n, 2))
    for start in range(0, n, rows):
        block = x[start : start + rows]
        if metric == "cosine":
            dist = (
                cdist(block, x, "sqeuclidean") / 2
            )  # = 1 - u.v for unit rows, without cancellation
        else:
            dist = cdist(block, x, "euclidean")
        own = np.arange(len(block))
        dist[own, start + own] = np.inf  # a point is not its own neighbour
        r12[start : start + len(block)] = np.sort(np.partition(dist, 1, axis=1)[:, :2], axis=1)
    return r12[:, 0], r12[:, 1]


def twonn(points: Any, discard_fraction: float = 0.1, metric: str = "euclidean") -> TwoNNResult:
    """The TwoNN intrinsic dimension of ``points`` (shape ``(N, D)``), as described above."""
    if metric not in METRICS:
        raise unknown_name_error("TwoNN metric", metric, METRICS)
    if not 0 <= discard_fraction < 1:
        raise InputError(f"discard_fraction must be in [0, 1), got {discard_fraction}")
    x = _as_float64(points)
    if x.ndim != 2:
        raise InputError(f"TwoNN needs a 2-D (points, features) array, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise InputError("TwoNN points contain NaN or inf")
    n = len(x)
    if n < MIN_POINTS:
        raise InputError(f"TwoNN needs at least {MIN_POINTS} distinct points, got {n}")
    x = np.unique(x, axis=0)  # the extra copies of duplicate rows go first (see step 1)
    copies = n - len(x)
    if len(x) < 3:
        raise InputError(
            f"TwoNN needs at least {MIN_POINTS} distinct points, got {len(x)} ({copies} "
            "duplicates dropped)"
        )
    r1, r2 = nearest_two(x, metric)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mu = r2 / r1
    valid = (r1 > 0) & np.isfinite(mu) & (mu > 1)
    n_valid = int(valid.sum())
    if n_valid < MIN_POINTS:
        duplicates = copies + int((r1 == 0).sum())
        ties = n - n_valid - duplicates
        raise InputError(
            f"TwoNN needs at least {MIN_POINTS} distinct points, got {n_valid} ({duplicates} "
            f"duplicates and {ties} with equidistant first and second neighbours dropped)"
        )
    mu = np.sort(mu[valid])
    n_used = min(int(n_valid * (1 - discard_fraction)), n_valid - 1)  # F = 1 would give y = inf
    if n_used < 2:
        raise InputError(
            f"discard_fraction={discard_fraction} leaves {n_used} of {n_valid} points to fit"
        )
    log_mu = np.log(mu[:n_used])
    y = -np.log(1 - np.arange(1, n_used + 1) / n_valid)
    dimension = float(log_mu @ y / (log_mu @ log_mu))
    r = float(np.corrcoef(log_mu, y)[0, 1]) if np.ptp(log_mu) > 0 else 0.0
    return TwoNNResult(
        dimension=dimension,
        r=r,
        n_points=n,
        n_used=n_used,
        n_dropped=n - n_valid,
        n_discarded=n_valid - n_used,
    )
