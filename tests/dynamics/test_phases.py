"""Phases (issue 15): a loss's initial fall is set aside and its later drop found; the SAS
paper's derived quantities follow from the breaks, or are None where unmeasurable."""

from __future__ import annotations

import numpy as np

from bertology.dynamics.phases import curves, metric_breaks, phases, table_row

T = np.r_[np.arange(0, 300, 25), np.arange(300, 4001, 100)].astype(float)


def _series(y: np.ndarray) -> tuple[list[int], list[float]]:
    return [int(t) for t in T], [float(v) for v in y]


def test_a_loss_initial_fall_is_set_aside_and_its_later_drop_found():
    rng = np.random.default_rng(0)
    loss = (
        5 + 3 * np.exp(-T / 40) - 2 / (1 + np.exp(-(T - 1500) / 150)) + rng.normal(0, 0.01, len(T))
    )
    m = metric_breaks({"val_loss": _series(loss)}, 4.0, "curvature")["val_loss"]
    assert m["initial_plateau"] is not None and m["initial_plateau"] <= 300
    assert m["direction"] == -1
    assert 1000 <= m["onset"] <= 1500 <= m["plateau"] <= 2000


def _metrics(uas_at: float, blimp_at: float | None, twonn_at: float | None) -> dict:
    rng = np.random.default_rng(1)

    def rise(at: float, lo: float, hi: float) -> np.ndarray:
        return lo + (hi - lo) / (1 + np.exp(-(T - at) / 120)) + rng.normal(0, 0.005, len(T))

    series = {"uas": _series(rise(uas_at, 0.1, 0.5))}
    if blimp_at is not None:
        series["blimp"] = _series(rise(blimp_at, 0.5, 0.8))
    if twonn_at is not None:
        series["twonn"] = _series(rise(twonn_at, 14, 9))
    return metric_breaks(series, 4.0, "curvature")


def test_the_paper_order_is_recognised():
    ph = phases(_metrics(uas_at=1000, blimp_at=2500, twonn_at=500))
    assert 500 <= ph["structure_onset"] < 1000 < ph["structure_plateau"] <= 1500
    assert ph["capability_source"] == "blimp" and ph["capability_onset"] >= ph["structure_plateau"]
    assert ph["capability_after_structure_plateau"] is True
    assert ph["twonn_drop_before_structure_onset"] is True
    assert ph["twonn_min_step"] > 500


def test_another_order_is_reported_as_such_and_missing_metrics_as_none():
    ph = phases(_metrics(uas_at=2500, blimp_at=800, twonn_at=3000))
    assert ph["capability_after_structure_plateau"] is False
    assert ph["twonn_drop_before_structure_onset"] is False
    ph = phases(_metrics(uas_at=2500, blimp_at=None, twonn_at=None))
    assert ph["capability_onset"] is None and ph["capability_after_structure_plateau"] is None
    assert ph["twonn_drop_before_structure_onset"] is None and ph["twonn_min_step"] is None


def test_curves_skip_non_curves_and_missing_points_and_the_table_takes_final_values():
    evals = {
        0: {"uas": 0.1, "uas_head": 3, "eval_time_s": 1.0},
        2: {"uas": 0.2},
        4: {"uas": float("nan")},
    }
    c = curves(evals)
    assert c == {"uas": ([0, 2], [0.1, 0.2])}
    row = table_row("r", {"uas": {"values": [0.1, 0.2]}}, phases({}))
    assert row["final_uas"] == 0.2 and row["final_blimp"] is None
