"""The SAS paper's claims (Chen et al., ICLR 2024), judged on the dynamics of pre-training
variants that differ only in the syntactic regularizer.

Each variant is summarised as a mapping with (any may be ``None``): ``structure_onset``,
``capability_onset``, ``final_val_loss``, ``final_uas``, ``final_blimp`` and its interval
``final_blimp_ci``, ``early_val_loss`` (the validation loss at a fixed early step, the same
for every variant), and ``twonn_drop_before_structure_onset``. Variant names start with
``baseline``, ``sas+``, ``sas-`` and ``sas-until``.

A claim is ``held: True`` or ``False`` when its numbers exist, and ``None`` ("not
measurable") when one is missing, for instance when the baseline shows no structure onset.
A BLiMP or UAS comparison is judged on the 95% intervals (``final_blimp_ci``,
``final_uas_ci``) when both are given: lower only when the intervals do not overlap. It falls
back to the point values otherwise, and ``why`` says which basis was used.

The TwoNN claim needs the drop to *lead* the structure onset, not merely precede it: a drop
in the first half of the steps before the onset (``twonn_drop_lead`` > onset / 2) is the
initial collapse of a random network's representations, which every run shows, and does not
count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Claim:
    id: str
    claim: str
    held: bool | None  # None: not measurable here
    numbers: dict[str, Any] = field(default_factory=dict)
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _first(variants: dict[str, dict[str, Any]], prefix: str) -> dict[str, Any] | None:
    """The variant whose name starts with ``prefix`` (``sas-`` excludes ``sas-until``)."""
    for name, v in variants.items():
        if name.startswith(prefix) and not (prefix == "sas-" and name.startswith("sas-until")):
            return v
    return None


def _missing(**numbers: Any) -> list[str]:
    return [k for k, v in numbers.items() if v is None]


def _below(a: dict[str, Any], b: dict[str, Any], key: str) -> bool | None:
    """Is ``a[key]`` below ``b[key]``: on the 95% intervals ``key_ci`` when both have them (the
    intervals must not overlap), on the point values otherwise."""
    if a.get(key) is None or b.get(key) is None:
        return None
    ca, cb = a.get(f"{key}_ci"), b.get(f"{key}_ci")
    if ca and cb:
        return ca[1] < cb[0]
    return a[key] < b[key]


def _basis(*vs: dict[str, Any], key: str) -> str:
    return "95% intervals" if all(v.get(f"{key}_ci") for v in vs) else "point values"


def _claim(cid: str, text: str, numbers: dict[str, Any], test: Any) -> Claim:
    gone = _missing(**numbers)
    if gone:
        return Claim(cid, text, None, numbers, f"not measurable: no {', '.join(gone)}")
    held = bool(test())
    return Claim(cid, text, held, numbers, "held" if held else "did not hold")


def sas_claims(variants: dict[str, dict[str, Any]]) -> list[Claim]:
    """Each claim of the paper with the numbers that test it (see the module docstring)."""
    base = _first(variants, "baseline") or {}
    plus = _first(variants, "sas+") or {}
    minus = _first(variants, "sas-") or {}
    until = _first(variants, "sas-until") or {}
    claims = [
        _claim(
            "structure_before_capability",
            "structure onset precedes capability onset (baseline)",
            {"structure_onset": base.get("structure_onset"),
             "capability_onset": base.get("capability_onset")},
            lambda: base["structure_onset"] < base["capability_onset"],
        ),
        _claim(
            "sas_plus_earlier_but_worse",
            "SAS+ gives an earlier structure onset and a worse final loss or BLiMP",
            {"onset_sas+": plus.get("structure_onset"), "onset_baseline": base.get("structure_onset"),
             "loss_sas+": plus.get("final_val_loss"), "loss_baseline": base.get("final_val_loss")},
            lambda: plus["structure_onset"] < base["structure_onset"]
            and (plus["final_val_loss"] > base["final_val_loss"] or bool(_below(plus, base, "final_blimp"))),
        ),
        _claim(
            "sas_minus_no_spike_faster_early",
            "SAS- gives no UAS spike and a faster early loss",
            {"early_loss_sas-": minus.get("early_val_loss"),
             "early_loss_baseline": base.get("early_val_loss")},
            lambda: minus.get("structure_onset") is None
            and minus["early_val_loss"] < base["early_val_loss"],
        ),
        _claim(
            "sas_minus_until_k_beats_baseline",
            "SAS- until step k ends with a lower validation loss than the baseline",
            {"loss_sas-until": until.get("final_val_loss"), "loss_baseline": base.get("final_val_loss")},
            lambda: until["final_val_loss"] < base["final_val_loss"],
        ),
        _claim(
            "uas_does_not_recover",
            "after SAS- is released, UAS does not recover to the baseline's level",
            {"uas_sas-until": until.get("final_uas"), "uas_baseline": base.get("final_uas")},
            lambda: _below(until, base, "final_uas"),
        ),
        _claim(
            "twonn_drop_before_structure",
            "the TwoNN drop comes before structure onset (baseline)",
            {"twonn_drop_lead": base.get("twonn_drop_lead"),
             "structure_onset": base.get("structure_onset")},
            lambda: 0 < base["twonn_drop_lead"] <= base["structure_onset"] / 2,
        ),
    ]  # fmt: skip
    claims[2].numbers["structure_onset_sas-"] = minus.get("structure_onset")
    claims[1].numbers.update(blimp_sas_plus=plus.get("final_blimp"),
                             blimp_baseline=base.get("final_blimp"))  # fmt: skip
    for c, (a, b, key) in [(claims[1], (plus, base, "final_blimp")),
                           (claims[4], (until, base, "final_uas"))]:  # fmt: skip
        c.numbers[f"{key}_ci"] = [a.get(f"{key}_ci"), b.get(f"{key}_ci")]
        if c.held is not None:
            c.why += f" (compared on {_basis(a, b, key=key)})"
    if base.get("final_uas_margin") is not None:  # is there syntactic structure to speak of?
        claims.append(_claim(
            "structure_above_positional",
            "the baseline's best head beats the best offset baseline (margin > 0, interval above 0)",
            {"uas_margin": base.get("final_uas_margin"), "uas": base.get("final_uas")},
            lambda: (base["final_uas_margin_ci"][0] if base.get("final_uas_margin_ci")
                     else base["final_uas_margin"]) > 0,
        ))  # fmt: skip
        claims[-1].numbers["uas_margin_ci"] = base.get("final_uas_margin_ci")
    return claims
