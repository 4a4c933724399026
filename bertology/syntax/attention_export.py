"""``uas``'s ``RUN/attention.json``: the word-level attention of the first sentences.

:class:`KeptAttention` is handed to :func:`bertology.syntax.uas.compute_uas` as its
``on_attention`` hook: it copies the word-level attention that the UAS counts, for the first
``limit`` sentences (in input order), as the batches go by, so the model is not run again.
:func:`uas_attention_document` puts them in the viewer's schema
(:mod:`bertology.report.attention`, kind ``dependency``) with the sentences' gold heads, the
head grid of the UAS that ``results.json`` reports for its best head (clean variant, that
head's direction) and the best heads overall and per relation.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bertology.data.dependency import DependencySentence
from bertology.report.attention import AttentionItem, attention_document, write_attention
from bertology.syntax.uas_result import DIRECTIONS, UASResult

VARIANT = "clean"  # the variant whose best head is the model's SAS score (results.json "best")


class KeptAttention:
    """Copies of the word-level attention ``(L, H, n, n)`` of sentences ``0..limit-1``."""

    def __init__(self, limit: int):
        self.limit = max(int(limit), 0)
        self.kept: dict[int, np.ndarray] = {}

    def __call__(self, idx: list[int], a_word: torch.Tensor, n_words: torch.Tensor) -> None:
        """The ``on_attention`` hook: batch sentence indices, ``(B, L, H, W, W)``, ``(B,)``."""
        for b, i in enumerate(idx):
            if i < self.limit:
                n = int(n_words[b])
                # a copy: the counter overwrites a_word's diagonal in place afterwards
                self.kept[i] = a_word[b, :, :, :n, :n].to("cpu", torch.float32).numpy().copy()


def gold_heads(sentence: DependencySentence) -> list[int]:
    """0-based head word of every word, -1 for the root (CoNLL-U heads are 1-based)."""
    return [int(h) - 1 for h in sentence.heads]


def uas_attention_document(
    kept: KeptAttention,
    sentences: Sequence[DependencySentence],
    result: UASResult,
    model: str,
    min_relation_count: int = 20,
) -> dict[str, Any]:
    """The ``attention.json`` document (kind ``dependency``) of the kept sentences.

    Sentences skipped as too long have no attention and are left out; ids are the
    sentences' ``sent_id`` (their 0-based positions in the input where those are missing or
    repeat).
    """
    best = result.best(VARIANT)
    d = DIRECTIONS.index(best["direction"])
    scores = result.uas(VARIANT)[:, :, d]  # (L, H): results.json uas[clean][direction]
    best_heads = {"all": [best["layer"], best["head"]]}
    for rel, row in result.by_relation(min_relation_count).items():
        best_heads.setdefault(rel, [row["layer"], row["head"]])
    order = sorted(kept.kept)
    ids = [sentences[i].sent_id or str(i) for i in order]
    if len(set(ids)) < len(ids):  # sent_ids repeat: fall back to input positions
        ids = [str(i) for i in order]
    items = [
        AttentionItem(
            id=ident,
            label=" ".join(sentences[i].forms),
            tokens=list(sentences[i].forms),
            attention={"full": kept.kept[i]},
            gold_heads=gold_heads(sentences[i]),
        )
        for i, ident in zip(order, ids, strict=True)
    ]
    return attention_document(
        "dependency",
        model,
        items,
        layers=result.n_layers,
        heads=result.n_heads,
        head_scores=(f"UAS ({VARIANT}, {best['direction']})", scores),
        best_heads=best_heads,
    )


def write_uas_attention(
    path: str | Path,
    kept: KeptAttention,
    sentences: Sequence[DependencySentence],
    result: UASResult,
    model: str,
    min_relation_count: int = 20,
) -> Path | None:
    """Write ``attention.json`` atomically; nothing (None) when no sentence was kept."""
    if not kept.kept:
        return None
    doc = uas_attention_document(kept, sentences, result, model, min_relation_count)
    return write_attention(path, doc)
