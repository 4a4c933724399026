"""Counting head-wise UAS, one batch of word-level attention at a time.

For every layer, head and direction, a head *predicts* each word's parent:

- ``dep_to_head``: the parent of word i is ``argmax_{j != i} A_word[i, j]``;
- ``head_to_dep``: the parent of word i is ``argmax_{j != i} A_word[j, i]``.

Ties go to the lowest index (``torch.argmax`` returns the first maximum). The root has no
parent and is never predicted. Two variants are counted (DESIGN.md):

- ``reference``: every word, root and punctuation included, as the SAS code does. Root words
  can never be right, so they count as wrong there.
- ``clean``: words whose relation is ``punct`` or ``root``/``ROOT`` are left out.

Also counted: per-relation scores (for the per-relation best head), offset baselines
(predict word i + k, k in -3..3 without 0; no wrap-around at the sentence ends), the
continuous variant, the mean attention a word gives to (``dep_to_head``) or receives from
(``head_to_dep``) its gold parent (root words contribute 0 to the reference variant), and
the *non-adjacent* arcs: words whose gold parent j is more than one word away
(``|i - j| > 1``; the root, which has no parent, is never one). Adjacent arcs are the ones an
offset baseline gets right, so a head's score on the others is the part position cannot
explain.

Each sentence's counts are kept apart too (:class:`~bertology.syntax.uas_result.SentenceCounts`),
for the bootstrap intervals over sentences: every head's, since the best head is only known
at the end: 2 variants x (all arcs, non-adjacent ones) x L x H x 2 int32 per sentence, 4.6 kB
for a 12 x 12 model (9 MB for 2,000 sentences).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from bertology.data.dependency import PUNCT_DEPRELS, ROOT_DEPRELS, DependencySentence
from bertology.syntax.uas_result import DIRECTIONS, OFFSETS, VARIANTS, SentenceCounts, UASResult

# the per-sentence arrays kept by UASCounter, one list of per-batch tensors each
_PER_SENTENCE = ("correct", "nonadj_correct", "n", "nonadj_n", "offset_correct",
                 "nonadj_offset_correct")  # fmt: skip


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


def nonadjacent_arcs(gold: torch.Tensor) -> torch.Tensor:
    """(B, W) True where word i has a gold parent j with ``|i - j| > 1``.

    ``gold`` holds 0-based parents, -1 for the root and -2 for padding (neither has a parent).
    """
    pos = torch.arange(gold.shape[1], device=gold.device)
    return (gold >= 0) & ((gold - pos[None, :]).abs() > 1)


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
        # variant -> field -> per-batch int32 tensors, sentences in the order they were added
        self._sentences: dict[str, dict[str, list[torch.Tensor]]] = {
            v: {f: [] for f in _PER_SENTENCE} for v in VARIANTS
        }

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
        nonadj = nonadjacent_arcs(gold)  # (B, W)
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

        # per-sentence sums are small integers (exact in fp32); totals accumulate in fp64
        for v, m in masks.items():
            mf, naf = m.float(), (m & nonadj).float()  # (B, W)
            per_sentence = torch.einsum("blhdw,bw->blhd", correct, mf)
            per_offset = torch.einsum("bkw,bw->bk", off_correct, mf)
            self.correct[v] += per_sentence.sum(0).double()
            on_gold_sum = torch.einsum("blhdw,bw->lhd", on_gold, m.to(on_gold.dtype))
            self.attn_on_gold[v] += on_gold_sum.double()
            self.offset_correct[v] += per_offset.sum(0).double()
            self.n[v] += int(m.sum())
            kept = self._sentences[v]
            for name, t in (
                ("correct", per_sentence),
                ("nonadj_correct", torch.einsum("blhdw,bw->blhd", correct, naf)),
                ("n", mf.sum(1)),
                ("nonadj_n", naf.sum(1)),
                ("offset_correct", per_offset),
                ("nonadj_offset_correct", torch.einsum("bkw,bw->bk", off_correct, naf)),
            ):
                kept[name].append(t.round().to(torch.int32))
        self.rel_correct += torch.einsum("blhdw,bwr->lhdr", correct, onehot).double()
        self.rel_n += onehot.sum((0, 1)).double()
        self.offset_rel_correct += torch.einsum("bkw,bwr->kr", off_correct, onehot).double()
        self.n_sentences += B

    def _sentence_counts(self, variant: str) -> SentenceCounts:
        D, K = len(DIRECTIONS), len(OFFSETS)
        shapes = {"correct": (0, self.L, self.H, D), "nonadj_correct": (0, self.L, self.H, D),
                  "n": (0,), "nonadj_n": (0,), "offset_correct": (0, K),
                  "nonadj_offset_correct": (0, K)}  # fmt: skip
        arrays: dict[str, np.ndarray] = {}
        for name, parts in self._sentences[variant].items():
            if parts:
                arrays[name] = torch.cat(parts).cpu().numpy()
            else:
                arrays[name] = np.zeros(shapes[name], dtype=np.int32)
        return SentenceCounts(**arrays)

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
            sentences={v: self._sentence_counts(v) for v in VARIANTS},
            **extra,
        )
