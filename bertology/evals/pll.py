"""Pseudo-log-likelihood (PLL) of sentences under a masked LM.

A sentence's PLL is the sum, over its tokens ``t``, of ``log P(token_t | sentence with a
mask set M(t))`` (Salazar et al. 2020, "Masked Language Model Scoring"). The metrics differ
in M(t):

==============  ==============================================  ==========================
metric          masked when token ``t`` is predicted            source
==============  ==============================================  ==========================
``original``    ``t`` alone                                     Salazar et al. 2020
``word_l2r``    ``t`` and the later tokens of ``t``'s word       Kauf & Ivanova 2023
``whole_word``  every token of ``t``'s word                     (ours, for comparison)
==============  ==============================================  ==========================

**The default is ``word_l2r``.** With ``original``, the pieces of a multi-piece word predict
each other ("sou ##venir": ``##venir`` is almost certain given ``sou``), which inflates the
scores of rare, long words and biases minimal-pair comparisons toward them. Masking the
rest of the word to the right removes that leak while keeping the left-to-right chain
rule inside the word (Kauf & Ivanova 2023, "A Better Way to Do Masked Language Model
Scoring"). ``original`` is there to compare with published numbers.

Words are the fast tokenizer's pre-tokenized words (``word_ids``), so WordPiece (``##``
pieces), byte-level BPE (RoBERTa's leading-space ``Ġword`` pieces) and SentencePiece
(ALBERT's ``▁word``) all group pieces into words the same way. Special tokens are never
scored. A sentence longer than the model's positions is an error naming it (never cut).

**Memory is bounded.** Every scored token gives one masked copy of its sentence. The copies
of all sentences, sorted by length, go through the encoder in sub-batches of at most
``token_budget`` tokens (padded rows x length), built only when they are run; the MLM head
runs only at the one predicted position of each copy, in slices of ``head_rows`` rows. Peak
memory therefore depends on the budget, not on the number of sentences (``bench/blimp.py``
measures it). Sub-batching does not change any score beyond float rounding (tested).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from bertology.errors import InputError, quote, source_of
from bertology.models.heads import encoder_kwargs, encoder_of, head_of
from bertology.models.load import mask_token_id, max_tokens
from bertology.models.packing import packed_linears

METRICS = ("original", "word_l2r", "whole_word")
DEFAULT_METRIC = "word_l2r"


@dataclass
class PLLScore:
    """One sentence's PLL: the sum and its parts, one per scored token (natural log)."""

    sentence: str
    total: float
    tokens: list[str]
    log_probs: list[float]

    def to_dict(self) -> dict[str, Any]:
        return {"pll": self.total, "tokens": self.tokens, "log_probs": self.log_probs}


@dataclass
class PLLStats:
    """What a :func:`pll` call ran: masked copies, encoder calls, padded tokens, seconds."""

    sentences: int = 0
    copies: int = 0
    calls: int = 0
    padded_tokens: int = 0
    real_tokens: int = 0
    largest_call: int = 0  # padded tokens of the largest encoder call
    seconds: float = 0.0
    lengths: list[int] = field(default_factory=list)  # tokens per sentence, specials included


@dataclass
class _Encoded:
    ids: list[list[int]]
    scored: list[list[int]]  # positions of the scored tokens of each sentence
    masks: list[list[list[int]]]  # for each scored position, the positions it masks


def mask_sets(
    word_ids: Sequence[int | None], scored: Sequence[int], metric: str
) -> list[list[int]]:
    """For each scored position ``t``, the positions masked when ``t`` is predicted."""
    if metric not in METRICS:
        raise InputError(f"unknown PLL metric {metric!r}; known metrics: {', '.join(METRICS)}")
    out = []
    for t in scored:
        word = word_ids[t]
        if metric == "original" or word is None:
            out.append([t])
        elif metric == "word_l2r":
            out.append([j for j in scored if j >= t and word_ids[j] == word])
        else:  # whole_word
            out.append([j for j in scored if word_ids[j] == word])
    return out


def encode_sentences(
    model: Any,
    tokenizer: Any,
    sentences: Sequence[str],
    metric: str = DEFAULT_METRIC,
    sources: Sequence[str | None] | None = None,
) -> _Encoded:
    """Token ids, scored positions and mask sets of every sentence; an empty or too long
    sentence is an error naming it (and its ``file:line`` from ``sources``)."""
    if not getattr(tokenizer, "is_fast", False):
        raise InputError("PLL scoring needs a fast tokenizer (tokenizer.json): words come from it")
    if metric not in METRICS:
        raise InputError(f"unknown PLL metric {metric!r}; known metrics: {', '.join(METRICS)}")
    limit = max_tokens(model)
    enc = tokenizer(
        list(sentences), add_special_tokens=True, return_special_tokens_mask=True,
        truncation=False, padding=False,
    )  # fmt: skip
    ids, scored, masks = [], [], []
    for i, sentence in enumerate(sentences):
        row = enc["input_ids"][i]
        where = source_of(sources[i]) if sources else (None, None)
        positions = [t for t, special in enumerate(enc["special_tokens_mask"][i]) if not special]
        if not positions:
            raise InputError(f"sentence {quote(sentence)} has no tokens to score", *where)
        if limit is not None and len(row) > limit:
            raise InputError(
                f"sentence {quote(sentence)} is {len(row)} tokens, longer than the model's "
                f"{limit} positions (it is never cut)",
                *where,
            )
        ids.append(list(row))
        scored.append(positions)
        masks.append(mask_sets(enc.word_ids(i), positions, metric))
    return _Encoded(ids, scored, masks)


def _sub_batches(enc: _Encoded, budget: int) -> Iterator[list[tuple[int, int]]]:
    """``(sentence, k)`` copies, shortest sentences first, in groups of at most ``budget``
    padded tokens (a copy longer than the budget goes alone). A group at least half full
    ends where the length grows, so that its rows are not padded to the next length."""
    order = sorted(range(len(enc.ids)), key=lambda i: len(enc.ids[i]))
    group: list[tuple[int, int]] = []
    width = 0
    for i in order:
        n = len(enc.ids[i])
        if group and n > width and 2 * len(group) * width >= budget:
            yield group
            group, width = [], 0
        for k in range(len(enc.scored[i])):
            if group and (len(group) + 1) * max(width, n) > budget:
                yield group
                group, width = [], 0
            group.append((i, k))
            width = max(width, n)
    if group:
        yield group


def pll(
    model: Any,
    tokenizer: Any,
    sentences: Sequence[str],
    metric: str = DEFAULT_METRIC,
    token_budget: int = 2048,
    head_rows: int = 512,
    sources: Sequence[str | None] | None = None,
    stats: PLLStats | None = None,
) -> list[PLLScore]:
    """The PLL of each sentence (in input order): its sum and per-token log-probabilities.

    ``token_budget`` bounds the padded tokens per encoder call and ``head_rows`` the rows
    per call of the MLM head (speed and memory only). ``sources`` (``"file:line"`` per
    sentence) lets an error name where a sentence came from; ``stats`` is filled in.
    """
    t0 = time.perf_counter()
    stats = stats if stats is not None else PLLStats()
    if token_budget < 1 or head_rows < 1:
        raise InputError(
            f"token_budget and head_rows must be positive ({token_budget}, {head_rows})"
        )
    enc = encode_sentences(model, tokenizer, sentences, metric, sources)
    sums = [[0.0] * len(p) for p in enc.scored]
    device = next(model.parameters()).device
    mid = mask_token_id(tokenizer)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    encoder, head = encoder_of(model), head_of(model)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode(), packed_linears(model, batch_hint=token_budget):
            for group in _sub_batches(enc, token_budget):
                width = max(len(enc.ids[i]) for i, _ in group)
                ids = torch.full((len(group), width), pad, dtype=torch.long)
                att = torch.zeros((len(group), width), dtype=torch.long)
                cols, targets = [], []
                for r, (i, k) in enumerate(group):
                    row = enc.ids[i]
                    ids[r, : len(row)] = torch.tensor(row)
                    att[r, : len(row)] = 1
                    ids[r, enc.masks[i][k]] = mid
                    t = enc.scored[i][k]
                    cols.append(t)
                    targets.append(row[t])
                batch = {"input_ids": ids.to(device), "attention_mask": att.to(device)}
                hidden = encoder(**encoder_kwargs(model, batch)).last_hidden_state
                at = hidden[
                    torch.arange(len(group), device=device), torch.tensor(cols, device=device)
                ]
                tgt = torch.tensor(targets, device=device)
                for s in range(0, len(group), head_rows):
                    logits = head(at[s : s + head_rows]).float()  # (h, V)
                    lp = logits.gather(1, tgt[s : s + head_rows, None])[:, 0] - logits.logsumexp(1)
                    for (i, k), v in zip(group[s : s + head_rows], lp.tolist(), strict=True):
                        sums[i][k] = v
                stats.calls += 1
                stats.copies += len(group)
                stats.padded_tokens += len(group) * width
                stats.largest_call = max(stats.largest_call, len(group) * width)
                stats.real_tokens += sum(len(enc.ids[i]) for i, _ in group)
    finally:
        model.train(was_training)
    out = []
    for i, sentence in enumerate(sentences):
        toks = tokenizer.convert_ids_to_tokens([enc.ids[i][t] for t in enc.scored[i]])
        out.append(PLLScore(sentence, float(sum(sums[i])), list(toks), sums[i]))
    stats.sentences += len(sentences)
    stats.lengths.extend(len(x) for x in enc.ids)
    stats.seconds += time.perf_counter() - t0
    return out
