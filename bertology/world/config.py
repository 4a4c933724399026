"""``WorldConfig``: every size and probability of the world, and reading it from YAML.

A YAML file names only the fields it changes; ``grammar`` may name only some nonterminals and
expansions (``grammar: {NP: {noun_pp: 0.3}}``). An unknown key stops with an error that names
the file, the line and the known keys.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bertology import config as cfgload
from bertology.errors import InputError
from bertology.world.grammar import DEFAULT_RULES

MAX_ENTITIES = 100_000
"""More entities than this is a typo, not a world (nonce names would run short long after)."""


@dataclass
class WorldConfig:
    """Sizes and probabilities of the synthetic world. The same config and seed give the same files."""

    seed: int = 0
    tokens: int = 2_000_000
    """Training-corpus size in tokens (punctuation included); generation stops at the sentence
    that reaches it. The validation corpus adds ``valid_fraction`` of this."""
    valid_fraction: float = 0.05
    heldout_trees: int = 1000
    """Sentences in ``trees.conllu``: grammar sentences that do not occur in the training corpus."""
    pairs_per_paradigm: int = 200

    # the language
    word_zipf_exponent: float = 1.0
    """Zipf exponent of word frequencies within each word class."""
    p_plural: float = 0.4
    max_depth: int = 2
    """Embedding depth (PPs, relative clauses, coordination) beyond which phrases stay simple."""
    grammar: dict[str, dict[str, float]] = field(
        default_factory=lambda: copy.deepcopy(DEFAULT_RULES)
    )
    """Expansion weights per nonterminal (see ``bertology.world.grammar``); normalised when used."""

    # the knowledge base
    n_entities: int | None = None
    """How many entities get facts. None: the word lists' 203 concrete nouns; fewer: a seeded
    sample of them; more: all of them plus made-up nouns (:mod:`bertology.world.nonce`), added
    so that the categories grow alike. The ``lamp`` preset uses 5000."""
    relation_coverage: float = 0.85
    """Probability that an entity has a fact for a relation that applies to its kind (IsA: always)."""
    object_zipf_exponent: float = 1.0
    """Zipf exponent of a relation's objects within one entity category: a few objects are common."""
    fact_sentence_fraction: float = 0.2
    """Share of corpus sentences that state a fact."""
    fact_zipf_exponent: float = 1.2
    fact_zipf_offset: float = 10.0
    """A fact of rank r is stated in proportion to 1 / (r + offset) ** exponent."""
    min_fact_count: int = 1
    """Every fact is stated at least this often in the training corpus."""

    def validate(
        self, path: str | Path | None = None, lines: dict[str, int] | None = None
    ) -> WorldConfig:  # ``lines``: :func:`bertology.config.load` passes each key's line
        """Check types and ranges; raise InputError naming the field, and the file and line it
        came from when there is one. Returns ``self`` with ``grammar`` completed from defaults."""
        lines = lines or {}

        def need(ok: bool, name: str, what: str) -> None:
            if not ok:
                raise InputError(
                    f"{name} must be {what}, got {getattr(self, name)!r}", path, lines.get(name)
                )

        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "grammar" or (f.name == "n_entities" and value is None):
                continue
            if f.type in ("int", "int | None"):
                need(isinstance(value, int) and not isinstance(value, bool), f.name, "an integer")
            elif f.type == "float":
                need(
                    isinstance(value, (int, float)) and not isinstance(value, bool),
                    f.name,
                    "a number",
                )
        need(self.tokens >= 1, "tokens", ">= 1")
        need(0 <= self.valid_fraction < 1, "valid_fraction", "in [0, 1)")
        need(self.heldout_trees >= 0, "heldout_trees", ">= 0")
        need(self.pairs_per_paradigm >= 0, "pairs_per_paradigm", ">= 0")
        need(self.word_zipf_exponent >= 0, "word_zipf_exponent", ">= 0")
        need(0 <= self.p_plural <= 1, "p_plural", "in [0, 1]")
        need(self.max_depth >= 0, "max_depth", ">= 0")
        need(
            self.n_entities is None or 1 <= self.n_entities <= MAX_ENTITIES,
            "n_entities",
            f"between 1 and {MAX_ENTITIES}, or null",
        )
        need(0 <= self.relation_coverage <= 1, "relation_coverage", "in [0, 1]")
        need(self.object_zipf_exponent >= 0, "object_zipf_exponent", ">= 0")
        need(0 < self.fact_sentence_fraction < 1, "fact_sentence_fraction", "in (0, 1)")
        need(self.fact_zipf_exponent >= 0, "fact_zipf_exponent", ">= 0")
        need(self.fact_zipf_offset >= 0, "fact_zipf_offset", ">= 0")
        need(self.min_fact_count >= 1, "min_fact_count", ">= 1")
        self.grammar = _merge_grammar(self.grammar, path, lines.get("grammar"))
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _merge_grammar(
    grammar: Any, path: str | Path | None, line: int | None
) -> dict[str, dict[str, float]]:
    """Defaults with ``grammar``'s weights on top; unknown names list the known ones."""
    if not isinstance(grammar, dict):
        raise InputError(f"grammar must be a mapping of nonterminals, got {grammar!r}", path, line)
    merged = copy.deepcopy(DEFAULT_RULES)
    for nt, expansions in grammar.items():
        if nt not in merged:
            raise InputError(
                f"unknown grammar nonterminal {nt!r}; known: {', '.join(merged)}", path, line
            )
        if not isinstance(expansions, dict):
            raise InputError(
                f"grammar.{nt} must map expansions to weights, got {expansions!r}", path, line
            )
        for name, weight in expansions.items():
            if name not in merged[nt]:
                known = ", ".join(merged[nt])
                raise InputError(
                    f"unknown expansion {name!r} of grammar.{nt}; known: {known}", path, line
                )
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
                raise InputError(
                    f"grammar.{nt}.{name} must be a weight >= 0, got {weight!r}", path, line
                )
            merged[nt][name] = float(weight)
        if sum(merged[nt].values()) <= 0:
            raise InputError(f"grammar.{nt}: the weights sum to 0", path, line)
    if merged["VP"]["transitive"] + merged["VP"]["intransitive"] <= 0:
        raise InputError("grammar.VP: transitive or intransitive needs a weight > 0", path, line)
    return merged


@dataclass
class WorldImpl:
    """Logging only: generation is the same with or without progress lines."""

    progress: bool = True  # progress lines on stderr


@dataclass
class WorldCommandConfig(WorldConfig):
    """``bertology world``'s settings: the world's (top level, as in a world YAML file) and
    ``impl``."""

    impl: WorldImpl = field(default_factory=WorldImpl)

    def world(self) -> WorldConfig:
        """The world's own config (what ``world.json`` records)."""
        return WorldConfig(
            **{f.name: getattr(self, f.name) for f in dataclasses.fields(WorldConfig)}
        )


PRESETS: dict[str, dict[str, Any]] = {
    "lamp": {
        "n_entities": 5000,
        "tokens": 8_000_000,
        "fact_sentence_fraction": 0.4,
        "min_fact_count": 5,
    },
}
"""Named worlds for ``bertology world --preset NAME`` (flags, ``--config`` and ``--set`` override
a preset's values).

``lamp``: at least 100 test facts for every relation under ``bertology prune``'s default
subject split (80/10/10), so that one fact moves a test P@1 by 0.01 or less. A relation's test
set is a tenth of its subjects, and an entity has a fact for a relation with probability
``relation_coverage`` (0.85), so a relation needs about 100 / 0.1 / 0.85 = 1180 entities of the
kinds it applies to. The narrowest, CapableOf, applies to animals, birds, insects and reptiles
only: 4 of the 15 categories, which grow alike, so 5000 entities give it 4 x 333 = 1333
entities and about 113 test facts (IsA 500, the relations of every kind about 420). The 5000
entities have about 31,800 facts; stating each at least ``min_fact_count`` = 5 times takes
about 160,000 fact sentences, and 8M tokens with 40% fact sentences plan about 310,000, so the
floor holds about half of them and the rest follow the Zipfian weights (the median fact is
stated 6 times, the most frequent a few thousand times). world.json records the split's counts
(``knowledge.per_relation.*.subject_split``) and the smallest count
(``knowledge.min_mentions_per_fact``). More mentions per fact: raise ``min_fact_count`` and
``tokens`` together (tokens ~ 50 x min_fact_count x facts at this fraction). Generation takes
about half a minute and 0.5 GB of disk. The vocabulary is about 10,700 words: a WordPiece
tokenizer trained on it needs ``vocab_size`` >= 12000 to keep every relation object one token
(the probe skips facts whose object is not), and 16000 keeps every subject whole too; the
2000 of ``world-tiny`` splits about 100 of the 246 objects.
"""


def preset(name: str) -> dict[str, Any]:
    """The values of the preset ``name`` (a copy); an unknown name lists the known ones."""
    if name not in PRESETS:
        raise InputError(f"unknown world preset {name!r}; known presets: {', '.join(PRESETS)}")
    return copy.deepcopy(PRESETS[name])


def load_world_config(path: str | Path) -> WorldConfig:
    """Read a YAML file of ``WorldConfig`` overrides; errors name the file and line."""
    return cfgload.load(WorldConfig, path)
