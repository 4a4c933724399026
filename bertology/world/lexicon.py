"""The lexicon: inflected words with their CoNLL-U analyses, and Zipfian samplers over them.

Each word class (nouns, transitive verbs, adjectives, ...) gets a Zipfian distribution over a
seeded permutation of its words, so every class has a few frequent words and a long tail, and
two seeds give two different frequency orders. Sampling is one ``random()`` and one bisection.

A lexicon may be given made-up entity nouns besides the word lists' (see
:mod:`bertology.world.nonce`); they are nouns like any other, in grammar sentences too.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Generic, TypeVar

from bertology.world import words as W

SING, PLUR = "Sing", "Plur"
NUMBERS = (SING, PLUR)

T = TypeVar("T")


@dataclass(frozen=True)
class Word:
    """One surface form with its analysis; ``columns`` is CoNLL-U columns 2-6 pre-joined."""

    form: str
    lemma: str
    upos: str
    feats: str = "_"
    columns: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "columns", f"{self.form}\t{self.lemma}\t{self.upos}\t_\t{self.feats}"
        )


def plural_of(noun: str) -> str:
    """English plural: the irregular table, else -es after sibilants, -ies after consonant+y."""
    if noun in W.IRREGULAR_PLURALS:
        return W.IRREGULAR_PLURALS[noun]
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def third_singular_of(verb: str) -> str:
    """Present-tense third person singular: -es after sibilants and o, -ies after consonant+y."""
    if verb.endswith(("s", "x", "z", "ch", "sh", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def indefinite_article(next_word: str) -> str:
    """``an`` before a vowel letter (the lexicon has no "hour" or "unicorn"), else ``a``."""
    return "an" if next_word[0] in "aeiou" else "a"


class WeightedSampler(Generic[T]):
    """Draws items in proportion to their weights: one ``random()`` and one bisection."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]):
        self.items: list[T] = list(items)
        self.weights = list(weights)
        self._cum = list(accumulate(self.weights))
        self._total = self._cum[-1]

    @classmethod
    def zipf(
        cls, items: Sequence[T], exponent: float, order_rng: random.Random
    ) -> WeightedSampler[T]:
        """Weight 1 / rank**exponent, over a permutation of ``items`` drawn from ``order_rng``."""
        ranked = list(items)
        order_rng.shuffle(ranked)
        return cls(ranked, [1.0 / rank**exponent for rank in range(1, len(ranked) + 1)])

    def __call__(self, rng: random.Random) -> T:
        return self.items[bisect(self._cum, rng.random() * self._total)]


def _noun_pair(lemma: str) -> tuple[Word, Word]:
    return (
        Word(lemma, lemma, "NOUN", "Number=Sing"),
        Word(plural_of(lemma), lemma, "NOUN", "Number=Plur"),
    )


def _verb_pair(lemma: str) -> tuple[Word, Word]:
    fin = "Mood=Ind|Number={}|Person=3|Tense=Pres|VerbForm=Fin"
    return (
        Word(third_singular_of(lemma), lemma, "VERB", fin.format(SING)),
        Word(lemma, lemma, "VERB", fin.format(PLUR)),
    )


class Lexicon:
    """All words of the grammar with Zipfian samplers; pairs are indexed (singular, plural)."""

    def __init__(
        self, seed: int, zipf_exponent: float = 1.0, nonce: Mapping[str, str] | None = None
    ):
        """``nonce``: made-up entity nouns (name -> category) added to the word lists' concrete
        nouns, as :func:`bertology.world.nonce.world_lexicon` draws them."""
        rng = random.Random(f"{seed}:lexicon")
        z = zipf_exponent
        self.entity_category = {n: c for c, (_, ns) in W.ENTITY_CATEGORIES.items() for n in ns}
        self.nonce: list[str] = list(nonce or {})
        self.entity_category.update(nonce or {})
        noun_lemmas = list(self.entity_category) + W.OTHER_NOUNS
        self.nouns = {n: _noun_pair(n) for n in noun_lemmas}
        self.transitive = {v: _verb_pair(v) for v in W.TRANSITIVE_VERBS}
        self.intransitive = {v: _verb_pair(v) for v in W.INTRANSITIVE_VERBS}
        self.adjectives = {a: Word(a, a, "ADJ", "Degree=Pos") for a in W.ADJECTIVES}
        self.adverbs = {a: Word(a, a, "ADV") for a in W.PRE_ADVERBS + W.POST_ADVERBS}
        self.prepositions = {p: Word(p, p, "ADP") for p in W.PREPOSITIONS}
        self.determiners = {
            d: Word(d, "a" if d == "an" else d, "DET", f) for d, f in W.DETERMINER_FEATS.items()
        }
        self.coordinators = {c: Word(c, c, "CCONJ") for c in W.COORDINATORS}
        self.relativizer = Word(W.RELATIVIZER, W.RELATIVIZER, "PRON", "PronType=Rel")
        self.period = Word(".", ".", "PUNCT")
        self.comma = Word(",", ",", "PUNCT")

        zipf = WeightedSampler.zipf
        self.noun = zipf(noun_lemmas, z, rng)
        self.transitive_verb = zipf(list(self.transitive), z, rng)
        self.intransitive_verb = zipf(list(self.intransitive), z, rng)
        self.adjective = zipf(list(self.adjectives), z, rng)
        self.pre_adverb = zipf(W.PRE_ADVERBS, z, rng)
        self.post_adverb = zipf(W.POST_ADVERBS, z, rng)
        self.preposition = zipf(W.PREPOSITIONS, z, rng)
        self.determiner = {
            number: WeightedSampler(
                [d for d, n in W.DETERMINER_WEIGHTS.items() if _fits(d, number)],
                [w for d, w in W.DETERMINER_WEIGHTS.items() if _fits(d, number)],
            )
            for number in NUMBERS
        }
        self.check_forms_unique()

    def all_words(self) -> list[Word]:
        """Every grammar word (both numbers of nouns and verbs), in a fixed order."""
        out: list[Word] = []
        for pairs in (self.nouns, self.transitive, self.intransitive):
            for sg, pl in pairs.values():
                out += [sg, pl]
        for table in (
            self.adjectives,
            self.adverbs,
            self.prepositions,
            self.determiners,
            self.coordinators,
        ):
            out += table.values()
        return out + [self.relativizer, self.period, self.comma]

    def check_forms_unique(self) -> None:
        """Fail if one surface form has two analyses (relation objects included)."""
        seen: dict[str, str] = {}
        entries = [(w.form, f"{w.upos}:{w.lemma}:{w.feats}") for w in self.all_words()]
        entries += [(o, f"object:{r}") for r, objs in W.OBJECTS.items() for o in objs]
        for form, analysis in entries:
            if seen.setdefault(form, analysis) != analysis:
                raise ValueError(f"word form {form!r} is both {seen[form]} and {analysis}")


def base_forms() -> set[str]:
    """Every surface form of the word lists' grammar words (both numbers of nouns and verbs)."""
    forms = {
        f
        for n in list(W.OTHER_NOUNS) + [n for _, ns in W.ENTITY_CATEGORIES.values() for n in ns]
        for f in (n, plural_of(n))
    }
    forms |= {
        f for v in W.TRANSITIVE_VERBS + W.INTRANSITIVE_VERBS for f in (v, third_singular_of(v))
    }
    forms |= set(W.ADJECTIVES + W.PRE_ADVERBS + W.POST_ADVERBS + W.PREPOSITIONS + W.COORDINATORS)
    return forms | set(W.DETERMINERS) | {W.RELATIVIZER}


BASE_ENTITIES = sum(len(nouns) for _, nouns in W.ENTITY_CATEGORIES.values())
"""Entities the word lists hold (203); a world with more gets nonce nouns."""


def _fits(determiner: str, number: str) -> bool:
    """Whether ``determiner`` can go with a noun of ``number`` (``a``/``an`` stand for both)."""
    if determiner == "an":
        return False  # drawn as "a", then made "an" before a vowel
    need = W.DETERMINERS[determiner]
    return need is None or need == number
