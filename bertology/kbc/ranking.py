"""Tail prediction: the rank of the gold object among the candidates at the mask, raw and
filtered, under the full model or a relation's mask.

A fact's **rank** is 1 + the number of candidates whose log-probability at the mask is
strictly higher than the gold object's (ties go to the gold: the optimistic rank). Ranks are
never truncated: LAMP's code kept the top 5 only, so its "Hits@10" was Hits@5. Scores are
log-softmax over the vocabulary at the mask, so candidates are compared within one
distribution (LAMP compared raw logits across inputs).

The **filtered** rank (Bordes et al. 2013's setting) first removes the *other* true objects of
the same (subject, relation), from every fact given (every split): a model is not penalised for
ranking another correct answer above the gold one. The gold object itself is never removed.

Scoring is the probe's: :func:`bertology.probe.scoring.iter_mask_log_probs` (sorted, batched
prompts, the MLM head at the mask only), and each prompt is scored once however many objects
(gold, negatives) are read from it.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from bertology.data.facts import MASK, Fact
from bertology.data.vocab import mask_follows_space, object_token_id
from bertology.probe.metrics import aggregate
from bertology.probe.scoring import PreparedFact, iter_mask_log_probs, rank_of
from bertology.prune.apply import applied
from bertology.prune.masks import SubnetworkMask

CI_SEED = 0  # every interval of a run uses this seed: re-running gives the same numbers


@dataclass(frozen=True)
class Query:
    """One object to score at one prompt's mask: its log-probability and its ranks."""

    fact: Fact  # the triple scored (``fact.object`` is the object read at the mask)
    prompt: str  # with the model's own mask token
    gold_id: int
    candidates: Tensor | None = None  # (C,) ranking vocabulary; None: the whole vocabulary
    exclude: Tensor | None = None  # (E,) removed in the filtered ranking; None: not filtered


@dataclass(frozen=True)
class QueryScore:
    """A query's raw rank, filtered rank (None when not filtered) and log-probability."""

    query: Query
    rank: int
    filtered_rank: int | None
    log_prob: float


def filtered_rank(
    log_probs: Tensor, gold_id: int, candidates: Tensor | None, exclude: Tensor
) -> int:
    """1 + the number of candidates, other than those in ``exclude``, scored strictly higher
    than ``gold_id``. ``log_probs``: (V,); ``candidates``: (C,) or None for all V."""
    pool = torch.arange(log_probs.numel()) if candidates is None else candidates  # (C,)
    pool = pool[~torch.isin(pool, exclude)]  # (C',)
    return rank_of(log_probs, gold_id, pool)


def rank_queries(
    prepared: Sequence[PreparedFact],
    tokenizer: Any,
    truth: Mapping[tuple[str, str], set[str]] | None = None,
) -> list[Query]:
    """A query per prepared fact; with ``truth`` (``(subject, relation) -> objects``) each
    also carries the token ids of the other true objects, for the filtered rank. An object
    that is not one token is no candidate, so it needs no removing."""
    out = []
    for pf in prepared:
        f = pf.fact
        exclude = None
        if truth is not None:
            after_space = mask_follows_space(f.prompts[0], MASK)
            ids = {
                i
                for o in truth.get((f.subject, f.relation), ())
                if (i := object_token_id(tokenizer, o, after_space)) is not None
            }
            ids.discard(pf.gold_id)  # the gold object stays, however it is spelt
            exclude = torch.tensor(sorted(ids), dtype=torch.long)
        out.append(Query(f, pf.prompts[0], pf.gold_id, pf.candidates, exclude))
    return out


def gold_queries(prepared: Sequence[PreparedFact]) -> list[Query]:
    """Queries that only need the object's log-probability (triple classification)."""
    return [Query(pf.fact, pf.prompts[0], pf.gold_id) for pf in prepared]


def score_queries(
    model: Any,
    tokenizer: Any,
    queries: Sequence[Query],
    batch_size: int = 64,
    progress: bool = False,
) -> list[QueryScore]:
    """Every query's ranks and log-probability, in input order; each distinct prompt goes
    through the model once (``progress``: a bar over prompts on stderr)."""
    prompts = list(dict.fromkeys(q.prompt for q in queries))
    at: dict[str, list[int]] = defaultdict(list)
    for i, q in enumerate(queries):
        at[q.prompt].append(i)
    sources = [queries[at[p][0]].fact.source for p in prompts]
    out: list[QueryScore | None] = [None] * len(queries)
    bar = _progress(progress, len(prompts))
    for idx, lp in iter_mask_log_probs(model, tokenizer, prompts, batch_size, sources):
        lp = lp.cpu()  # (b, V)
        if bar is not None:
            bar.update(len(idx))
        for row, pi in zip(lp, idx, strict=True):
            for qi in at[prompts[pi]]:
                q = queries[qi]
                filt = None
                if q.exclude is not None:
                    filt = filtered_rank(row, q.gold_id, q.candidates, q.exclude)
                out[qi] = QueryScore(
                    q, rank_of(row, q.gold_id, q.candidates), filt, float(row[q.gold_id])
                )
    if bar is not None:
        bar.close()
    return [s for s in out if s is not None]


def _progress(enabled: bool, total: int) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm  # tqdm: only with progress bars

    return tqdm(total=total, desc="kbc", unit="prompt", leave=False)


def score_variant(
    model: Any,
    tokenizer: Any,
    queries: Sequence[Query],
    masks: Mapping[str, SubnetworkMask] | None,
    soft: bool = False,
    batch_size: int = 64,
    progress: bool = False,
) -> tuple[list[QueryScore], dict[str, float]]:
    """Score ``queries`` under the full model (``masks`` None) or each under its relation's
    mask, applied to the weights (:func:`bertology.prune.apply.applied`); scores in input
    order, and throughput. ``soft`` evaluates stochastic masks at σ(G)."""
    t0 = time.perf_counter()
    if masks is None:
        scores = score_queries(model, tokenizer, queries, batch_size, progress)
    else:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, q in enumerate(queries):
            groups[q.fact.relation].append(i)
        placed: list[QueryScore | None] = [None] * len(queries)
        for relation, idx in sorted(groups.items()):
            mask = masks[relation]
            with applied(model, mask, soft=soft and mask.soft is not None):
                part = score_queries(
                    model, tokenizer, [queries[i] for i in idx], batch_size, progress
                )
            for i, s in zip(idx, part, strict=True):
                placed[i] = s
        scores = [s for s in placed if s is not None]
    elapsed = time.perf_counter() - t0
    n_prompts = len({q.prompt for q in queries})
    stats = {
        "queries": len(queries),
        "prompts": n_prompts,
        "seconds": elapsed,
        "prompts_per_s": n_prompts / elapsed if elapsed > 0 else float("inf"),
    }
    return scores, stats


def _hits_names(obj: Any) -> Any:
    """``aggregate``'s ``p@k`` keys as KB completion names them: ``hits@k``."""
    if isinstance(obj, dict):
        return {
            (k.replace("p@", "hits@", 1) if k.startswith("p@") else k): _hits_names(v)
            for k, v in obj.items()
        }
    return obj


def rank_metrics(
    ranks: Mapping[str, Sequence[int]],
    skipped: Mapping[str, int],
    ks: Sequence[int],
) -> dict[str, Any]:
    """``{"relations": {r: {...}}, "macro": {...}, "micro": {...}}`` with ``hits@k`` and
    ``mrr``, each with its 95% bootstrap interval over facts (``hits@1_ci``; macro: facts
    resampled within each relation) and ``n`` (see :mod:`bertology.probe.metrics`)."""
    return _hits_names(aggregate(dict(ranks), dict(skipped), ks, ci=True, seed=CI_SEED))


def ranks_by_relation(scores: Sequence[QueryScore], filtered: bool = False) -> dict[str, list[int]]:
    """Each relation's ranks (raw, or filtered), in scoring order."""
    out: dict[str, list[int]] = defaultdict(list)
    for s in scores:
        r = s.filtered_rank if filtered else s.rank
        if r is None:
            raise ValueError("no filtered rank: the queries were built without truth")
        out[s.query.fact.relation].append(r)
    return dict(out)
