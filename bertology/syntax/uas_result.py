"""What head-wise UAS is made of: :class:`UASResult` holds the counts (per variant, layer,
head, direction, relation and offset baseline) from which every UAS number is derived, and
reads the best heads and the per-relation table off them. :mod:`bertology.syntax.uas` fills it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bertology.data.dependency import ROOT_DEPRELS
from bertology.errors import unknown_name_error

DIRECTIONS = ("dep_to_head", "head_to_dep")
VARIANTS = ("reference", "clean")
OFFSETS = (-3, -2, -1, 1, 2, 3)


def offset_name(k: int) -> str:
    """``+1``, ``-2``, ...: the key of offset baseline k in results.json."""
    return f"{k:+d}"


@dataclass
class UASResult:
    """Counts from which every UAS number is derived (numpy arrays, on the CPU).

    Shapes: L layers, H heads, D = 2 directions (:data:`DIRECTIONS`), R relations,
    K = 6 offsets (:data:`OFFSETS`).
    """

    n_layers: int
    n_heads: int
    relations: list[str]
    correct: dict[str, np.ndarray]  # variant -> (L, H, D) words whose parent was predicted
    attn_on_gold: dict[str, np.ndarray]  # variant -> (L, H, D) summed attention on gold parent
    n: dict[str, int]  # variant -> words counted
    rel_correct: np.ndarray  # (L, H, D, R)
    rel_n: np.ndarray  # (R,)
    offset_correct: dict[str, np.ndarray]  # variant -> (K,)
    offset_rel_correct: np.ndarray  # (K, R)
    n_sentences: int = 0
    skipped_long: int = 0
    elapsed_s: float = 0.0
    config: dict[str, Any] = field(default_factory=dict)

    # --- derived scores ------------------------------------------------------------------------
    def uas(self, variant: str = "clean") -> np.ndarray:
        """(L, H, D) UAS of every head in both directions."""
        _check_variant(variant)
        return self.correct[variant] / max(self.n[variant], 1)

    def continuous(self, variant: str = "clean") -> np.ndarray:
        """(L, H, D) mean attention on the gold parent."""
        _check_variant(variant)
        return self.attn_on_gold[variant] / max(self.n[variant], 1)

    def best(self, variant: str = "clean") -> dict[str, Any]:
        """The best head (its better direction): the model's SAS score."""
        return _best_of(self.uas(variant))

    def relation_counts(self) -> dict[str, int]:
        return {r: int(n) for r, n in zip(self.relations, self.rel_n, strict=True)}

    def by_relation(self, min_count: int = 20) -> dict[str, dict[str, Any]]:
        """Best head per relation with at least ``min_count`` words (root excluded: it has
        no parent), with the best offset baseline beside it; most frequent first."""
        out: dict[str, dict[str, Any]] = {}
        for r in np.argsort(-self.rel_n, kind="stable"):
            name, n = self.relations[r], int(self.rel_n[r])
            if n < min_count or name in ROOT_DEPRELS:
                continue
            row = {"n": n, **_best_of(self.rel_correct[..., r] / n)}
            base = self.offset_rel_correct[:, r] / n
            k = int(np.argmax(base))
            row["best_offset"] = offset_name(OFFSETS[k])
            row["offset_uas"] = float(base[k])
            out[name] = row
        return out

    def baselines(self, min_count: int = 20) -> dict[str, Any]:
        """Offset baselines overall (both variants) and per relation."""
        out: dict[str, Any] = {}
        for v in VARIANTS:
            n = max(self.n[v], 1)
            out[v] = {
                offset_name(k): float(c) / n
                for k, c in zip(OFFSETS, self.offset_correct[v], strict=True)
            }
        out["by_relation"] = {
            name: {
                offset_name(k): float(self.offset_rel_correct[i, r] / self.rel_n[r])
                for i, k in enumerate(OFFSETS)
            }
            for name, r in _frequent(self, min_count)
        }
        return out

    def best_baseline(self, variant: str = "clean") -> dict[str, Any]:
        n = max(self.n[variant], 1)
        scores = self.offset_correct[variant] / n
        k = int(np.argmax(scores))
        return {"offset": offset_name(OFFSETS[k]), "uas": float(scores[k])}

    def to_results(self, min_count: int = 20) -> dict[str, Any]:
        """The ``results.json`` body of ``bertology uas`` (the issue's schema, plus extras)."""

        def grid(a: np.ndarray) -> dict[str, list[list[float]]]:
            return {d: a[:, :, i].tolist() for i, d in enumerate(DIRECTIONS)}

        return {
            "n_sentences": self.n_sentences,
            "n_words": self.n["reference"],
            "n_words_clean": self.n["clean"],
            "skipped_long": self.skipped_long,
            "uas": {v: grid(self.uas(v)) for v in VARIANTS},
            "best": {v: self.best(v) for v in VARIANTS},
            "by_relation": self.by_relation(min_count),
            "baselines": self.baselines(min_count),
            "best_baseline": {v: self.best_baseline(v) for v in VARIANTS},
            "continuous": {v: grid(self.continuous(v)) for v in VARIANTS},
            "best_continuous": {v: _best_of(self.continuous(v)) for v in VARIANTS},
            "relation_counts": self.relation_counts(),
            "config": self.config,
            "throughput": {
                "elapsed_s": self.elapsed_s,
                "sentences_per_s": self.n_sentences / self.elapsed_s if self.elapsed_s else None,
            },
        }


def _check_variant(variant: str) -> None:
    if variant not in VARIANTS:
        raise unknown_name_error("UAS variant", variant, VARIANTS)


def _best_of(scores: np.ndarray) -> dict[str, Any]:
    """Argmax over (L, H, D); ties go to the lowest (layer, head, direction)."""
    layer, head, d = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return {
        "layer": int(layer),
        "head": int(head),
        "direction": DIRECTIONS[int(d)],
        "uas": float(scores[layer, head, d]),
    }


def _frequent(result: UASResult, min_count: int) -> list[tuple[str, int]]:
    order = np.argsort(-result.rel_n, kind="stable")
    return [
        (result.relations[r], int(r))
        for r in order
        if result.rel_n[r] >= min_count and result.relations[r] not in ROOT_DEPRELS
    ]
