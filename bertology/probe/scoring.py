"""Batched, padding-aware scoring at the mask: one forward pass per batch.

Prompts are tokenized once, sorted by length (so batches carry little padding), run through
the encoder in batches, and the MLM head is applied only at the mask positions. Each fact's
gold object is ranked over the whole vocabulary or over a candidate set.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from bertology.data.facts import MASK, Fact
from bertology.data.vocab import mask_follows_space, object_token_id
from bertology.errors import InputError, quote, source_of
from bertology.io import iter_text_lines
from bertology.models.heads import logits_at, mask_positions
from bertology.models.load import mask_token, mask_token_id
from bertology.models.packing import packed_linears

SKIP_MULTI_TOKEN = "multi_token_object"
SKIP_NOT_CANDIDATE = "object_not_in_candidates"


@dataclass
class PreparedFact:
    """A fact ready to score: prompts with the model's mask token and the gold token id."""

    fact: Fact
    prompts: tuple[str, ...]
    gold_id: int
    candidates: Tensor | None  # (C,) token ids, or None for the whole vocabulary


@dataclass
class FactScore:
    """The outcome for one fact: gold rank (1-based) and the top predictions."""

    fact: Fact
    rank: int
    gold_log_prob: float
    top_ids: list[int]
    top_log_probs: list[float]


def read_candidate_file(path: str | Path) -> list[str]:
    """A candidate vocabulary: one word per line (LAMA's common vocabulary format)."""
    path = Path(path)
    if not path.exists():
        raise InputError("candidate file not found", path)
    words = [w.strip() for _, w in iter_text_lines(path) if w.strip()]
    if not words:
        raise InputError("candidate file is empty", path)
    return words


def _ids_for(words: Iterable[str], tokenizer: Any, after_space: bool = True) -> Tensor:
    ids = {
        i
        for w in words
        if (i := object_token_id(tokenizer, w, after_space=after_space)) is not None
    }
    return torch.tensor(sorted(ids), dtype=torch.long)


@dataclass(frozen=True)
class CandidateSet:
    """A ranking vocabulary, resolved once: a candidates file is read here, and ``relation``
    candidates are collected here from the facts that supply them.

    ``words`` maps a relation to its candidate words, ``None`` to a file's words shared by
    every relation; it is empty for ``all`` (the whole vocabulary).
    """

    spec: str  # "all", "relation" or the file's path, as given
    words: dict[str | None, list[str]] = field(default_factory=dict)

    @classmethod
    def resolve(
        cls, candidates: str | Path | CandidateSet, facts: Sequence[Fact] | None = None
    ) -> CandidateSet:
        """``"all"``, ``"relation"`` (each relation's objects over ``facts``) or a path to a
        one-word-per-line vocabulary; a resolved set is returned as it is."""
        if isinstance(candidates, CandidateSet):
            return candidates
        if str(candidates) == "relation":
            objects: dict[str, set[str]] = defaultdict(set)
            for f in facts or ():
                objects[f.relation].add(f.object)
            return cls("relation", {r: sorted(o) for r, o in objects.items()})
        if str(candidates) != "all":
            return cls(str(candidates), {None: read_candidate_file(candidates)})
        return cls("all")


def prepare_facts(
    facts: Sequence[Fact],
    tokenizer: Any,
    candidates: str | Path | CandidateSet = "all",
    candidate_facts: Sequence[Fact] | None = None,
) -> tuple[list[PreparedFact], list[tuple[Fact, str]]]:
    """Resolve gold ids and candidate sets; return scorable facts and skipped facts with reasons.

    ``candidates``: a :class:`CandidateSet`, or what it resolves: ``"all"`` (whole vocabulary),
    ``"relation"`` (the single-token objects of the fact's relation, taken from
    ``candidate_facts`` or else ``facts``), or a path to a one-word-per-line vocabulary. Facts
    whose object is not one token, or not among the candidates, are skipped and counted by
    reason. Gold and candidates take the form the model predicts at the fact's mask: with
    byte-level BPE, ``Ġparis`` mid-sentence but ``paris`` where the mask starts the prompt.
    """
    mask = mask_token(tokenizer)
    skipped: list[tuple[Fact, str]] = []
    cset = CandidateSet.resolve(
        candidates, candidate_facts if candidate_facts is not None else facts
    )
    words = cset.words  # relation (None: shared file) -> candidate words
    cache: dict[tuple[str | None, bool], Tensor] = {}

    def candidate_ids(relation: str | None, after_space: bool) -> Tensor | None:
        if relation not in words:
            return None
        if (relation, after_space) not in cache:
            cache[relation, after_space] = _ids_for(words[relation], tokenizer, after_space)
        return cache[relation, after_space]

    if None in words:
        forms = {mask_follows_space(f.prompts[0], MASK) for f in facts} or {True}
        if not any(c.numel() for s in forms if (c := candidate_ids(None, s)) is not None):
            raise InputError("no candidate word is a single token of this tokenizer", cset.spec)
    out: list[PreparedFact] = []
    for f in facts:
        after_space = mask_follows_space(f.prompts[0], MASK)
        gold = object_token_id(tokenizer, f.object, after_space=after_space)
        if gold is None:
            skipped.append((f, SKIP_MULTI_TOKEN))
            continue
        cand = candidate_ids(None if None in words else f.relation, after_space)
        if cand is not None and not bool((cand == gold).any()):
            skipped.append((f, SKIP_NOT_CANDIDATE))
            continue
        prompts = tuple(p.replace(MASK, mask) for p in f.prompts)
        out.append(PreparedFact(f, prompts, gold, cand))
    return out, skipped


def encode_prompts(
    tokenizer: Any,
    prompts: Sequence[str],
    device: torch.device,
    sources: Sequence[str | None] | None = None,
) -> dict[str, Tensor]:
    """Tokenize with padding; check that each prompt has exactly one mask token (an error
    names the prompt's ``file:line`` from ``sources`` when given)."""
    enc = tokenizer(list(prompts), padding=True, truncation=False, return_tensors="pt")
    mid = mask_token_id(tokenizer)
    counts = (enc["input_ids"] == mid).sum(dim=1)  # (B,)
    bad = (counts != 1).nonzero(as_tuple=True)[0]
    if len(bad):
        p = prompts[int(bad[0])]
        where = source_of(sources[int(bad[0])]) if sources else (None, None)
        raise InputError(
            f"prompt {quote(p)} has {int(counts[bad[0]])} mask tokens after tokenization, "
            "expected 1",
            *where,
        )
    return {k: v.to(device) for k, v in enc.items()}


def iter_mask_log_probs(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    batch_size: int = 64,
    sources: Sequence[str | None] | None = None,
) -> Iterator[tuple[list[int], Tensor]]:
    """Yield ``(prompt indices, log-probs (b, V))`` batch by batch, shortest prompts first.

    ``sources`` (``"file:line"`` per prompt) lets an error name where the prompt came from."""
    if not prompts:
        return
    device = next(model.parameters()).device
    lengths = [len(ids) for ids in tokenizer(list(prompts), add_special_tokens=True)["input_ids"]]
    max_len = getattr(model.config, "max_position_embeddings", None)
    too_long = [i for i, n in enumerate(lengths) if max_len is not None and n > max_len]
    if too_long:
        i = too_long[0]
        raise InputError(
            f"prompt {quote(prompts[i])} is {lengths[i]} tokens, longer than the model's "
            f"{max_len} positions",
            *(source_of(sources[i]) if sources else (None, None)),
        )
    order = sorted(range(len(prompts)), key=lambda i: lengths[i])
    mid = mask_token_id(tokenizer)
    with torch.inference_mode(), packed_linears(model, batch_hint=batch_size * 16):
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            where = [sources[i] for i in idx] if sources else None
            batch = encode_prompts(tokenizer, [prompts[i] for i in idx], device, where)
            rows, cols = mask_positions(batch["input_ids"], mid)  # one per row, row-major
            logits = logits_at(model, batch, rows, cols)  # (b, V)
            yield idx, torch.log_softmax(logits.float(), dim=-1)


def rank_of(log_probs: Tensor, gold_id: int, candidates: Tensor | None) -> int:
    """1-based rank of ``gold_id``: 1 + the number of candidates scored strictly higher."""
    scores = log_probs if candidates is None else log_probs[candidates]
    return int((scores > log_probs[gold_id]).sum().item()) + 1


def top_predictions(
    log_probs: Tensor, candidates: Tensor | None, k: int
) -> tuple[list[int], list[float]]:
    """The ``k`` best token ids (within the candidates, if any) and their log-probabilities."""
    if candidates is None:
        vals, ids = torch.topk(log_probs, min(k, log_probs.numel()))
    else:
        vals, pos = torch.topk(log_probs[candidates], min(k, candidates.numel()))
        ids = candidates[pos]
    return ids.tolist(), vals.tolist()


def score_facts(
    model: Any,
    tokenizer: Any,
    prepared: Sequence[PreparedFact],
    batch_size: int = 64,
    average_prompts: bool = False,
    top: int = 10,
    progress: bool = False,
) -> tuple[list[FactScore], dict[str, float]]:
    """Score each prepared fact; return scores in input order and throughput stats.

    With ``average_prompts`` the log-probabilities of all of a fact's prompts are averaged
    before ranking; otherwise the first prompt is used.
    """
    items: list[tuple[int, str]] = []
    for fi, pf in enumerate(prepared):
        for p in pf.prompts if average_prompts else pf.prompts[:1]:
            items.append((fi, p))
    need = Counter(fi for fi, _ in items)
    sums: dict[int, Tensor] = {}
    seen: Counter[int] = Counter()
    results: list[FactScore | None] = [None] * len(prepared)
    t0 = time.perf_counter()
    sources = [prepared[fi].fact.source for fi, _ in items]
    stream = iter_mask_log_probs(model, tokenizer, [p for _, p in items], batch_size, sources)
    bar = _progress(progress, len(items))
    for idx, lp in stream:
        lp = lp.cpu()
        for row, item in zip(lp, idx, strict=True):
            fi = items[item][0]
            sums[fi] = row if fi not in sums else sums[fi] + row
            seen[fi] += 1
            if seen[fi] == need[fi]:
                pf = prepared[fi]
                mean = sums.pop(fi) / need[fi]
                ids, vals = top_predictions(mean, pf.candidates, top)
                results[fi] = FactScore(
                    pf.fact,
                    rank_of(mean, pf.gold_id, pf.candidates),
                    float(mean[pf.gold_id]),
                    ids,
                    vals,
                )
        if bar is not None:
            bar.update(len(idx))
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - t0
    stats = {
        "facts": len(prepared),
        "prompts": len(items),
        "seconds": elapsed,
        "facts_per_s": len(prepared) / elapsed if elapsed > 0 else float("inf"),
    }
    return [r for r in results if r is not None], stats


def _progress(enabled: bool, total: int) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm  # tqdm: only with progress bars

    return tqdm(total=total, desc="probing", unit="prompt", leave=False)
