"""The SAS paper's claims (Chen et al., ICLR 2024), judged on the dynamics of pre-training
variants that differ only in the syntactic regularizer.

Each variant is summarised as a mapping with (any may be ``None``): ``structure_onset``,
``capability_onset``, ``final_val_loss``, ``final_uas``, ``final_blimp`` and its interval
``final_blimp_ci``, ``early_val_loss`` (the validation loss at a fixed early step, the same
for every variant), and ``twonn_drop_before_structure_onset``. Variant names start with
``baseline``, ``sas+``, ``sas-`` and ``sas-until``.

A claim is ``held: True`` or ``False`` when its numbers exist, and ``None`` ("not
measurable") when one is missing, for instance when the baseline shows no structure onset.
A BLiMP comparison is judged on the 95% intervals when both are given (worse only when the
intervals do not overlap), on the point values otherwise.
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


def _blimp_worse(a: dict[str, Any], b: dict[str, Any]) -> bool | None:
    """Is ``a``'s final BLiMP below ``b``'s (on the intervals when both have them)?"""
    if a.get("final_blimp") is None or b.get("final_blimp") is None:
        return None
    ca, cb = a.get("final_blimp_ci"), b.get("final_blimp_ci")
    if ca and cb:
        return ca[1] < cb[0]
    return a["final_blimp"] < b["final_blimp"]


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
            and (plus["final_val_loss"] > base["final_val_loss"] or bool(_blimp_worse(plus, base))),
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
            lambda: until["final_uas"] < base["final_uas"],
        ),
        _claim(
            "twonn_drop_before_structure",
            "the TwoNN drop comes before structure onset (baseline)",
            {"twonn_drop_before_structure_onset": base.get("twonn_drop_before_structure_onset")},
            lambda: base["twonn_drop_before_structure_onset"],
        ),
    ]  # fmt: skip
    claims[2].numbers["structure_onset_sas-"] = minus.get("structure_onset")
    return claims
