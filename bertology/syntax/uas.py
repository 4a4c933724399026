"""Head-wise unlabeled attachment score (UAS) of attention, streamed over batches.

:func:`compute_uas` runs a model over dependency trees: sentences are batched by length, each
batch's attention is pooled to word level and counted by
:class:`~bertology.syntax.counter.UASCounter` (which says what is counted: both directions,
the reference and clean variants, per relation, offset baselines, non-adjacent arcs, and each
sentence's counts for the intervals), then dropped, so attention is never held for more than
one batch. :class:`~bertology.syntax.uas_result.UASResult` derives the scores.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bertology.console import say
from bertology.data.dependency import DependencySentence
from bertology.errors import InputError, unknown_name_error
from bertology.models.attention import eager_attention
from bertology.models.packing import packed_linears
from bertology.syntax.align import (
    AGGREGATIONS,
    AlignedSentence,
    align_words,
    check_fast_tokenizer,
    collate,
    model_max_length,
)
from bertology.syntax.attention import word_level_attention
from bertology.syntax.capture import attention_probs
from bertology.syntax.counter import UASCounter, predict_parents
from bertology.syntax.uas_result import DIRECTIONS, OFFSETS, VARIANTS, UASResult

# re-exported: older code imports them from here
__all__ = ["DIRECTIONS", "OFFSETS", "VARIANTS", "UASCounter", "UASResult", "compute_uas",
           "predict_parents"]  # fmt: skip


def _model_device(model: Any) -> torch.device:
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")


# The fixed cost of one forward pass, in tokens: fitting t = a + b * tokens to BERT-base
# forward times at 12 batch shapes on a CPU gave a / b = 24-28.
BATCH_OVERHEAD_TOKENS = 28


def _batches(
    order: list[int],
    lengths: list[int],
    batch_size: int,
    budget: float,
    overhead: float = BATCH_OVERHEAD_TOKENS,
) -> list[list[int]]:
    """Split sentences, sorted by increasing length, into consecutive batches of at most
    ``batch_size`` sentences with B * T^2 <= ``budget`` (a longer sentence goes alone).

    Among all such splits, the one with the least work: padded tokens (B * T, T the batch's
    longest) plus ``overhead`` token-equivalents per forward pass (the fixed cost of a call,
    and the lower efficiency of small matrix products). Found by dynamic programming over the
    sorted order, O(n * batch_size). A fixed batch size would pad short sentences up to
    much longer ones wherever lengths jump.
    """
    n = len(order)
    cost = [0.0] + [float("inf")] * n  # cost[j]: least work for the first j sentences
    start = [0] * (n + 1)  # the best split's last batch is order[start[j]:j]
    for j in range(1, n + 1):
        T = lengths[order[j - 1]]  # the batch's longest: the order is ascending
        for b in range(1, min(batch_size, j) + 1):
            if b > 1 and b * T * T > budget:
                break
            c = cost[j - b] + overhead + b * T
            if c < cost[j]:
                cost[j], start[j] = c, j - b
    out: list[list[int]] = []
    j = n
    while j > 0:
        out.append(order[start[j] : j])
        j = start[j]
    return out[::-1]


def compute_uas(
    model: Any,
    tokenizer: Any,
    sentences: Sequence[DependencySentence],
    *,
    from_agg: str = "mean",
    to_agg: str = "sum",
    batch_size: int | None = None,
    max_length: int | None = None,
    attn_budget_mb: float = 1024.0,
    progress: bool = True,
    log: Callable[[dict[str, Any]], None] | None = None,
    on_attention: Callable[[list[int], torch.Tensor, torch.Tensor], None] | None = None,
) -> UASResult:
    """Head-wise UAS of ``model`` on gold trees, batched and streamed.

    Sentences are sorted by length and split into the batches with the least padded work
    (at most ``batch_size`` sentences, default 32 on a GPU and 16 on a CPU, where the cost
    per token stops falling at a few hundred tokens per call; and about ``attn_budget_mb`` of
    fp32 token attention per batch); each batch's attention is pooled to word level on the
    model's device, counted, and dropped. Sentences longer than the model's
    maximum length (or ``max_length``) are skipped and counted in ``skipped_long``.
    ``log`` receives one progress row per batch (for ``metrics.jsonl``). ``on_attention``
    receives each batch's sentence indices, word-level attention ``(B, L, H, W, W)`` and
    word counts ``(B,)`` before they are counted (and overwritten): copy what you keep.
    """
    for agg in (from_agg, to_agg):
        if agg not in AGGREGATIONS:
            raise unknown_name_error("aggregation", agg, AGGREGATIONS)
    if not sentences:
        raise InputError("no sentences to score")
    check_fast_tokenizer(tokenizer)
    device = _model_device(model)
    limit = max_length or model_max_length(model, tokenizer)
    if batch_size is None:
        batch_size = 32 if device.type == "cuda" else 16

    aligned: list[AlignedSentence] = align_words(tokenizer, [s.forms for s in sentences])
    keep = [i for i, a in enumerate(aligned) if len(a) <= limit]
    skipped_long = len(sentences) - len(keep)
    if not keep:
        raise InputError(
            f"all {len(sentences)} sentences are longer than the model's maximum length "
            f"({limit} tokens)"
        )
    lengths = [len(a) for a in aligned]
    keep.sort(key=lambda i: lengths[i])

    cfg = getattr(model, "config", None)
    L = int(getattr(cfg, "num_hidden_layers", 12) or 12)
    H = int(getattr(cfg, "num_attention_heads", 12) or 12)
    budget = attn_budget_mb * 2**20 / (4 * L * H)  # B * T^2 per batch
    batches = _batches(keep, lengths, batch_size, budget)
    encoder = getattr(model, "base_model", model)  # skip the MLM head: only attention is needed
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    counter: UASCounter | None = None
    n_tokens = 0
    start = time.perf_counter()
    bar = _progress(progress, len(keep))
    with contextlib.ExitStack() as stack:
        if bar is not None:
            stack.callback(bar[0].stop)
        stack.enter_context(eager_attention(model))
        stack.enter_context(packed_linears(encoder, batch_hint=batch_size * 32))
        for k, idx in enumerate(batches):
            batch = collate([aligned[i] for i in idx], pad_id, device)
            with torch.inference_mode():
                attentions = attention_probs(encoder, batch.input_ids, batch.attention_mask)
            if attentions is None:
                raise InputError(
                    f"{type(model).__name__} returned no attention probabilities; UAS needs "
                    "a model that supports output_attentions=True on the eager attention path"
                )
            if counter is None:
                counter = UASCounter(len(attentions), attentions[0].shape[1], device)
            with torch.inference_mode():
                a_word = word_level_attention(
                    attentions, batch.token_word, batch.max_words, from_agg, to_agg
                )  # (B, L, H, W, W)
                del attentions
                if on_attention is not None:
                    on_attention(idx, a_word, batch.n_words)
                counter.add(a_word, [sentences[i] for i in idx], inplace=True)
            n_tokens += int(batch.attention_mask.sum())
            if bar is not None:
                bar[0].advance(bar[1], len(idx))
            if log is not None:
                elapsed = time.perf_counter() - start
                log(
                    {
                        "batch": k,
                        "sentences": counter.n_sentences,
                        "elapsed_s": round(elapsed, 3),
                        "sentences_per_s": counter.n_sentences / max(elapsed, 1e-9),
                    }
                )
    elapsed = time.perf_counter() - start
    assert counter is not None
    if progress:
        say(
            f"UAS: {counter.n_sentences} sentences ({n_tokens} tokens) in {elapsed:.1f}s: "
            f"{counter.n_sentences / elapsed:.1f} sentences/s, {n_tokens / elapsed:.0f} tokens/s"
            + (f"; skipped {skipped_long} longer than {limit} tokens" if skipped_long else "")
        )
    return counter.result(
        skipped_long=skipped_long,
        elapsed_s=elapsed,
        config={"from_agg": from_agg, "to_agg": to_agg, "max_length": limit},
    )


def _progress(enabled: bool, total: int) -> tuple[Any, Any] | None:
    if not enabled:
        return None
    bar = Progress(
        TextColumn("UAS"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("sentences"),
        TimeRemainingColumn(),
        transient=True,
    )
    bar.start()
    return bar, bar.add_task("uas", total=total)
