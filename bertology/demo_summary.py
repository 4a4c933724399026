"""The demo's closing summary: each stage's headline with its 95% interval, and the papers'
claims this one run can test.

One pre-training run can test the SAS claims about a single run (structure onset before
capability onset, the TwoNN drop leading the onset, structure above the positional
baseline); the claims that compare regularizer variants need ``bertology experiment sas``.
From the prune stage it tests LAMP's claims that a subnetwork beats a random mask of equal
sparsity and that a relation loses P@1 under another relation's mask. Every comparison is
judged on the interval (its lower end above 0), so a claim the demo's small test sets cannot
resolve is reported as not held, with the numbers.
"""

from __future__ import annotations

from typing import Any

from bertology.console import console
from bertology.experiments.claims import Claim, sas_claims

SAS_SINGLE_RUN = ("structure_before_capability", "twonn_drop_before_structure",
                  "structure_above_positional")  # fmt: skip


def _ci(x: Any) -> str:
    return f" [{x[0]:.3f}, {x[1]:.3f}]" if x else ""


def _num(x: Any) -> str:
    return "—" if x is None else (f"{x:.3f}" if isinstance(x, float) else str(x))


def headlines(s: dict[str, Any]) -> dict[str, str]:
    """One line per stage, from the demo's summary."""
    out: dict[str, str] = {}
    w = s.get("world", {})
    out["world"] = f"{w.get('tokens', 0):,} training tokens, {w.get('facts', 0):,} facts"
    p = s.get("pretrain", {})
    last = p.get("last", {})
    out["pretrain"] = (
        f"{p.get('final_step')} steps, final validation loss {_num(last.get('val_loss'))}"
    )
    if "dynamics" in s:
        ph, fh = s["dynamics"]["phases"], s["dynamics"].get("fixed_head") or {}
        out["dynamics"] = (
            f"structure onset {_num(ph.get('structure_onset'))} (plateau "
            f"{_num(ph.get('structure_plateau'))}), capability onset "
            f"{_num(ph.get('capability_onset'))} ({ph.get('capability_source') or 'none'}), "
            f"TwoNN drop {_num(ph.get('twonn_drop_onset'))}; final best head "
            f"{fh.get('layer')}-{fh.get('head')} followed fixed: onset "
            f"{_num(ph.get('structure_onset_fixed_head'))}"
        )
    if "uas" in s:
        b = s["uas"]["best_head"]
        out["uas"] = (
            f"best head {b['layer']}-{b['head']}: UAS {b['uas']:.3f}{_ci(b.get('uas_ci'))}, "
            f"offset {b['offset']} baseline {b['offset_uas']:.3f}, margin "
            f"{b['uas_margin']:+.3f}{_ci(b.get('uas_margin_ci'))}; non-adjacent arcs "
            f"{_num(b.get('uas_nonadjacent'))}{_ci(b.get('uas_nonadjacent_ci'))} "
            f"(n = {b.get('n_words')} words, {b.get('n_nonadjacent')} non-adjacent)"
        )
    if "probe" in s:
        ma, mi = s["probe"]["macro"], s["probe"]["micro"]
        out["probe"] = (
            f"P@1 macro {ma['p@1']:.3f}{_ci(ma.get('p@1_ci'))}, micro "
            f"{mi['p@1']:.3f}{_ci(mi.get('p@1_ci'))} (n = {mi.get('n', '?')} facts)"
        )
    pr = s.get("prune") or {}
    if pr.get("macro"):
        m = pr["macro"]
        sp = pr.get("specialization", {})
        out["prune"] = (
            f"test P@1 over {len(sp.get('relations', []))} relations: subnetwork "
            f"{m['subnetwork']['p@1']:.3f}{_ci(m['subnetwork'].get('p@1_ci'))}, full "
            f"{m['full']['p@1']:.3f}{_ci(m['full'].get('p@1_ci'))}, random "
            f"{m['random']['p@1']:.3f}{_ci(m['random'].get('p@1_ci'))}; specialization drop "
            f"{_num(sp.get('mean_offdiagonal_drop'))}{_ci(sp.get('mean_offdiagonal_drop_ci'))}"
        )
    return out


def _above_zero(cid: str, text: str, value: Any, ci: Any) -> Claim:
    if value is None or value != value:
        return Claim(cid, text, None, {"value": value}, "not measurable")
    held = (ci[0] if ci else value) > 0
    basis = "the 95% interval" if ci else "the point value"
    return Claim(cid, text, held, {"value": value, "ci": ci},
                 f"{'held' if held else 'did not hold'} (judged on {basis})")  # fmt: skip


def claims(s: dict[str, Any]) -> list[dict[str, Any]]:
    """The claims one demo run can test, each with its numbers."""
    out: list[Claim] = []
    if "dynamics" in s and "uas" in s:
        ph, b = s["dynamics"]["phases"], s["uas"]["best_head"]
        onset = ph.get("structure_onset")
        lead = onset - ph["twonn_drop_onset"] if onset is not None and ph.get(
            "twonn_drop_onset") is not None else None  # fmt: skip
        base = {**ph, "twonn_drop_lead": lead, "final_uas": b["uas"],
                "final_uas_margin": b["uas_margin"], "final_uas_margin_ci": b.get("uas_margin_ci")}  # fmt: skip
        out += [c for c in sas_claims({"baseline": base}) if c.id in SAS_SINGLE_RUN]
    pr = s.get("prune") or {}
    if pr.get("macro"):
        g = pr["macro"]
        out.append(_above_zero(
            "subnetwork_beats_random", "the subnetwork beats a random mask of equal sparsity "
            "(macro test P@1)", g.get("gain_over_random"), g.get("gain_over_random_ci")))  # fmt: skip
    sp = pr.get("specialization") or {}
    if sp:
        out.append(_above_zero(
            "mismatched_masks_lose", "a relation loses P@1 under another relation's mask",
            sp.get("mean_offdiagonal_drop"), sp.get("mean_offdiagonal_drop_ci")))  # fmt: skip
    collapsed = (pr.get("inspection") or {}).get("collapsed_subnetwork")
    if collapsed:
        out.append(Claim("no_collapse", "the subnetworks' [MASK] states depend on the subject",
                         False, {"collapsed": collapsed}, "collapsed: the silhouette is not "
                         "a measure of relation structure for these relations"))  # fmt: skip
    return [c.to_dict() for c in out]


def print_headlines(s: dict[str, Any]) -> None:
    """The summary a user reads at the end of ``make demo``."""
    console.rule("[bold]summary (95% bootstrap intervals in brackets)")
    for stage, line in s.get("headlines", {}).items():
        console.print(f"[bold]{stage:>9}[/bold]  {line}", highlight=False)
    for c in s.get("claims", []):
        mark = {True: "[green]held[/green]", False: "[red]did not hold[/red]",
                None: "[yellow]not measurable[/yellow]"}[c["held"]]  # fmt: skip
        why = c["why"].removeprefix("did not hold").removeprefix("held").strip()
        nums = ", ".join(f"{k} {_num(v)}" for k, v in c["numbers"].items() if v is not None
                         and not isinstance(v, list | dict))  # fmt: skip
        console.print(f"  claim: {c['claim']}: {mark} {why} {nums}".rstrip(), highlight=False)
