"""LAMP's claims logic (issue 16) on hand-made sweep cells: claims that hold, that fail, and
one that cannot be measured (a single bottom layer)."""

from __future__ import annotations

from bertology.experiments.lamp_claims import lamp_claims

LBS, SS = [0, 2], [0.3, 0.5, 0.7]


def _cells(p1, drop=0.1, extra=None):
    """``p1[(lb, s)]``: the subnetwork's P@1 of each cell."""
    return {
        f"lb{lb}-s{s:.2f}": {"bottom_layer": lb, "init_sparsity": s, "subnetwork": p1[(lb, s)],
                             "full": 0.3, "random": 0.05, "drop": drop, **(extra or {}).get((lb, s), {})}
        for lb in LBS for s in SS
    }  # fmt: skip


def _by_id(claims):
    return {c.id: c for c in claims}


GOOD = {(0, 0.3): 0.40, (0, 0.5): 0.50, (0, 0.7): 0.30,
        (2, 0.3): 0.20, (2, 0.5): 0.30, (2, 0.7): 0.10}  # fmt: skip


def test_claims_that_hold():
    c = _by_id(lamp_claims(_cells(GOOD), LBS, SS))
    assert all(x.held is True for x in c.values()), {k: x.why for k, x in c.items()}
    assert c["half_sparsity_best"].numbers["best_init_sparsity"] == 0.5
    assert c["mismatched_masks_lose"].numbers["cell"] == "lb0-s0.50"


def test_claims_that_fail():
    bad = {**GOOD, (0, 0.5): 0.25, (2, 0.5): 0.35, (0, 0.7): 0.60}
    c = _by_id(lamp_claims(_cells(bad, drop=-0.02), LBS, SS))
    assert c["more_layers_more_knowledge"].held is False  # 0.25 at lb 0 < 0.35 at lb 2
    assert c["half_sparsity_best"].held is False  # 0.7 is best (mean 0.35 vs 0.30)
    assert c["mismatched_masks_lose"].held is False  # a negative drop


def test_intervals_decide_when_given():
    ci = {(0, 0.5): {"subnetwork_ci": [0.35, 0.65], "drop_ci": [-0.05, 0.25]},
          (2, 0.5): {"subnetwork_ci": [0.15, 0.45]}}  # fmt: skip
    c = _by_id(lamp_claims(_cells(GOOD, extra=ci), LBS, SS))
    assert c["more_layers_more_knowledge"].held is False  # 0.50 > 0.30, intervals overlap
    assert "95% intervals" in c["more_layers_more_knowledge"].why
    assert c["mismatched_masks_lose"].held is False  # drop 0.1, interval reaches below 0
    apart = {(0, 0.5): {"subnetwork_ci": [0.46, 0.54], "drop_ci": [0.01, 0.2]},
             (2, 0.5): {"subnetwork_ci": [0.25, 0.35]}}  # fmt: skip
    c = _by_id(lamp_claims(_cells(GOOD, extra=apart), LBS, SS))
    assert c["more_layers_more_knowledge"].held is True
    assert c["mismatched_masks_lose"].held is True


def test_one_bottom_layer_is_not_measurable():
    one = {k: v for k, v in GOOD.items() if k[0] == 0}
    cells = {f"lb0-s{s:.2f}": {"bottom_layer": 0, "init_sparsity": s, "subnetwork": one[(0, s)],
                               "full": 0.3, "random": 0.0, "drop": 0.1} for s in SS}  # fmt: skip
    c = _by_id(lamp_claims(cells, [0], SS))
    assert c["more_layers_more_knowledge"].held is None
    assert c["half_sparsity_best"].held is True


def test_no_drop_is_not_a_loss():
    c = _by_id(lamp_claims(_cells(GOOD, drop=0.0), LBS, SS))
    assert c["mismatched_masks_lose"].held is False
