"""The SAS claims logic (issue 16) on hand-made dynamics: a claim that holds, one that
fails, and one that is not measurable because no break was found."""

from __future__ import annotations

from bertology.experiments.claims import sas_claims


def _v(**kw):
    base = {"structure_onset": 600, "capability_onset": 1300, "final_val_loss": 1.70,
            "final_uas": 0.54, "final_blimp": 0.90, "early_val_loss": 4.8,
            "twonn_drop_before_structure_onset": True, "twonn_drop_lead": 200}  # fmt: skip
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
    c = _by_id(sas_claims({"baseline": _v(structure_onset=None, twonn_drop_lead=None)}))
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


def test_twonn_drop_must_lead_the_onset_within_its_pre_onset_half():
    def held(lead):
        return _by_id(sas_claims({"baseline": _v(twonn_drop_lead=lead)}))[
            "twonn_drop_before_structure"
        ].held

    # onset 600: a drop 300 steps before it leads; 500 before is the initial collapse
    assert held(300) is True
    assert held(301) is False
    assert held(500) is False
    assert held(0) is False  # at the onset is not before it
    assert held(-100) is False


def test_uas_recovery_is_judged_on_intervals():
    base = _v(final_uas=0.54, final_uas_ci=[0.50, 0.58])
    overlap = _by_id(sas_claims({"baseline": base,
                                 "sas-until-9": _v(final_uas=0.49, final_uas_ci=[0.45, 0.53])}))  # fmt: skip
    assert overlap["uas_does_not_recover"].held is False  # lower point, overlapping intervals
    assert "95% intervals" in overlap["uas_does_not_recover"].why
    apart = _by_id(sas_claims({"baseline": base,
                               "sas-until-9": _v(final_uas=0.44, final_uas_ci=[0.40, 0.48])}))  # fmt: skip
    assert apart["uas_does_not_recover"].held is True


def test_structure_above_positional_needs_the_margin_interval_above_zero():
    def held(**kw):
        return _by_id(sas_claims({"baseline": _v(**kw)}))["structure_above_positional"].held

    assert held(final_uas_margin=0.02, final_uas_margin_ci=[-0.01, 0.05]) is False
    assert held(final_uas_margin=0.02, final_uas_margin_ci=[0.01, 0.04]) is True
    assert held(final_uas_margin=-0.01) is False  # no interval: the point value
    assert "structure_above_positional" not in _by_id(sas_claims({"baseline": _v()}))
