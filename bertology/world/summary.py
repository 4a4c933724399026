"""world.json: a world's config and what was generated, counted while it was written.

Besides the corpus and vocabulary statistics it records how each relation's facts fall into
train/dev/test under the subject split that ``bertology prune`` uses by default
(:func:`bertology.data.facts.split_by_subject` with its default ratios and seed), so a user can
see before training anything whether a relation's test set is large enough to measure a P@1
on, and which relations have the largest test sets.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bertology.data.facts import (
    DEFAULT_SPLIT_RATIOS,
    DEFAULT_SPLIT_SEED,
    Fact,
    relations_by_test_size,
    split_by_subject,
    split_sizes_by_relation,
)
from bertology.world import words as W
from bertology.world.config import WorldConfig
from bertology.world.knowledge import KnowledgeBase
from bertology.world.lexicon import Lexicon

SCHEMA = 1


@dataclass
class SplitStats:
    """What one corpus split contains, counted while it is written."""

    sentences: int = 0
    tokens: int = 0
    fact_sentences: int = 0
    max_length: int = 0
    words: Counter = field(default_factory=Counter)
    deprels: Counter = field(default_factory=Counter)
    fact_counts: list[int] = field(default_factory=list)
    template_counts: Counter = field(default_factory=Counter)
    grammar_texts: set[str] = field(default_factory=set)

    def summary(self) -> dict[str, Any]:
        return {
            "sentences": self.sentences,
            "tokens": self.tokens,
            "grammar_sentences": self.sentences - self.fact_sentences,
            "fact_sentences": self.fact_sentences,
            "fact_sentence_fraction": round(self.fact_sentences / max(self.sentences, 1), 4),
            "mean_sentence_length": round(self.tokens / max(self.sentences, 1), 3),
            "max_sentence_length": self.max_length,
            "vocabulary_size": len(self.words),
        }


def fact_summary(counts: list[int]) -> dict[str, Any]:
    """Quantiles of how often facts are stated, and how many are rare or frequent."""
    if not counts:
        return {}
    ordered = sorted(counts)

    def q(p: float) -> int:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return {
        "min": ordered[0], "p10": q(0.1), "p25": q(0.25), "median": q(0.5), "p75": q(0.75),
        "p90": q(0.9), "max": ordered[-1], "mean": round(sum(counts) / len(counts), 3),
        "stated_once": sum(c == 1 for c in counts), "stated_at_most_5": sum(c <= 5 for c in counts),
        "stated_over_100": sum(c > 100 for c in counts),
    }  # fmt: skip


def subject_split(
    facts: list[dict[str, Any]],
    ratios: tuple[float, float, float] = DEFAULT_SPLIT_RATIOS,
    seed: int = DEFAULT_SPLIT_SEED,
) -> dict[str, Any]:
    """How many of each relation's facts land in train/dev/test when split by subject."""
    splits = split_by_subject(
        [Fact(f["subject"], f["relation"], f["object"]) for f in facts], ratios, seed
    )
    return {
        "ratios": list(ratios),
        "seed": seed,
        "relations_by_test_size": relations_by_test_size(splits),
        "facts": split_sizes_by_relation(splits),
    }


def world_stats(
    config: WorldConfig,
    kb: KnowledgeBase,
    lex: Lexicon,
    train: SplitStats,
    valid: SplitStats,
    heldout: dict[str, int],
    pairs: dict[str, int],
    facts: list[dict[str, Any]],
) -> dict[str, Any]:
    """world.json: the config, then what was generated. Deterministic: no times, no paths."""
    relations = list(kb.relations)
    by_rel: dict[str, list[dict[str, Any]]] = {r: [] for r in relations}
    for f in facts:
        by_rel[f["relation"]].append(f)
    upos = {w.form: w.upos for w in lex.all_words()}
    vocab_by_upos = Counter(upos.get(w, "template/object") for w in train.words)
    split = subject_split(facts)
    nonce = set(lex.nonce)
    return {
        "schema": SCHEMA,
        "generator": "bertology.world",
        "config": config.to_dict(),
        "corpus": {"train": train.summary(), "valid": valid.summary(), "heldout_trees": heldout},
        "vocabulary": {
            "size": len(train.words),
            "size_all_splits": len(train.words | valid.words),
            "by_pos": dict(sorted(vocab_by_upos.items())),
            "words_seen_once": sum(c == 1 for c in train.words.values()),
            "counts": dict(sorted(train.words.items(), key=lambda kv: (-kv[1], kv[0]))),
        },
        "deprels": dict(sorted(train.deprels.items(), key=lambda kv: (-kv[1], kv[0]))),
        "knowledge": {
            "entities": len(kb.entities),
            "nonce_entities": sum(e in nonce for e in kb.entities),
            "entities_per_category": {
                cat: sum(lex.entity_category[e] == cat for e in kb.entities)
                for cat in W.ENTITY_CATEGORIES
            },
            "relations": len(relations),
            "facts": len(facts),
            "fact_mentions": {"train": sum(train.fact_counts), "valid": sum(valid.fact_counts)},
            "min_mentions_per_fact": min(train.fact_counts, default=0),
            "fact_counts": fact_summary(train.fact_counts),
            "subject_split": {k: v for k, v in split.items() if k != "facts"},
            "per_relation": {
                r: {
                    "facts": len(by_rel[r]),
                    "mentions": sum(f["count"] for f in by_rel[r]),
                    "objects": len(W.OBJECTS[r]),
                    "objects_used": len({f["object"] for f in by_rel[r]}),
                    "fact_counts": fact_summary([f["count"] for f in by_rel[r]]),
                    "subject_split": split["facts"].get(r, {"train": 0, "dev": 0, "test": 0}),
                    "template_mentions": {
                        t.text: train.template_counts[r, i]
                        for i, t in enumerate(kb.relations[r].corpus)
                    },
                    "probe_template": kb.relations[r].probe.text,
                }
                for r in relations
            },
        },
        "facts": [
            {k: f[k] for k in ("subject", "relation", "object", "count", "valid_count")}
            for f in facts
        ],
        "minimal_pairs": pairs,
    }
