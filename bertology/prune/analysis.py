"""Analyses of relation masks: controls, specialization, overlap, combination, sparsity.

Every evaluation runs the ordinary probing code (:func:`evaluate_facts`) on the model with
the mask applied (:func:`bertology.prune.apply.applied`); there is no separate scoring path.
Every P@1 carries its 95% bootstrap interval over facts (``p@1_ci``) and its ``n``; every
difference of P@1 on the same facts (subnetwork − full, the specialization drop) a paired
one (see :mod:`bertology.prune.intervals`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from bertology.data.facts import Fact
from bertology.errors import InputError, unknown_name_error
from bertology.probe.run import Evaluation, evaluate_facts
from bertology.probe.scoring import CandidateSet
from bertology.prune.apply import applied
from bertology.prune.intervals import (
    drop_per_fact,
    mean_hits,
    mean_over_relations_ci,
    p1_ci,
    paired_difference,
    relation_hits,
)
from bertology.prune.masks import SubnetworkMask

METRIC_KEYS = ("p@1", "p@10", "mrr", "n")
COMBINATIONS = ("union", "intersection", "majority")


def evaluate_mask(
    model: Any,
    tokenizer: Any,
    facts: Sequence[Fact],
    mask: SubnetworkMask | None = None,
    soft: bool = False,
    batch_size: int = 64,
    *,
    candidates: str | CandidateSet = "all",
    candidate_facts: Sequence[Fact] | None = None,
) -> Evaluation:
    """P@1/P@10/MRR of the full model (``mask=None``) or of the mask's subnetwork.

    ``candidates`` is the ranking vocabulary, as for probing: a resolved
    :class:`~bertology.probe.scoring.CandidateSet` (what a prune run passes: a candidates file
    is read once), or ``"all"``, ``"relation"`` (the objects of the fact's relation among
    ``candidate_facts``) or a one-word-per-line file.
    """
    kw = {"candidates": candidates, "candidate_facts": candidate_facts}
    if mask is None:
        return evaluate_facts(model, tokenizer, facts, ks=(1, 10), batch_size=batch_size, **kw)
    with applied(model, mask, soft=soft):
        return evaluate_facts(model, tokenizer, facts, ks=(1, 10), batch_size=batch_size, **kw)


def relation_metrics(ev: Evaluation, relation: str) -> dict[str, Any]:
    """``{"p@1", "p@10", "mrr", "n", "p@1_ci"}`` of one relation from an evaluation.

    ``p@1_ci`` is the 95% bootstrap interval over the relation's facts (None below 2).
    """
    m = ev.metrics["relations"].get(relation)
    if m is None:
        nan = float("nan")
        return {"p@1": nan, "p@10": nan, "mrr": nan, "n": 0, "p@1_ci": None}
    out = {k: m[k] for k in METRIC_KEYS}
    out["p@1_ci"] = p1_ci(relation_hits(ev, relation))
    return out


def random_control(mask: SubnetworkMask, seed: int) -> SubnetworkMask:
    """A random mask keeping exactly as many weights as ``mask`` in *every* matrix."""
    g = torch.Generator().manual_seed(seed)
    keep: dict[str, Tensor] = {}
    for t in mask.targets:
        k = mask.keep[t.name]
        n, kept = k.numel(), int(k.sum())
        flat = torch.zeros(n, dtype=torch.bool)
        flat[torch.randperm(n, generator=g)[:kept]] = True
        keep[t.name] = flat.reshape(k.shape)
    return mask.with_keep(f"random({mask.relation},seed={seed})", keep)


def _mean_metrics(rows: list[dict[str, Any]], hits: list[float]) -> dict[str, Any]:
    """The mean of the random seeds' metrics; ``p@1_ci`` from ``hits``, each fact's hit
    rate over the seeds (facts, not seeds, are resampled)."""
    out = {k: sum(r[k] for r in rows) / len(rows) for k in ("p@1", "p@10", "mrr")}
    out["n"] = rows[0]["n"]
    out["p@1_ci"] = p1_ci(hits)
    return out


def add_paired_differences(entry: dict[str, Any], hits: Mapping[str, list[float]]) -> None:
    """``subnetwork_minus_full`` and ``subnetwork_minus_random`` (``{"diff", "diff_ci",
    "n"}``, a paired bootstrap over facts) into ``entry``, for the arms ``hits`` holds."""
    for other in ("full", "random"):
        if "subnetwork" in hits and other in hits:
            entry[f"subnetwork_minus_{other}"] = paired_difference(hits["subnetwork"], hits[other])


def subnetwork_vs_controls(
    model: Any,
    tokenizer: Any,
    facts: Sequence[Fact],
    mask: SubnetworkMask,
    soft: bool = False,
    seeds: Sequence[int] = (0, 1, 2),
    batch_size: int = 64,
    full: dict[str, Any] | None = None,
    *,
    candidates: str | CandidateSet = "all",
    candidate_facts: Sequence[Fact] | None = None,
) -> dict[str, Any]:
    """Test metrics of the full model, the subnetwork and random masks of equal sparsity.

    ``random`` is the mean over ``seeds``; each seed's metrics are under ``random_seeds``.
    For stochastic masks both ``subnetwork_soft`` (σ(G)) and ``subnetwork_hard`` are added;
    ``subnetwork`` is the one chosen by ``soft``. Every P@1 has its ``p@1_ci``;
    ``subnetwork_minus_random`` (and ``subnetwork_minus_full`` unless ``full`` is given) is
    the paired P@1 difference with its interval.
    """
    entry, hits = controls_with_hits(
        model,
        tokenizer,
        facts,
        mask,
        soft,
        seeds,
        batch_size,
        full,
        candidates=candidates,
        candidate_facts=candidate_facts,
    )
    add_paired_differences(entry, hits)
    return entry


def controls_with_hits(
    model: Any,
    tokenizer: Any,
    facts: Sequence[Fact],
    mask: SubnetworkMask,
    soft: bool = False,
    seeds: Sequence[int] = (0, 1, 2),
    batch_size: int = 64,
    full: dict[str, Any] | None = None,
    *,
    candidates: str | CandidateSet = "all",
    candidate_facts: Sequence[Fact] | None = None,
) -> tuple[dict[str, Any], dict[str, list[float]]]:
    """:func:`subnetwork_vs_controls` without the differences, and the per-fact P@1 hits of
    each arm (``subnetwork``, ``random``: the hit rate over seeds, and ``full`` unless
    given), in the order of ``facts``: for paired differences and pooled intervals."""
    r = mask.relation
    kw = {"candidates": candidates, "candidate_facts": candidate_facts}
    out: dict[str, Any] = {}
    hits: dict[str, list[float]] = {}
    if full is None:
        full_ev = evaluate_mask(model, tokenizer, facts, None, batch_size=batch_size, **kw)
        full = relation_metrics(full_ev, r)
        hits["full"] = relation_hits(full_ev, r)
    out["full"] = full
    hard_ev = evaluate_mask(model, tokenizer, facts, mask, False, batch_size, **kw)
    hard = relation_metrics(hard_ev, r)
    hits["subnetwork"] = relation_hits(hard_ev, r)
    if mask.soft is not None:
        soft_ev = evaluate_mask(model, tokenizer, facts, mask, True, batch_size, **kw)
        soft_m = relation_metrics(soft_ev, r)
        out["subnetwork"] = soft_m if soft else hard
        out["subnetwork_soft"], out["subnetwork_hard"] = soft_m, hard
        if soft:
            hits["subnetwork"] = relation_hits(soft_ev, r)
    else:
        out["subnetwork"] = hard
    seeds_m, seeds_hits = [], []
    for s in seeds:
        ev = evaluate_mask(
            model, tokenizer, facts, random_control(mask, s), False, batch_size, **kw
        )
        seeds_m.append(relation_metrics(ev, r))
        seeds_hits.append(relation_hits(ev, r))
    hits["random"] = mean_hits(seeds_hits)
    out["random"] = _mean_metrics(seeds_m, hits["random"])
    out["random_seeds"] = seeds_m
    return out, hits


def specialization_matrix(
    model: Any,
    tokenizer: Any,
    facts_by_relation: Mapping[str, Sequence[Fact]],
    masks: Mapping[str, SubnetworkMask],
    soft: bool = False,
    batch_size: int = 64,
    *,
    candidates: str | CandidateSet = "all",
    candidate_facts: Sequence[Fact] | None = None,
) -> dict[str, Any]:
    """P@1 of relation i (row) under the mask of relation j (column), for all i, j.

    ``mean_offdiagonal_drop`` is the mean over i ≠ j of ``P[i][i] − P[i][j]``: how much a
    relation loses under another relation's mask. The masks are applied one at a time, and
    all relations are evaluated under each in one pass.

    With intervals (95% bootstrap over facts): ``p@1_ci`` (R × R) and ``n`` (facts of each
    row); ``drop[i]`` = ``P[i][i]`` − mean over j ≠ i of ``P[i][j]``, with ``drop_ci[i]``
    bootstrapped on each fact's own hit minus its mean hit under the other masks (paired);
    ``mean_offdiagonal_drop_ci`` and ``diagonal_mean_ci`` resample facts within each relation
    (the mean over pairs equals the mean over relations of ``drop``, as every row with facts
    has all R − 1 pairs).
    """
    rels = sorted(r for r in masks if r in facts_by_relation)
    every = [f for r in rels for f in facts_by_relation[r]]
    p1 = [[float("nan")] * len(rels) for _ in rels]
    ci: list[list[list[float] | None]] = [[None] * len(rels) for _ in rels]
    hits: list[list[list[float]]] = [[[] for _ in rels] for _ in rels]  # [i][j]: per fact
    for j, rj in enumerate(rels):
        ev = evaluate_mask(
            model,
            tokenizer,
            every,
            masks[rj],
            soft and masks[rj].soft is not None,
            batch_size,
            candidates=candidates,
            candidate_facts=candidate_facts,
        )
        for i, ri in enumerate(rels):
            m = relation_metrics(ev, ri)
            p1[i][j], ci[i][j] = m["p@1"], m["p@1_ci"]
            hits[i][j] = relation_hits(ev, ri)
    drops = [p1[i][i] - p1[i][j] for i in range(len(rels)) for j in range(len(rels)) if i != j]
    drops = [d for d in drops if d == d]  # drop NaN (relations without test facts)
    per_fact = [
        drop_per_fact(hits[i][i], [hits[i][j] for j in range(len(rels)) if j != i])
        if len(rels) > 1
        else []
        for i in range(len(rels))
    ]
    return {
        "relations": rels,
        "p@1": p1,
        "p@1_ci": ci,
        "n": [len(hits[i][i]) for i in range(len(rels))],
        "diagonal_mean": _nanmean([p1[i][i] for i in range(len(rels))]),
        "diagonal_mean_ci": mean_over_relations_ci([hits[i][i] for i in range(len(rels))]),
        "drop": [sum(d) / len(d) if d else float("nan") for d in per_fact],
        "drop_ci": [p1_ci(d) for d in per_fact],  # per-fact differences: paired
        "mean_offdiagonal_drop": sum(drops) / len(drops) if drops else float("nan"),
        "mean_offdiagonal_drop_ci": mean_over_relations_ci(per_fact),
    }


def _nanmean(xs: Sequence[float]) -> float:
    xs = [x for x in xs if x == x]
    return sum(xs) / len(xs) if xs else float("nan")


def _check_same_targets(masks: Sequence[SubnetworkMask]) -> None:
    if not masks:
        raise InputError("no masks given")
    first = masks[0]
    for m in masks[1:]:
        if m.model_shape_hash != first.model_shape_hash or [t.name for t in m.targets] != [
            t.name for t in first.targets
        ]:
            raise InputError(
                f"masks {first.relation!r} and {m.relation!r} are for different models or layer "
                "ranges; they cannot be compared or combined"
            )


def jaccard_overlap(masks: Sequence[SubnetworkMask]) -> dict[str, Any]:
    """Jaccard index |A∩B| / |A∪B| of the kept weights, overall and per layer (R × R each)."""
    _check_same_targets(masks)
    targets = masks[0].targets
    layers = sorted({t.layer for t in targets})
    n = len(masks)

    # intersections and sizes accumulated matrix by matrix (never all weights at once)
    inter: dict[int, Tensor] = {layer: torch.zeros(n, n, dtype=torch.float64) for layer in layers}
    sizes: dict[int, Tensor] = {layer: torch.zeros(n, dtype=torch.float64) for layer in layers}
    for t in targets:
        bits = torch.stack([m.keep[t.name].reshape(-1) for m in masks]).float()  # (R, out*in)
        inter[t.layer] += (bits @ bits.T).double()  # (R, R)
        sizes[t.layer] += bits.sum(dim=1).double()  # (R,)

    def jac(i: Tensor, s: Tensor) -> list[list[float]]:
        union = s[:, None] + s[None, :] - i  # (R, R)
        j = torch.where(union > 0, i / union.clamp_min(1), torch.ones_like(i))
        return [[float(j[a, b]) for b in range(n)] for a in range(n)]

    return {
        "relations": [m.relation for m in masks],
        "overall": jac(sum(inter.values()), sum(sizes.values())),
        "per_layer": {str(layer): jac(inter[layer], sizes[layer]) for layer in layers},
    }


def combine_masks(
    masks: Sequence[SubnetworkMask], how: str, name: str | None = None
) -> SubnetworkMask:
    """Union (kept by any), intersection (kept by all) or majority (kept by > half) of masks."""
    if how not in COMBINATIONS:
        raise unknown_name_error("combination", how, COMBINATIONS)
    _check_same_targets(masks)
    keep: dict[str, Tensor] = {}
    for t in masks[0].targets:
        votes = torch.stack([m.keep[t.name] for m in masks]).sum(dim=0)  # (out, in) counts
        if how == "union":
            keep[t.name] = votes > 0
        elif how == "intersection":
            keep[t.name] = votes == len(masks)
        else:
            keep[t.name] = 2 * votes > len(masks)
    label = name or f"{how}({','.join(m.relation for m in masks)})"
    out = masks[0].with_keep(label, keep)
    out.config = {"combination": how, "relations": [m.relation for m in masks]}
    return out


def sparsity_stats(mask: SubnetworkMask) -> dict[str, Any]:
    """Pruned fraction overall, per layer, per kind of matrix and per matrix."""
    per_matrix = {t.name: 1.0 - float(mask.keep[t.name].float().mean()) for t in mask.targets}

    def grouped(key: str) -> dict[str, float]:
        tot: dict[str, list[int]] = {}
        for t in mask.targets:
            k = str(getattr(t, key))
            kept = int(mask.keep[t.name].sum())
            acc = tot.setdefault(k, [0, 0])
            acc[0] += kept
            acc[1] += mask.keep[t.name].numel()
        return {k: 1.0 - kept / n for k, (kept, n) in tot.items()}

    return {
        "overall": mask.sparsity,
        "per_layer": grouped("layer"),
        "per_kind": grouped("kind"),
        "per_matrix": per_matrix,
    }
