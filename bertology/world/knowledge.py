"""The knowledge base: entities, facts, how often each fact is stated, and fact sentences.

- Entities are the lexicon's concrete nouns (with nonce nouns when ``n_entities`` asks for more
  than the word lists hold, see :mod:`bertology.world.nonce`); each belongs to a category (its IsA object) whose
  kind (animate, artifact, food, plant) decides which relations apply to it.
- For every other applicable relation an entity has, with probability ``relation_coverage``,
  exactly one object, drawn from the relation's own object vocabulary with a Zipfian preference
  that differs per category (animals are mostly found on the farm, tools in the garage), so some
  objects are common and others rare.
- Facts get Zipfian mention counts, ``(rank + offset) ** -exponent`` over a random ranking, with
  a floor of ``min_fact_count``: a few facts are stated hundreds of times, many only a few.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from math import floor

from bertology.errors import InputError
from bertology.world import words as W
from bertology.world.config import WorldConfig
from bertology.world.lexicon import BASE_ENTITIES, Lexicon, WeightedSampler
from bertology.world.templates import RelationTemplates, relation_templates
from bertology.world.trees import Sentence


@dataclass(frozen=True)
class KBFact:
    """⟨subject, relation, object⟩ with the subject's category and its share of mentions."""

    subject: str
    relation: str
    object: str
    category: str
    weight: float


@dataclass
class KnowledgeBase:
    entities: list[str]
    facts: list[KBFact]
    relations: dict[str, RelationTemplates]

    def fact_sentence(self, fact: KBFact, template: int, lexicon: Lexicon) -> Sentence:
        """``fact`` stated through corpus template number ``template`` of its relation."""
        rel = self.relations[fact.relation]
        subject = lexicon.nouns[fact.subject][0]
        return rel.corpus[template].sentence(subject, rel.object_word(fact.object))


def build_knowledge_base(config: WorldConfig, lexicon: Lexicon) -> KnowledgeBase:
    """Entities and facts for ``config.seed``; the same seed gives the same facts."""
    rng = random.Random(f"{config.seed}:knowledge")
    entities = list(lexicon.entity_category)
    n = config.n_entities
    if n is not None and n > len(entities):  # a lexicon built without ``n_entities``
        raise InputError(
            f"n_entities is {n} but the lexicon has {len(entities)} entities; "
            "build it with bertology.world.nonce.world_lexicon"
        )
    if n is not None and n <= BASE_ENTITIES:  # a sample of the word lists' nouns
        entities = sorted(rng.sample(entities, n), key=entities.index)
    relations = relation_templates()
    # per (relation, category): a Zipfian preference over the relation's objects
    preference = {
        (rel, cat): WeightedSampler.zipf(W.OBJECTS[rel], config.object_zipf_exponent, rng)
        for rel in relations
        for cat in W.ENTITY_CATEGORIES
    }
    triples: list[tuple[str, str, str, str]] = []
    for entity in entities:
        category = lexicon.entity_category[entity]
        kind = W.ENTITY_CATEGORIES[category][0]
        for rel in W.RELATIONS_FOR[kind]:
            if rel == "IsA":
                triples.append((entity, rel, category, category))
            elif rng.random() < config.relation_coverage:
                triples.append((entity, rel, preference[rel, category](rng), category))
    ranks = list(range(1, len(triples) + 1))
    rng.shuffle(ranks)
    facts = [
        KBFact(s, r, o, c, (rank + config.fact_zipf_offset) ** -config.fact_zipf_exponent)
        for (s, r, o, c), rank in zip(triples, ranks, strict=True)
    ]
    return KnowledgeBase(entities, facts, relations)


def allocate_counts(total: int, weights: list[float], minimum: int) -> list[int]:
    """Integer counts summing to ``max(total, minimum * len(weights))``, each >= ``minimum``,
    the rest shared in proportion to ``weights`` by largest remainder (ties: lower index)."""
    counts = [minimum] * len(weights)
    rest = total - minimum * len(weights)
    if rest <= 0 or not weights:
        return counts
    wsum = sum(weights)
    shares = [rest * w / wsum for w in weights]
    for i, share in enumerate(shares):
        counts[i] += floor(share)
    left = rest - sum(floor(s) for s in shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (floor(shares[i]) - shares[i], i))
    for i in by_remainder[:left]:
        counts[i] += 1
    return counts


def plan_mentions(
    kb: KnowledgeBase, counts: list[int], rng: random.Random
) -> list[tuple[int, int]]:
    """(fact index, corpus template index) for every mention, in a random order."""
    mentions = []
    for i, (fact, n) in enumerate(zip(kb.facts, counts, strict=True)):
        n_templates = len(kb.relations[fact.relation].corpus)
        mentions += [(i, rng.randrange(n_templates)) for _ in range(n)]
    rng.shuffle(mentions)
    return mentions


def sample_mentions(kb: KnowledgeBase, n: int, rng: random.Random) -> list[tuple[int, int]]:
    """``n`` mentions drawn with replacement in proportion to the facts' weights."""
    pick = WeightedSampler(range(len(kb.facts)), [f.weight for f in kb.facts])
    out = []
    for _ in range(n):
        i = pick(rng)
        out.append((i, rng.randrange(len(kb.relations[kb.facts[i].relation].corpus))))
    return out
