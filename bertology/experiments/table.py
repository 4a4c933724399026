"""Tables and figures shared by the experiments: mean ± sd over seeds, intervals, by-k plots.

With one seed there is no sd; a value then shows its 95% bootstrap interval from the
evaluation (over pairs or sentences) when the evaluator gave one, so a reader can tell a
difference from noise either way.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bertology.report.figures import pyplot, save_figure


def seed_stats(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    """Mean and sample sd over seeds; ``(None, None)`` when any seed lacks the value (a
    mean over the seeds that have it would hide the missing ones), sd ``None`` for one seed."""
    if not values or any(v is None for v in values):
        return None, None
    vals = [float(v) for v in values if v is not None]
    return statistics.fmean(vals), (statistics.stdev(vals) if len(vals) > 1 else None)


def fmt_cell(mean: Any, sd: Any = None, ci: Sequence[float] | None = None, digits: int = 3) -> str:
    """``0.412 ± 0.010``, ``0.412 [0.39, 0.43]`` or ``—``; integers (steps) without decimals."""
    if mean is None:
        return "—"
    integral = float(mean).is_integer() and abs(float(mean)) >= 1
    text = f"{mean:.0f}" if integral else f"{mean:.{digits}f}"
    if sd is not None:
        text += f" ± {sd:.0f}" if integral else f" ± {sd:.{digits}f}"
    elif ci:
        text += f" [{ci[0]:.{digits - 1}f}, {ci[1]:.{digits - 1}f}]"
    return text


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-style markdown table (what the closing note and the README paste)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def final_evals(metrics: Path, run: str) -> dict[str, Any]:
    """Every metric of ``run`` at its last evaluated checkpoint, from a ``dynamics`` run's
    ``metrics.jsonl`` (one row per run and checkpoint): the intervals, margins and counts the
    dynamics table does not carry, computed by the current evaluators."""
    last: dict[str, Any] = {}
    if not metrics.exists():
        return last
    for line in metrics.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line of an interrupted run: the rows before it stand
        ours = isinstance(row, dict) and row.get("run") == run and "step" in row
        if ours and (not last or row["step"] >= last["step"]):
            last = row
    return last


def by_k_figure(
    variants: dict[str, dict[str, Any]], ks: Sequence[int], path: Path, max_steps: int
) -> Path:
    """Final validation loss and BLiMP against k for "SAS- until k", with the baseline and
    SAS- (never released) as horizontal references; error bars are the sd over seeds, or the
    BLiMP interval with one seed."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax, key, label in [(axes[0], "final_val_loss", "final validation loss"),
                           (axes[1], "final_blimp", "final BLiMP accuracy")]:  # fmt: skip
        xs, ys, errs = [], [], []
        for k in ks:
            v = variants.get(f"sas-until-{k}", {})
            if v.get(key) is None:
                continue
            xs.append(k)
            ys.append(v[key])
            sd, ci = v.get(f"{key}_sd"), v.get(f"{key}_ci")
            errs.append(sd if sd is not None else ((ci[1] - ci[0]) / 2 if ci else 0.0))
        ax.errorbar(xs, ys, yerr=errs, marker="o", capsize=3, label="SAS- until k")
        for name, style in [("baseline", "-"), ("sas-", ":"), ("sas+", "--")]:
            if variants.get(name, {}).get(key) is not None:
                ax.axhline(variants[name][key], linestyle=style, color="grey", label=name)
        onset = variants.get("baseline", {}).get("structure_onset")
        if onset is not None:
            ax.axvline(onset, color="red", linewidth=1, label="baseline structure onset")
        ax.set_xlim(0, max_steps)
        ax.set_xlabel("k (step the regularizer is switched off)")
        ax.set_ylabel(label)
    axes[0].legend(fontsize=7)
    fig.subplots_adjust(wspace=0.32)
    fig.suptitle("SAS- until k: does the timing of the release matter?")
    return save_figure(fig, path)
