"""Phase transitions in a training curve: where a metric starts to change abruptly (onset)
and where it stops (plateau).

The SAS paper's findings are breaks in curves: UAS rises abruptly (structure onset), then
plateaus, and BLiMP and the loss jump after it (capability onset). The paper does not publish
its break formula, so this module defines one, with a significance rule so that noise alone
gives no break.

**The criterion** (``method="curvature"``, the default). Given checkpoints at steps
``t_1 < ... < t_n`` (any spacing) with values ``y_i``:

1. *Smooth*: ``s = W y``, at each checkpoint the value of a line fitted by weighted least
   squares to its neighbours ``i-2..i+2``, weights ``exp(-(i-j)^2 / 2)`` (local linear
   regression in step space, windows counted in checkpoints: the smoothing follows the
   schedule's density, and an uneven window at a change of spacing does not bend the curve).
2. *Noise*: ``σ = 1.4826 MAD(y - s) / sqrt(c)``, the robust spread of the residuals, where
   ``c`` is the mean of ``(1-w_ii)^2 + Σ_{j≠i} w_ij^2`` (the residual variance of white noise
   of variance 1 under this smoother), so that ``σ`` estimates the noise, not the residual.
3. *Derivatives in step space*, with the finite differences of an irregular grid:
   the slope ``v = ds/dt`` (``numpy.gradient``) and, over checkpoints ``i-k, i, i+k``,
   ``a_i = 2 [(s_{i+k}-s_i)/(t_{i+k}-t_i) - (s_i-s_{i-k})/(t_i-t_{i-k})] / (t_{i+k}-t_{i-k})``
   for ``k = 1, ..., 5`` (a knee wider than the spacing shows at a wider scale). Each
   ``a_i = A_i · y`` is linear in ``y``, so under white noise its standard deviation is exactly
   ``σ ||A_i||``; ``z_i = a_i / (σ ||A_i||)`` is the acceleration in noise units, comparable
   across dense and sparse stretches of the schedule and across scales; the scale with the
   largest ``|z|`` counts.
4. The *transition* is at the steepest point, ``m = argmax |v_i| / (σ ||V_i||)`` (the slope
   in noise units, ``v = V y``, so that noise in a densely checkpointed stretch does not
   outweigh a real rise in a sparse one), its direction ``d = sign(v_m)``.
   - ``onset`` = the step of ``max_{i <= m} d z_i`` (the peak acceleration in the direction of
     the change, up to the steepest point);
   - ``plateau`` = the step of ``min_{i >= m} d z_i`` (the peak deceleration after it).
5. *Significance*: the onset and the plateau count only if ``|z| >= threshold`` (default 4)
   at **both**, and the smoothed curve changes by at least ``threshold σ`` between them. One
   alone counts only where the other cannot be seen: an onset when the steepest point is
   among the last 3 checkpoints (still changing when training ended), a plateau when it is
   among the first 3 (already changing at the first checkpoint). A flat noisy curve has
   ``|z|`` around 1-3 and no change; a steady drift has no acceleration, so a noise spike
   would have to appear twice, in the right order. (Measured on the default schedule, 49
   checkpoints: 1 in 300 flat curves and 3 in 300 drifts gave a break; a logistic rise
   of 50 noise units over 2.5 widths of 250 steps was found in 200 of 200 draws.)

**The change-point alternative** (``method="ruptures"``): ``ruptures.Dynp`` with the linear
cost on ``[y, t, 1]`` (a piecewise-linear fit in step space), 2 breaks, ``jump=1`` and
``min_size=4`` (the library's defaults, ``jump=5`` and ``min_size=2``, are wrong for 30-200
checkpoints), then the same significance rule on the fitted segments' ends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from bertology.errors import InputError

MIN_POINTS = 4
METHODS = ("curvature", "ruptures")
SCALES = (1, 2, 3, 4, 5)  # checkpoints spanned by a second difference
EDGE = 3  # checkpoints at either end where a transition may show only one break


@dataclass(frozen=True)
class Breaks:
    """Onset and plateau in training steps (``None``: no significant break)."""

    onset: int | None
    plateau: int | None
    direction: int  # +1 the curve rises through the transition, -1 it falls, 0 flat
    noise: float  # σ, the estimated noise standard deviation
    change: float  # smoothed value at the plateau minus at the onset (or the steepest point)
    z_onset: float | None = None
    z_plateau: float | None = None
    method: str = "curvature"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _smoother(t: np.ndarray) -> np.ndarray:
    """``W`` with ``s = W y``: at each checkpoint, the value at ``t_i`` of a straight line
    fitted by weighted least squares to checkpoints ``i-2..i+2`` (Gaussian weights in
    checkpoint order). A local line, not a local mean: where the schedule's spacing changes,
    an uneven window would otherwise bend a curved series into a false break."""
    n = len(t)
    w = np.zeros((n, n))
    for i in range(n):
        js = np.arange(max(0, i - 2), min(n, i + 3))
        g = np.exp(-((js - i) ** 2) / 2.0)
        x = np.column_stack([np.ones(len(js)), t[js] - t[i]])
        gram = x.T @ (g[:, None] * x)
        w[i, js] = np.linalg.solve(gram, x.T * g)[0]
    return w


def _second_difference(t: np.ndarray, k: int = 1) -> np.ndarray:
    """``D`` with ``(D s)_i`` the second difference of ``s`` over checkpoints ``i-k, i, i+k``
    (zero rows where those do not exist)."""
    n = len(t)
    d = np.zeros((n, n))
    for i in range(k, n - k):
        h0, h1, h2 = t[i] - t[i - k], t[i + k] - t[i], t[i + k] - t[i - k]
        d[i, i - k], d[i, i], d[i, i + k] = 2 / (h0 * h2), -2 / (h0 * h1), 2 / (h1 * h2)
    return d


def _check(
    steps: Sequence[float], values: Sequence[float], what: str
) -> tuple[np.ndarray, np.ndarray]:
    t, y = np.asarray(steps, dtype=np.float64), np.asarray(values, dtype=np.float64)
    if t.shape != y.shape or t.ndim != 1:
        raise InputError(f"{what}: steps and values must be two lists of one length")
    if len(t) < MIN_POINTS:
        raise InputError(f"{what}: a series needs at least {MIN_POINTS} points, got {len(t)}")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(y))):
        raise InputError(f"{what}: the series has NaN or infinite values")
    if np.any(np.diff(t) <= 0):
        raise InputError(f"{what}: steps must increase strictly")
    return t, y


def _noise(y: np.ndarray, w: np.ndarray) -> float:
    r = y - w @ y
    c = float(np.mean((1 - np.diag(w)) ** 2 + (w**2).sum(1) - np.diag(w) ** 2))
    mad = float(np.median(np.abs(r - np.median(r))))
    return 1.4826 * mad / math.sqrt(c) if c > 0 else 0.0


def detect_breaks(
    steps: Sequence[float],
    values: Sequence[float],
    threshold: float = 4.0,
    method: str = "curvature",
    what: str = "series",
) -> Breaks:
    """Onset and plateau of the curve's transition, as the module docstring defines them."""
    if method not in METHODS:
        raise InputError(f"unknown break method {method!r}; known: {', '.join(METHODS)}")
    t, y = _check(steps, values, what)
    w = _smoother(t)
    s = w @ y
    sigma = _noise(y, w)
    floor = max(sigma, 1e-12 * max(1.0, float(np.abs(y).max())))
    v_map = np.gradient(np.eye(len(t)), t, axis=0) @ w  # v = V y, the slope ds/dt
    v_scale = floor * np.linalg.norm(v_map, axis=1)
    zv = (v_map @ y) / np.where(v_scale > 0, v_scale, np.inf)  # slope in noise units
    m = int(np.argmax(np.abs(zv)))
    direction = int(np.sign(zv[m]))
    if direction == 0:
        return Breaks(None, None, 0, sigma, 0.0, method=method)
    if method == "ruptures":
        return _ruptures(t, y, s, floor, threshold, direction)
    zs = []  # z at each scale: second differences over 1, 2 and 3 checkpoints
    for k in SCALES:
        a_map = _second_difference(t, k) @ w  # a = A y, linear in y
        scale = floor * np.linalg.norm(a_map, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            zs.append(np.where(scale > 0, direction * (a_map @ y) / scale, 0.0))
    z_up, z_down = np.max(zs, axis=0), np.min(zs, axis=0)
    interior = np.arange(len(t))
    before = interior[(interior >= 1) & (interior <= m) & (interior <= len(t) - 2)]
    after = interior[(interior >= m) & (interior >= 1) & (interior <= len(t) - 2)]
    i_on = int(before[np.argmax(z_up[before])]) if len(before) else None
    i_pl = int(after[np.argmin(z_down[after])]) if len(after) else None
    z = np.where(interior == i_on, z_up, z_down)
    on_ok = i_on is not None and z[i_on] >= threshold
    pl_ok = i_pl is not None and -z[i_pl] >= threshold
    if not (on_ok and pl_ok):  # one side alone counts only where the other cannot be seen:
        on_ok &= m >= len(t) - EDGE  # still changing at the end of training
        pl_ok &= m < EDGE  # already changing at the first checkpoints
    lo = i_on if on_ok else m
    hi = i_pl if pl_ok else m
    change = float(s[hi] - s[lo])
    if abs(change) < threshold * floor:
        on_ok = pl_ok = False
    return Breaks(
        int(t[i_on]) if on_ok else None,
        int(t[i_pl]) if pl_ok else None,
        direction,
        sigma,
        change,
        float(z[i_on]) if i_on is not None else None,
        float(z[i_pl]) if i_pl is not None else None,
    )


def _ruptures(
    t: np.ndarray, y: np.ndarray, s: np.ndarray, floor: float, threshold: float, direction: int
) -> Breaks:
    import ruptures as rpt  # only for this method

    if len(t) < 3 * MIN_POINTS:
        raise InputError(
            f"the ruptures method needs at least {3 * MIN_POINTS} points, got {len(t)}"
        )
    signal = np.column_stack([y, t / t[-1], np.ones_like(t)])
    bkps = rpt.Dynp(model="linear", min_size=MIN_POINTS, jump=1).fit(signal).predict(n_bkps=2)
    i_on, i_pl = bkps[0], min(bkps[1], len(t) - 1)  # the transition segment's first index,
    change = float(s[i_pl] - s[i_on])  # and the next segment's
    ok = direction * change >= threshold * floor
    return Breaks(
        int(t[i_on]) if ok else None,
        int(t[i_pl]) if ok else None,
        direction,
        floor,
        change,
        method="ruptures",
    )
