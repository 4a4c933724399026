"""LAMP's claims (Ren & Zhu, NAACL Findings 2022), judged on the layer × sparsity sweep.

Each cell is a mapping with ``bottom_layer``, ``init_sparsity``, ``subnetwork``, ``full``,
``random`` and ``drop`` (test P@1 macro-averaged over the relations, and the mean
specialization drop), each with an optional 95% interval ``KEY_ci``. As for the SAS claims,
a comparison is judged on the intervals when both sides have one (a difference counts only
when they do not overlap), on the point values otherwise, and ``why`` says which.

- ``more_layers_more_knowledge``: at the sparsity nearest 0.5, pruning from the lowest bottom
  layer (most layers) gives a higher subnetwork P@1 than from the highest (fewest layers).
- ``half_sparsity_best``: the initial sparsity with the best subnetwork P@1 (mean over the
  bottom layers) is the swept value nearest 0.5. Needs values on both sides of 0.5.
- ``mismatched_masks_lose``: in the best cell, a relation evaluated under another relation's
  mask loses P@1: the drop is above 0 (its interval's lower end, when given).
"""

from __future__ import annotations

from typing import Any

from bertology.experiments.claims import Claim, _basis, _below, _claim


def _name(lb: int, s: float) -> str:
    return f"lb{lb}-s{s:.2f}"


def lamp_claims(cells: dict[str, dict[str, Any]], lbs: list[int], ss: list[float]) -> list[Claim]:
    """Each claim with the numbers that test it (see the module docstring)."""
    half = min(ss, key=lambda s: (abs(s - 0.5), s))
    lo_lb, hi_lb = min(lbs), max(lbs)
    most, fewest = cells[_name(lo_lb, half)], cells[_name(hi_lb, half)]
    layers = _claim(
        "more_layers_more_knowledge",
        "pruning more layers extracts more knowledge (higher subnetwork P@1)",
        {f"p@1_lb{lo_lb}": most.get("subnetwork"), f"p@1_lb{hi_lb}": fewest.get("subnetwork"),
         "init_sparsity": half} if lo_lb != hi_lb else {"second_bottom_layer": None},
        lambda: _below(fewest, most, "subnetwork"),
    )  # fmt: skip
    if layers.held is not None:
        layers.numbers["ci"] = [most.get("subnetwork_ci"), fewest.get("subnetwork_ci")]
        layers.why += f" (compared on {_basis(most, fewest, key='subnetwork')})"
    by_s = {s: sum(cells[_name(lb, s)]["subnetwork"] for lb in lbs) / len(lbs) for s in ss}
    best_s = max(ss, key=lambda s: (by_s[s], -abs(s - 0.5)))
    both_sides = any(s < half for s in ss) and any(s > half for s in ss)
    sparsity = _claim(
        "half_sparsity_best",
        "an initial sparsity of about 50% gives the best subnetwork",
        {"best_init_sparsity": best_s, "nearest_0.5": half,
         "p@1_by_sparsity": by_s if both_sides else None},
        lambda: best_s == half,
    )  # fmt: skip
    best = max(cells.values(), key=lambda c: (c["subnetwork"], -c["bottom_layer"]))
    drop_ci = best.get("drop_ci")
    mismatch = _claim(
        "mismatched_masks_lose",
        "a relation loses P@1 under another relation's mask (best cell)",
        {"drop": best.get("drop"), "cell": _name(best["bottom_layer"], best["init_sparsity"])},
        lambda: (drop_ci[0] if drop_ci else best["drop"]) > 0,
    )
    mismatch.numbers["drop_ci"] = drop_ci
    if mismatch.held is not None:
        mismatch.why += f" (judged on {'the 95% interval' if drop_ci else 'the point value'})"
    return [layers, sparsity, mismatch]
