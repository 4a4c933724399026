"""Head-wise unlabeled attachment score (UAS) of attention, streamed over batches.

For every layer, head and direction, a head *predicts* each word's parent:

- ``dep_to_head``: the parent of word i is ``argmax_{j != i} A_word[i, j]``;
- ``head_to_dep``: the parent of word i is ``argmax_{j != i} A_word[j, i]``.

Ties go to the lowest index (``torch.argmax`` returns the first maximum). The root has no
parent and is never predicted. Two variants are counted (DESIGN.md):

- ``reference``: every word, root and punctuation included, as the SAS code does. Root words
  can never be right, so they count as wrong there.
- ``clean``: words whose relation is ``punct`` or ``root``/``ROOT`` are left out.

Also counted: per-relation scores (for the per-relation best head), offset baselines
(predict word i + k, k in -3..3 without 0; no wrap-around at the sentence ends), and the
continuous variant, the mean attention a word gives to (``dep_to_head``) or receives from
(``head_to_dep``) its gold parent (root words contribute 0 to the reference variant).

:class:`UASCounter` adds one batch at a time and keeps only counts, so attention is never
held for more than one batch. :func:`compute_uas` runs a model over dependency trees.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bertology.console import say
from bertology.data.dependency import PUNCT_DEPRELS, ROOT_DEPRELS, DependencySentence
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
from bertology.syntax.uas_result import DIRECTIONS, OFFSETS, VARIANTS, UASResult


def predict_parents(
    a_word: torch.Tensor, n_words: torch.Tensor, inplace: bool = False
) -> torch.Tensor:
    """Each head's predicted parent of every word, in both directions.

    Args:
        a_word: (B, L, H, W, W) word-level attention.
        n_words: (B,) words per sentence; word slots beyond it are padding.
        inplace: overwrite ``a_word``'s diagonal and padding (saves a copy of it).

    Returns:
        (B, L, H, 2, W) 0-based parent indices; direction 0 is dep_to_head, 1 head_to_dep.
    """
    B, L, H, W, _ = a_word.shape
    pos = torch.arange(W, device=a_word.device)
    pad = pos[None, :] >= n_words[:, None]  # (B, W)
    eye = torch.eye(W, dtype=torch.bool, device=a_word.device)
    # the diagonal, padding rows and padding columns: never a predicted parent in either
    # direction (padding rows belong to no word and are never counted)
    blocked = (eye | pad[:, None, :] | pad[:, :, None])[:, None, None]  # (B, 1, 1, W, W)
    neg = torch.finfo(a_word.dtype).min
    masked = a_word.masked_fill_(blocked, neg) if inplace else a_word.masked_fill(blocked, neg)
    dep_to_head = masked.argmax(-1)  # (B, L, H, W): argmax_j A[i, j]
    # argmax_j A[j, i], on a transposed contiguous copy: the same first maximum, but a
    # reduction along rows, several times faster on a CPU than one across them
    head_to_dep = masked.transpose(-1, -2).contiguous().argmax(-1)  # (B, L, H, W)
    return torch.stack([dep_to_head, head_to_dep], dim=3)  # (B, L, H, 2, W)


class UASCounter:
    """Accumulates UAS counts batch by batch; holds no attention between batches."""

    def __init__(self, n_layers: int, n_heads: int, device: torch.device | str = "cpu"):
        self.L, self.H, self.device = n_layers, n_heads, torch.device(device)
        D, K = len(DIRECTIONS), len(OFFSETS)
        z = dict(device=self.device)
        self.correct = {
            v: torch.zeros(n_layers, n_heads, D, dtype=torch.float64, **z) for v in VARIANTS
        }
        self.attn_on_gold = {
            v: torch.zeros(n_layers, n_heads, D, dtype=torch.float64, **z) for v in VARIANTS
        }
        self.n = {v: 0 for v in VARIANTS}
        self.offset_correct = {v: torch.zeros(K, dtype=torch.float64, **z) for v in VARIANTS}
        self.relations: list[str] = []
        self._rel_index: dict[str, int] = {}
        self.rel_correct = torch.zeros(n_layers, n_heads, D, 0, dtype=torch.float64, **z)
        self.rel_n = torch.zeros(0, dtype=torch.float64, **z)
        self.offset_rel_correct = torch.zeros(K, 0, dtype=torch.float64, **z)
        self.n_sentences = 0

    def _relation_ids(self, sentences: Sequence[DependencySentence], W: int) -> torch.Tensor:
        new = [r for s in sentences for r in s.deprels if r not in self._rel_index]
        for r in dict.fromkeys(new):
            self._rel_index[r] = len(self.relations)
            self.relations.append(r)
        grow = len(self.relations) - self.rel_n.shape[0]
        if grow:
            self.rel_correct = torch.nn.functional.pad(self.rel_correct, (0, grow))
            self.rel_n = torch.nn.functional.pad(self.rel_n, (0, grow))
            self.offset_rel_correct = torch.nn.functional.pad(self.offset_rel_correct, (0, grow))
        ids = torch.full((len(sentences), W), -1, dtype=torch.long)
        for b, s in enumerate(sentences):
            ids[b, : len(s)] = torch.tensor([self._rel_index[r] for r in s.deprels])
        return ids.to(self.device)

    @torch.no_grad()
    def add(
        self, a_word: torch.Tensor, sentences: Sequence[DependencySentence], inplace: bool = False
    ) -> None:
        """Count one batch.

        Args:
            a_word: (B, L, H, W, W) word-level attention, W >= the longest sentence.
            sentences: the B gold trees, in batch order.
            inplace: allow overwriting ``a_word`` (saves memory and a copy).
        """
        B, L, H, W, _ = a_word.shape
        dev = a_word.device
        n_words = torch.tensor([len(s) for s in sentences], device=dev)  # (B,)
        gold = torch.full((B, W), -2, dtype=torch.long)  # -1 root, -2 padding: never predicted
        for b, s in enumerate(sentences):
            gold[b, : len(s)] = torch.tensor(s.parents)
        gold = gold.to(dev)  # (B, W)
        rel = self._relation_ids(sentences, W)  # (B, W), -1 padding
        valid = rel >= 0  # (B, W)
        excluded = torch.tensor(
            [r in PUNCT_DEPRELS or r in ROOT_DEPRELS for r in self.relations], device=dev
        )  # (R,)
        masks = {
            "reference": valid,
            "clean": valid & ~excluded[rel.clamp(min=0)],
        }  # variant -> (B, W)
        onehot = torch.nn.functional.one_hot(rel.clamp(min=0), len(self.relations))  # (B, W, R)
        onehot = (onehot * valid[..., None]).float()

        # continuous: attention on the gold parent (0 for the root)
        idx = gold.clamp(min=0)[:, None, None, :, None].expand(B, L, H, W, 1)
        to_parent = a_word.gather(-1, idx).squeeze(-1)  # (B, L, H, W)  A[i, gold_i]
        from_parent = a_word.transpose(-1, -2).gather(-1, idx).squeeze(-1)  # A[gold_i, i]
        on_gold = torch.stack([to_parent, from_parent], dim=3)  # (B, L, H, D, W)
        on_gold = on_gold * (gold >= 0)[:, None, None, None, :]

        # argmax UAS (overwrites a_word's diagonal and padding unless told not to)
        pred = predict_parents(a_word, n_words, inplace=inplace)  # (B, L, H, D, W)
        correct = (pred == gold[:, None, None, None, :]).float()  # (B, L, H, D, W)

        # offset baselines: predict word i + k (no wrap-around)
        pos = torch.arange(W, device=dev)
        offs = torch.tensor(OFFSETS, device=dev)
        guess = pos[None, None, :] + offs[None, :, None]  # (1, K, W)
        inside = (guess >= 0) & (guess < n_words[:, None, None])  # (B, K, W)
        off_correct = (inside & (guess == gold[:, None, :])).float()  # (B, K, W)

        # per-batch sums are small integers (exact in fp32); totals accumulate in fp64
        for v, m in masks.items():
            mf = m.float()  # (B, W)
            self.correct[v] += torch.einsum("blhdw,bw->lhd", correct, mf).double()
            on_gold_sum = torch.einsum("blhdw,bw->lhd", on_gold, m.to(on_gold.dtype))
            self.attn_on_gold[v] += on_gold_sum.double()
            self.offset_correct[v] += torch.einsum("bkw,bw->k", off_correct, mf).double()
            self.n[v] += int(m.sum())
        self.rel_correct += torch.einsum("blhdw,bwr->lhdr", correct, onehot).double()
        self.rel_n += onehot.sum((0, 1)).double()
        self.offset_rel_correct += torch.einsum("bkw,bwr->kr", off_correct, onehot).double()
        self.n_sentences += B

    def result(self, **extra: Any) -> UASResult:
        def np_(t: torch.Tensor) -> np.ndarray:
            return t.cpu().numpy()

        return UASResult(
            n_layers=self.L,
            n_heads=self.H,
            relations=list(self.relations),
            correct={v: np_(t).round() for v, t in self.correct.items()},
            attn_on_gold={v: np_(t) for v, t in self.attn_on_gold.items()},
            n=dict(self.n),
            rel_correct=np_(self.rel_correct).round(),
            rel_n=np_(self.rel_n).round(),
            offset_correct={v: np_(t).round() for v, t in self.offset_correct.items()},
            offset_rel_correct=np_(self.offset_rel_correct).round(),
            n_sentences=self.n_sentences,
            **extra,
        )


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
) -> UASResult:
    """Head-wise UAS of ``model`` on gold trees, batched and streamed.

    Sentences are sorted by length and split into the batches with the least padded work
    (at most ``batch_size`` sentences, default 32 on a GPU and 16 on a CPU, where the cost
    per token stops falling at a few hundred tokens per call; and about ``attn_budget_mb`` of
    fp32 token attention per batch); each batch's attention is pooled to word level on the
    model's device, counted, and dropped. Sentences longer than the model's
    maximum length (or ``max_length``) are skipped and counted in ``skipped_long``.
    ``log`` receives one progress row per batch (for ``metrics.jsonl``).
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
