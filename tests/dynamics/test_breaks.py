"""Break detection (issue 15) on synthetic curves with known transitions: sigmoid rises and
falls with noise on irregular (dense early, sparse late) schedules, steps, and curves that
must give no break: flat noise, slow monotone drift, a smooth convex decay."""

from __future__ import annotations

import numpy as np
import pytest

from bertology.dynamics.breaks import detect_breaks
from bertology.errors import InputError


def schedule() -> np.ndarray:
    """Every 25 steps to 300, then every 100 to 4000: bertology's default shape."""
    return np.r_[np.arange(0, 300, 25), np.arange(300, 4001, 100)].astype(float)


def sigmoid(
    t: np.ndarray, centre: float, width: float, lo: float = 0.1, hi: float = 0.6
) -> np.ndarray:
    return lo + (hi - lo) / (1 + np.exp(-(t - centre) / width))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("centre", "width"), [(1500.0, 150.0), (800.0, 100.0), (2600.0, 250.0)])
@pytest.mark.parametrize("sign", [1, -1])
def test_a_noisy_sigmoid_breaks_at_its_knees(seed, centre, width, sign):
    t = schedule()
    rng = np.random.default_rng(seed)
    y = sign * sigmoid(t, centre, width) + rng.normal(0, 0.01, len(t))
    b = detect_breaks(t, y)
    # the logistic's acceleration peaks at centre -/+ 1.317 width: the knees
    assert b.direction == sign
    assert b.onset is not None and abs(b.onset - (centre - 1.317 * width)) <= 2 * width
    assert b.plateau is not None and abs(b.plateau - (centre + 1.317 * width)) <= 2 * width
    assert b.onset < centre < b.plateau
    assert b.noise == pytest.approx(0.01, rel=0.5)


@pytest.mark.parametrize("seed", range(5))
def test_an_early_transition_in_the_dense_part_of_the_schedule(seed):
    t = schedule()
    y = sigmoid(t, 150, 20) + np.random.default_rng(seed).normal(0, 0.01, len(t))
    b = detect_breaks(t, y)
    assert b.onset is not None and 50 <= b.onset <= 150
    assert b.plateau is not None and 150 <= b.plateau <= 400


@pytest.mark.parametrize("seed", range(5))
def test_a_step_breaks_on_both_sides_of_the_jump(seed):
    t = schedule()
    y = np.where(t >= 2000, 0.5, 0.1) + np.random.default_rng(seed).normal(0, 0.01, len(t))
    b = detect_breaks(t, y)
    assert b.onset is not None and 1700 <= b.onset < 2000
    assert b.plateau is not None and 2000 <= b.plateau <= 2300


def test_flat_noise_and_slow_drift_rarely_give_a_break():
    """Noise alone must not make breaks: over 200 draws each, at most 2% of flat noisy
    curves and of steady drifts (a 40-noise-unit rise, no acceleration) give one."""
    t = schedule()
    flat = drift = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        b = detect_breaks(t, 0.3 + rng.normal(0, 0.02, len(t)))
        flat += b.onset is not None or b.plateau is not None
        b = detect_breaks(t, 0.1 + 0.4 * t / t[-1] + rng.normal(0, 0.01, len(t)))
        drift += b.onset is not None or b.plateau is not None
    assert flat <= 4 and drift <= 4, (flat, drift)


@pytest.mark.parametrize("seed", range(5))
def test_a_convex_decay_has_no_onset(seed):
    """A loss falling fastest at the start: it only slows down, so no onset."""
    t = schedule()
    y = 2 + 3 * np.exp(-t / 800) + np.random.default_rng(seed).normal(0, 0.01, len(t))
    assert detect_breaks(t, y).onset is None


@pytest.mark.parametrize("seed", range(5))
def test_ruptures_finds_the_ramp_and_nothing_in_noise(seed):
    t = schedule()
    rng = np.random.default_rng(seed)
    y = np.interp(t, [0, 1000, 2000, 4000], [0.1, 0.1, 0.6, 0.6]) + rng.normal(0, 0.01, len(t))
    b = detect_breaks(t, y, method="ruptures")
    assert b.onset is not None and abs(b.onset - 1000) <= 200
    assert b.plateau is not None and abs(b.plateau - 2000) <= 200
    flat = detect_breaks(t, 0.3 + rng.normal(0, 0.02, len(t)), method="ruptures")
    assert flat.onset is None and flat.plateau is None


def test_the_second_difference_is_exact_on_a_parabola_with_irregular_steps():
    from bertology.dynamics.breaks import _second_difference

    t = np.array([0.0, 1, 3, 4, 8, 9, 15])
    a = _second_difference(t) @ (3 * t**2 - t + 2)
    assert a[1:-1] == pytest.approx(np.full(5, 6.0))


def test_bad_series_are_errors():
    with pytest.raises(InputError, match="uas: a series needs at least 4 points, got 3"):
        detect_breaks([0, 1, 2], [0.1, 0.2, 0.3], what="uas")
    with pytest.raises(InputError, match="steps must increase strictly"):
        detect_breaks([0, 2, 2, 3], [0, 1, 2, 3])
    with pytest.raises(InputError, match="NaN"):
        detect_breaks([0, 1, 2, 3], [0, float("nan"), 2, 3])
    with pytest.raises(InputError, match="unknown break method 'pelt'"):
        detect_breaks([0, 1, 2, 3], [0, 1, 2, 3], method="pelt")
