"""The SAS claims logic (issue 16) on hand-made dynamics: a claim that holds, one that
fails, and one that is not measurable because no break was found."""

from __future__ import annotations

from bertology.experiments.claims import sas_claims


def _v(**kw):
    base = {"structure_onset": 600, "capability_onset": 1300, "final_val_loss": 1.70,
            "final_uas": 0.54, "final_blimp": 0.90, "early_val_loss": 4.8,
            "twonn_drop_before_structure_onset": True}  # fmt: skip
    return {**base, **kw}


def _by_id(claims):
    return {c.id: c for c in claims}


def test_claims_that_hold():
    c = _by_id(sas_claims({
        "baseline": _v(),
        "sas+": _v(structure_onset=300, final_val_loss=1.80),
        "sas-": _v(structure_onset=None, early_val_loss=4.5),
        "sas-until-800": _v(final_val_loss=1.65, final_uas=0.40),
    }))  # fmt: skip
    assert all(x.held is True for x in c.values()), {k: x.why for k, x in c.items()}
    assert c["sas_plus_earlier_but_worse"].numbers["onset_sas+"] == 300


def test_claims_that_fail_including_on_blimp_intervals():
    c = _by_id(sas_claims({
        "baseline": _v(capability_onset=500, final_blimp_ci=[0.85, 0.95]),
        "sas+": _v(structure_onset=300, final_val_loss=1.60, final_blimp=0.88, final_blimp_ci=[0.83, 0.93]),
        "sas-": _v(structure_onset=700, early_val_loss=4.5),
        "sas-until-800": _v(final_val_loss=1.75, final_uas=0.60),
    }))  # fmt: skip
    assert c["structure_before_capability"].held is False  # 600 is not before 500
    assert c["sas_plus_earlier_but_worse"].held is False  # better loss; BLiMP intervals overlap
    assert c["sas_minus_no_spike_faster_early"].held is False  # a spike at 700
    assert c["sas_minus_until_k_beats_baseline"].held is False
    assert c["uas_does_not_recover"].held is False


def test_no_break_means_not_measurable():
    c = _by_id(
        sas_claims({"baseline": _v(structure_onset=None, twonn_drop_before_structure_onset=None)})
    )
    assert c["structure_before_capability"].held is None
    assert "not measurable: no structure_onset" in c["structure_before_capability"].why
    assert c["twonn_drop_before_structure"].held is None
    assert c["sas_plus_earlier_but_worse"].held is None  # no SAS+ variant at all


def test_equal_steps_do_not_precede():
    c = _by_id(
        sas_claims({"baseline": _v(capability_onset=600), "sas-until-1": _v(final_uas=0.54)})
    )
    assert c["structure_before_capability"].held is False
    assert c["uas_does_not_recover"].held is False  # equal is recovered
