"""From evaluated checkpoints to curves, breaks and the SAS paper's phases.

``phases`` of a run:

- ``structure_onset`` / ``structure_plateau``: the breaks of UAS (rising), the best head at
  each checkpoint; ``structure_onset_fixed_head`` / ``structure_plateau_fixed_head``: the same
  on ``uas_fixed_head``, the final best head followed across checkpoints
  (:mod:`bertology.dynamics.heads`), where a hand-over between heads cannot pass for a rise;
- ``capability_onset``: the onset of BLiMP accuracy's rise, or, without one, the onset of
  the validation loss's fall (``capability_source`` says which);
- ``capability_after_structure_plateau``: capability onset at or after the structure plateau;
- ``twonn_drop_before_structure_onset``: TwoNN falls, and its onset comes before the
  structure onset; ``twonn_min_step``: where TwoNN is lowest.

A curve whose first change is already under way at the first checkpoints (a loss's fast fall
from initialisation) keeps that plateau as ``initial_plateau``; its onset and plateau are
those of the next transition after it, searched from there with the same rule.

A quantity that cannot be measured (no break, a metric not evaluated) is ``None``.
"""

from __future__ import annotations

import math
from typing import Any

from bertology.dynamics.breaks import MIN_POINTS, detect_breaks

# numbers an evaluator logs that are not curves: timings, counts, the index of the best head
# (lists, such as intervals and the per-head grid ``uas_heads``, are never curves)
SKIP = {"eval_time_s", "val_masked_tokens", "val_ppl", "uas_head", "uas_layer", "uas_sentences",
        "uas_words", "uas_nonadjacent_words", "blimp_n"}  # fmt: skip


def curves(evals: dict[int, dict[str, Any]]) -> dict[str, tuple[list[int], list[float]]]:
    """Every numeric metric as ``(steps, values)``, checkpoints without it left out."""
    names = sorted({k for m in evals.values() for k, v in m.items() if _number(v)} - SKIP)
    out = {}
    for name in names:
        pts = [(s, float(m[name])) for s, m in sorted(evals.items()) if _number(m.get(name))]
        out[name] = ([p[0] for p in pts], [p[1] for p in pts])
    return out


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def metric_breaks(
    series: dict[str, tuple[list[int], list[float]]], threshold: float, method: str
) -> dict[str, dict[str, Any]]:
    """``dynamics.json``'s per-metric entries: the curve and its breaks."""
    out = {}
    least = 3 * MIN_POINTS if method == "ruptures" else MIN_POINTS
    for name, (steps, values) in series.items():
        entry: dict[str, Any] = {"steps": steps, "values": values, "onset": None, "plateau": None}
        if len(steps) >= least:
            b = detect_breaks(steps, values, threshold, method, what=name)
            if b.onset is None and b.plateau is not None:
                # the curve's first change is under way from the start (a loss's first fast
                # fall): that is initialisation, not a phase; look for the next transition
                entry["initial_plateau"] = b.plateau
                i = steps.index(b.plateau)
                if len(steps) - i >= least:
                    b = detect_breaks(steps[i:], values[i:], threshold, method, what=name)
            entry.update(onset=b.onset, plateau=b.plateau, direction=b.direction, noise=b.noise)
        out[name] = entry
    return out


def phases(metrics: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The paper's derived quantities (module docstring), each with its step."""
    uas, blimp = metrics.get("uas", {}), metrics.get("blimp", {})
    loss, twonn = metrics.get("val_loss", {}), metrics.get("twonn", {})
    s_on = uas.get("onset") if uas.get("direction") == 1 else None
    s_pl = uas.get("plateau") if uas.get("direction") == 1 else None
    fixed = metrics.get("uas_fixed_head", {})
    f_on = fixed.get("onset") if fixed.get("direction") == 1 else None
    f_pl = fixed.get("plateau") if fixed.get("direction") == 1 else None
    if blimp.get("direction") == 1 and blimp.get("onset") is not None:
        c_on, source = blimp["onset"], "blimp"
    elif loss.get("direction") == -1 and loss.get("onset") is not None:
        c_on, source = loss["onset"], "val_loss"
    else:
        c_on, source = None, None
    t_on = twonn.get("onset") if twonn.get("direction") == -1 else None
    t_min = None
    if twonn.get("values"):
        t_min = twonn["steps"][min(range(len(twonn["values"])), key=twonn["values"].__getitem__)]
    return {
        "structure_onset": s_on,
        "structure_plateau": s_pl,
        "structure_onset_fixed_head": f_on,
        "structure_plateau_fixed_head": f_pl,
        "capability_onset": c_on,
        "capability_source": source,
        "capability_after_structure_plateau": None
        if c_on is None or s_pl is None
        else c_on >= s_pl,
        "twonn_drop_onset": t_on,
        "twonn_drop_before_structure_onset": None if t_on is None or s_on is None else t_on < s_on,
        "twonn_min_step": t_min,
    }


def table_row(name: str, metrics: dict[str, dict[str, Any]], ph: dict[str, Any]) -> dict[str, Any]:
    """One run's line of the comparison table."""

    def final(metric: str) -> float | None:
        values = metrics.get(metric, {}).get("values")
        return values[-1] if values else None

    return {
        "run": name,
        "structure_onset": ph["structure_onset"],
        "capability_onset": ph["capability_onset"],
        "final_val_loss": final("val_loss"),
        "final_uas": final("uas"),
        "final_blimp": final("blimp"),
        "twonn_min_step": ph["twonn_min_step"],
    }
