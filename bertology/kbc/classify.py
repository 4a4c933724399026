"""Triple classification (ConceptNet-100k's original task, Li et al. 2016): is ⟨s, r, o⟩ true?

A triple's score is the object's log-probability at the mask of its relation's prompt. Per
relation, the triple is called true when its score is >= a threshold t, and t is chosen **on
dev only**: the t that maximises dev accuracy among the dev scores themselves and +inf (call
everything false). Ties go to the **lowest** such t (accept more; any fixed rule would do, and
this one is deterministic and needs no midpoint between scores). Accuracy is then measured on
test (the evaluated ``--split``) with that t; a relation without dev triples takes the threshold chosen the same way on all
dev triples pooled (``threshold_from: "pooled"``).

Negatives come from the data where it has them (label 0 in a ConceptNet TSV), per relation and
split; elsewhere each true triple gets one sampled negative: the object replaced by another
object of the same relation that is not true for that subject (in any split) and is one token,
drawn with a seed per triple, so the draw does not depend on the file's order.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bertology.data.facts import MASK, Fact
from bertology.data.vocab import mask_follows_space, object_token_id
from bertology.stats import mean_ci, mean_of_means_ci

THRESHOLD_RULE = (
    "per relation, the dev log-probability t maximising dev accuracy of 'true iff "
    "log P(object) >= t' (t among the dev scores and +inf); ties: the lowest t; relations "
    "without dev triples: t chosen on all dev triples pooled"
)
CI_SEED = 0


@dataclass(frozen=True)
class Judged:
    """A scored triple: its split (``dev`` or ``test``), label, score and where it came from
    (``fact``: a true fact; ``data``: a false triple of the file; ``sampled``)."""

    fact: Fact
    split: str
    label: bool
    log_prob: float
    origin: str


def choose_threshold(scores: Sequence[float], labels: Sequence[bool]) -> tuple[float, float]:
    """``(t, accuracy)``: the t among ``scores`` and +inf maximising the accuracy of
    ``score >= t`` against ``labels``; ties go to the lowest t."""
    if not scores:
        raise ValueError("no scores to choose a threshold on")
    pairs = sorted(zip(scores, labels, strict=True))
    n, n_pos = len(pairs), sum(1 for _, y in pairs if y)
    best_t, best_correct = float("inf"), -1
    pos_below = neg_below = 0  # triples scored strictly below the current candidate
    i = 0
    while i < n:
        t = pairs[i][0]
        correct = (n_pos - pos_below) + neg_below  # >= t called true, < t false
        if correct > best_correct:  # strictly better: the lower t wins a tie
            best_t, best_correct = t, correct
        while i < n and pairs[i][0] == t:
            pos_below += pairs[i][1]
            neg_below += not pairs[i][1]
            i += 1
    if neg_below > best_correct:  # +inf: everything false, only if strictly better
        best_t, best_correct = float("inf"), neg_below
    return best_t, best_correct / n


def sample_negatives(
    positives: Sequence[Fact],
    objects: Mapping[str, Sequence[str]],
    truth: Mapping[tuple[str, str], set[str]],
    tokenizer: Any,
    seed: int,
) -> tuple[list[Fact], int]:
    """One corrupted triple per true one: the object replaced by another one-token object of
    ``objects[relation]`` not in ``truth[(subject, relation)]``, the prompt kept (the object is
    what is masked). Returns the negatives and the number of facts with no possible one."""
    single: dict[tuple[str, bool], bool] = {}
    out, none = [], 0
    for f in positives:
        after_space = mask_follows_space(f.prompts[0], MASK)
        true = truth.get((f.subject, f.relation), {f.object})
        pool = []
        for o in objects.get(f.relation, ()):
            if o in true:
                continue
            if (o, after_space) not in single:
                single[o, after_space] = object_token_id(tokenizer, o, after_space) is not None
            if single[o, after_space]:
                pool.append(o)
        if not pool:
            none += 1
            continue
        rng = random.Random(f"{seed}:{f.relation}:{f.subject}:{f.object}")
        out.append(Fact(f.subject, f.relation, rng.choice(pool), f.prompts, f.source))
    return out, none


def negatives_for_split(
    positives: Sequence[Fact],
    data_negatives: Sequence[Fact],
    objects: Mapping[str, Sequence[str]],
    truth: Mapping[tuple[str, str], set[str]],
    tokenizer: Any,
    seed: int,
) -> tuple[list[Fact], dict[str, str], int]:
    """A split's negatives: per relation, the data's false triples where it has some, else
    sampled ones. Returns them, each relation's origin (``data`` or ``sampled``) and how many
    true facts had no possible sampled negative."""
    data_by: dict[str, list[Fact]] = defaultdict(list)
    for f in data_negatives:
        data_by[f.relation].append(f)
    pos_by: dict[str, list[Fact]] = defaultdict(list)
    for f in positives:
        pos_by[f.relation].append(f)
    out: list[Fact] = []
    origin: dict[str, str] = {}
    missing = 0
    for r in sorted(set(data_by) | set(pos_by)):
        if data_by[r]:
            out += data_by[r]
            origin[r] = "data"
        else:
            sampled, none = sample_negatives(pos_by[r], objects, truth, tokenizer, seed)
            out += sampled
            missing += none
            origin[r] = "sampled"
    return out, origin, missing


def classification(judged: Sequence[Judged]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Thresholds from the dev triples, accuracy on the test triples (see the module).

    Returns ``{"relations": {r: {...}}, "macro": {...}, "micro": {...}}`` (each accuracy with
    its 95% bootstrap interval over triples, and ``n``) and one row per dev and test triple
    with its prediction under its relation's threshold."""
    dev: dict[str, list[Judged]] = defaultdict(list)
    test: dict[str, list[Judged]] = defaultdict(list)
    for j in judged:
        (dev if j.split == "dev" else test)[j.fact.relation].append(j)
    every_dev = [j for js in dev.values() for j in js]
    pooled = (
        choose_threshold([j.log_prob for j in every_dev], [j.label for j in every_dev])
        if every_dev
        else None
    )
    relations: dict[str, Any] = {}
    correct_by: dict[str, list[float]] = {}
    rows: list[dict[str, Any]] = []
    for r in sorted(test):
        if dev.get(r):
            t, dev_acc = choose_threshold([j.log_prob for j in dev[r]], [j.label for j in dev[r]])
            source = "relation"
        elif pooled is not None:
            (t, dev_acc), source = pooled, "pooled"
        else:
            continue
        rows += [_row(j, j.log_prob >= t) for j in dev.get(r, [])]
        correct = []
        for j in test[r]:
            predicted = j.log_prob >= t
            correct.append(float(predicted == j.label))
            rows.append(_row(j, predicted))
        correct_by[r] = correct
        relations[r] = {
            "threshold": t,
            "threshold_from": source,
            "dev_accuracy": dev_acc,
            "n_dev": len(dev.get(r, [])),
            "accuracy": sum(correct) / len(correct),
            "accuracy_ci": mean_ci(correct, CI_SEED),
            "n": len(correct),
            "n_negative": sum(1 for j in test[r] if not j.label),
        }
    every = [c for cs in correct_by.values() for c in cs]
    nan = float("nan")
    groups = list(correct_by.values())
    macro = {
        "accuracy": sum(m["accuracy"] for m in relations.values()) / len(relations)
        if relations
        else nan,
        "accuracy_ci": mean_of_means_ci(groups, CI_SEED) if groups else None,
        "n_relations": len(relations),
    }
    micro = {
        "accuracy": sum(every) / len(every) if every else nan,
        "accuracy_ci": mean_ci(every, CI_SEED),
        "n": len(every),
    }
    return {"relations": relations, "macro": macro, "micro": micro}, rows


def _row(j: Judged, predicted: bool) -> dict[str, Any]:
    return {
        "split": j.split,
        "subject": j.fact.subject,
        "relation": j.fact.relation,
        "object": j.fact.object,
        "label": int(j.label),
        "origin": j.origin,
        "log_prob": j.log_prob,
        "predicted": int(predicted),
    }
