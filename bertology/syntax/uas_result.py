"""What head-wise UAS is made of: :class:`UASResult` holds the counts (per variant, layer,
head, direction, relation and offset baseline, overall and on non-adjacent arcs, and per
sentence) from which every UAS number is derived, and reads the best heads, the per-relation
table and the best head's summary off them. :mod:`bertology.syntax.counter` fills it.

The best head's summary (:meth:`UASResult.best_head`) is what a claim about syntactic
attention should rest on, not the best head's UAS alone:

- ``uas_margin``: its UAS minus the best offset baseline's (the best of "the word k to the
  left/right", same variant). A head that attends to the previous word scores about the
  ``-1`` baseline; only the margin is attention to syntax beyond position.
- ``uas_nonadjacent``: its UAS on the arcs whose parent is more than one word away, which no
  adjacent-word heuristic gets right. ``best_nonadjacent`` is the best head on those arcs,
  chosen on them (it may be another head).
- 95% bootstrap intervals over sentences (:mod:`bertology.syntax.intervals`) for the UAS, the
  margin (paired: both resampled with the same sentences) and the non-adjacent UAS. The head
  and the offset are chosen once, on all sentences; the intervals are those of the chosen
  head's score and do not include the optimism of picking the best of L x H x 2 heads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bertology.data.dependency import ROOT_DEPRELS
from bertology.errors import unknown_name_error
from bertology.syntax.intervals import ratio_ci

DIRECTIONS = ("dep_to_head", "head_to_dep")
VARIANTS = ("reference", "clean")
OFFSETS = (-3, -2, -1, 1, 2, 3)


def offset_name(k: int) -> str:
    """``+1``, ``-2``, ...: the key of offset baseline k in results.json."""
    return f"{k:+d}"


@dataclass
class SentenceCounts:
    """One variant's counts per sentence (S sentences, in the order they were counted): what
    the bootstrap over sentences resamples. The ``nonadj_`` fields count only the arcs whose
    gold parent is more than one word away."""

    correct: np.ndarray  # (S, L, H, D) words whose parent the head predicted
    nonadj_correct: np.ndarray  # (S, L, H, D)
    n: np.ndarray  # (S,) words counted
    nonadj_n: np.ndarray  # (S,) non-adjacent arcs counted
    offset_correct: np.ndarray  # (S, K)
    nonadj_offset_correct: np.ndarray  # (S, K)


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
    sentences: dict[str, SentenceCounts] = field(default_factory=dict)  # variant -> per sentence

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

    # --- non-adjacent arcs (|i - j| > 1) -------------------------------------------------------
    def n_nonadjacent(self, variant: str = "clean") -> int:
        """Non-adjacent arcs counted (gold parent more than one word away)."""
        return int(self._per_sentence(variant).nonadj_n.sum())

    def uas_nonadjacent(self, variant: str = "clean") -> np.ndarray:
        """(L, H, D) UAS of every head on the non-adjacent arcs only."""
        sc = self._per_sentence(variant)
        return sc.nonadj_correct.sum(0) / max(int(sc.nonadj_n.sum()), 1)

    def best_nonadjacent(self, variant: str = "clean") -> dict[str, Any]:
        """The best head on the non-adjacent arcs, chosen on them."""
        return _best_of(self.uas_nonadjacent(variant))

    def best_baseline_nonadjacent(self, variant: str = "clean") -> dict[str, Any]:
        """The best offset baseline on the non-adjacent arcs (only offsets +-2, +-3 can hit)."""
        sc = self._per_sentence(variant)
        scores = sc.nonadj_offset_correct.sum(0) / max(int(sc.nonadj_n.sum()), 1)
        k = int(np.argmax(scores))
        return {"offset": offset_name(OFFSETS[k]), "uas": float(scores[k])}

    def best_head(self, variant: str = "clean", seed: int = 0) -> dict[str, Any]:
        """The best head (chosen on all arcs) with its margin over the best offset baseline,
        its non-adjacent UAS, their 95% intervals over sentences and the counts (see the
        module docstring). An interval is ``None`` with fewer than 2 sentences that have an
        arc counted."""
        best, base = self.best(variant), self.best_baseline(variant)
        cell = (best["layer"], best["head"], DIRECTIONS.index(best["direction"]))
        k = OFFSETS.index(int(base["offset"]))
        sc = self._per_sentence(variant)
        head = sc.correct[(slice(None), *cell)]  # (S,) the best head's hits per sentence
        head_nonadj = sc.nonadj_correct[(slice(None), *cell)]
        return {
            **best,
            "uas_ci": ratio_ci(head, sc.n, seed),
            "offset": base["offset"],
            "offset_uas": base["uas"],
            "uas_margin": best["uas"] - base["uas"],
            "uas_margin_ci": ratio_ci(head - sc.offset_correct[:, k], sc.n, seed),
            "uas_nonadjacent": float(self.uas_nonadjacent(variant)[cell]),
            "uas_nonadjacent_ci": ratio_ci(head_nonadj, sc.nonadj_n, seed),
            "best_nonadjacent": self.best_nonadjacent(variant),
            "n_sentences": self.n_sentences,
            "n_words": self.n[variant],
            "n_nonadjacent": self.n_nonadjacent(variant),
        }

    def _per_sentence(self, variant: str) -> SentenceCounts:
        _check_variant(variant)
        if variant not in self.sentences:
            raise ValueError(
                "this UASResult has no per-sentence counts (it was not made by a UASCounter)"
            )
        return self.sentences[variant]

    # --- outputs --------------------------------------------------------------------------------
    def checkpoint_metrics(self) -> dict[str, Any]:
        """What the ``uas`` evaluator logs at a pre-training checkpoint (clean variant unless
        named ``_reference``): the best head and its UAS, interval, margin and non-adjacent
        UAS, the counts, and ``uas_heads``, every head's UAS (its better direction) as
        ``[layer][head]``, from which ``bertology dynamics`` follows one head over training."""
        b = self.best_head("clean")
        return {
            "uas": b["uas"],
            "uas_ci": b["uas_ci"],
            "uas_layer": b["layer"],
            "uas_head": b["head"],
            "uas_direction": b["direction"],
            "uas_reference": self.best("reference")["uas"],
            "uas_attn_on_gold": float(self.continuous("clean").max()),
            "uas_offset_baseline": b["offset_uas"],
            "uas_offset": b["offset"],
            "uas_margin": b["uas_margin"],
            "uas_margin_ci": b["uas_margin_ci"],
            "uas_nonadjacent": b["uas_nonadjacent"],
            "uas_nonadjacent_ci": b["uas_nonadjacent_ci"],
            "uas_nonadjacent_best": b["best_nonadjacent"]["uas"],
            "uas_sentences": self.n_sentences,
            "uas_words": b["n_words"],
            "uas_nonadjacent_words": b["n_nonadjacent"],
            "uas_heads": self.uas("clean").max(-1).tolist(),
        }

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
            "best_head": {v: self.best_head(v) for v in VARIANTS},
            "nonadjacent": {
                v: {
                    "n": self.n_nonadjacent(v),
                    "uas": grid(self.uas_nonadjacent(v)),
                    "best": self.best_nonadjacent(v),
                    "best_baseline": self.best_baseline_nonadjacent(v),
                }
                for v in VARIANTS
            },
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
