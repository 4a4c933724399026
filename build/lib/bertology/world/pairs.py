"""Minimal pairs in BLiMP's format, generated from the world's grammar and lexicon.

Each paradigm builds a grammatical sentence (with its gold tree) from the grammar's own phrase
builders and derives the ungrammatical one by one change: a verb or noun in the other number, a
verb of the other valency, or two words in the wrong order. Subjects alternate between singular
and plural, so a model cannot score well by preferring one number, and no good sentence is a
sentence of the training corpus.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from bertology.world.grammar import SentenceGenerator
from bertology.world.lexicon import NUMBERS, PLUR, SING, Lexicon
from bertology.world.trees import Sentence

DEMONSTRATIVES = {SING: ["this", "every", "each"], PLUR: ["these", "those"]}
NON_ARTICLES = {
    SING: ["the", "this", "every", "each", "no"],
    PLUR: ["the", "these", "those", "some", "all", "no"],
}


def other(number: str) -> str:
    return PLUR if number == SING else SING


@dataclass(frozen=True)
class MinimalPair:
    """A good sentence with its tree and the bad sentence's words."""

    uid: str
    good: Sentence
    bad: list[str]

    def to_json(self, pair_id: int) -> dict[str, object]:
        p = PARADIGMS[self.uid]
        return {
            "sentence_good": self.good.text,
            "sentence_bad": " ".join(self.bad),
            "UID": self.uid,
            "field": p.field,
            "linguistics_term": p.term,
            "pair_id": pair_id,
        }


class PairBuilder:
    """Builds the sentences of every paradigm with a :class:`SentenceGenerator`'s phrases."""

    def __init__(
        self,
        lexicon: Lexicon,
        rng: random.Random,
        p_plural: float = 0.4,
        rules: dict[str, dict[str, float]] | None = None,
    ):
        self.lex = lexicon
        self.rng = rng
        self.g = SentenceGenerator(lexicon, rng, rules, p_plural, max_depth=0)

    def np(
        self,
        s: Sentence,
        number: str,
        determiners: list[str] | None = None,
        n_adjectives: int | None = None,
    ) -> int:
        det = self.rng.choice(determiners) if determiners else None
        return self.g.simple_np(s, number, determiner=det, n_adjectives=n_adjectives)

    def verb(self, s: Sentence, number: str, transitive: bool) -> int:
        return self.g.add_verb(s, self.g.verb_lemma(transitive), number, transitive)

    def end(self, s: Sentence, root: int) -> Sentence:
        s.add(self.lex.period, root, "punct")
        return s

    def flip_number(self, s: Sentence, i: int) -> list[str]:
        """The sentence's words with word ``i`` (a noun or verb) in the other number."""
        w = s.words[i]
        table = (
            self.lex.nouns if w.upos == "NOUN" else {**self.lex.transitive, **self.lex.intransitive}
        )
        pair = table[w.lemma]
        forms = s.forms
        forms[i] = pair[1 - pair.index(w)].form
        return forms

    def swap_valency(self, s: Sentence, i: int, to_transitive: bool) -> list[str]:
        """The sentence's words with verb ``i`` replaced by one of the other valency."""
        w = s.words[i]
        number = (self.lex.intransitive if to_transitive else self.lex.transitive)[w.lemma].index(w)
        table = self.lex.transitive if to_transitive else self.lex.intransitive
        forms = s.forms
        forms[i] = table[self.g.verb_lemma(to_transitive)][number].form
        return forms

    # -- paradigms: each returns (good sentence, bad words) for a subject of ``number`` --------

    def agreement_simple(self, n: str) -> tuple[Sentence, list[str]]:
        s = Sentence()
        subj = self.np(s, n)
        transitive = self.rng.random() < 0.5
        v = self.verb(s, n, transitive)
        s.attach(subj, v, "nsubj")
        if transitive:
            s.attach(self.np(s, self.g.number()), v, "obj")
        return self.end(s, v), self.flip_number(s, v)

    def agreement_across_pp(self, n: str) -> tuple[Sentence, list[str]]:
        s = Sentence()
        subj = self.np(s, n)
        s.attach(self.g.prep_phrase(s, 0, number=other(n)), subj, "nmod")
        v = self.verb(s, n, False)
        s.attach(subj, v, "nsubj")
        return self.end(s, v), self.flip_number(s, v)

    def agreement_across_subject_relative(self, n: str) -> tuple[Sentence, list[str]]:
        s = Sentence()
        subj = self.np(s, n)
        that = s.add(self.lex.relativizer)
        rv = self.verb(s, n, True)
        s.attach(that, rv, "nsubj")
        s.attach(self.np(s, other(n)), rv, "obj")
        s.attach(rv, subj, "acl:relcl")
        v = self.verb(s, n, False)
        s.attach(subj, v, "nsubj")
        return self.end(s, v), self.flip_number(s, v)

    def agreement_across_object_relative(self, n: str) -> tuple[Sentence, list[str]]:
        s = Sentence()
        subj = self.np(s, n)
        that = s.add(self.lex.relativizer)
        inner = self.np(s, other(n))
        rv = self.verb(s, other(n), True)
        s.attach(that, rv, "obj")
        s.attach(inner, rv, "nsubj")
        s.attach(rv, subj, "acl:relcl")
        v = self.verb(s, n, False)
        s.attach(subj, v, "nsubj")
        return self.end(s, v), self.flip_number(s, v)

    def determiner_noun(self, n: str) -> tuple[Sentence, list[str]]:
        """The object's noun changes number; its demonstrative or quantifier does not."""
        s = Sentence()
        m = self.g.number()
        subj = self.np(s, m)
        v = self.verb(s, m, True)
        s.attach(subj, v, "nsubj")
        obj = self.np(s, n, DEMONSTRATIVES[n])
        s.attach(obj, v, "obj")
        return self.end(s, v), self.flip_number(s, obj)

    def transitive(self, n: str) -> tuple[Sentence, list[str]]:
        """Good: a transitive verb with its object. Bad: an intransitive verb with that object."""
        s = Sentence()
        subj = self.np(s, n)
        v = self.verb(s, n, True)
        s.attach(subj, v, "nsubj")
        s.attach(self.np(s, self.g.number()), v, "obj")
        return self.end(s, v), self.swap_valency(s, v, to_transitive=False)

    def intransitive(self, n: str) -> tuple[Sentence, list[str]]:
        """Good: an intransitive verb. Bad: a transitive verb without its object."""
        s = Sentence()
        subj = self.np(s, n)
        v = self.verb(s, n, False)
        s.attach(subj, v, "nsubj")
        if self.rng.random() < 0.3:
            s.attach(self.g.prep_phrase(s, 0, number=self.g.number()), v, "obl")
        return self.end(s, v), self.swap_valency(s, v, to_transitive=True)

    def verb_object_order(self, n: str) -> tuple[Sentence, list[str]]:
        """Bad: the verb after its object (SOV)."""
        s = Sentence()
        subj = self.np(s, n)
        v = self.verb(s, n, True)
        s.attach(subj, v, "nsubj")
        obj = self.np(s, self.g.number())
        s.attach(obj, v, "obj")
        self.end(s, v)
        forms = s.forms
        bad = forms[:v] + forms[v + 1 : obj + 1] + [forms[v]] + forms[obj + 1 :]
        return s, bad

    def adjective_noun_order(self, n: str) -> tuple[Sentence, list[str]]:
        """Bad: the subject's adjective after its noun (no a/an, which would give it away)."""
        s = Sentence()
        subj = self.np(s, n, NON_ARTICLES[n], n_adjectives=1)
        transitive = self.rng.random() < 0.5
        v = self.verb(s, n, transitive)
        s.attach(subj, v, "nsubj")
        if transitive:
            s.attach(self.np(s, self.g.number()), v, "obj")
        self.end(s, v)
        forms = s.forms
        forms[subj - 1], forms[subj] = forms[subj], forms[subj - 1]
        return s, forms


@dataclass(frozen=True)
class Paradigm:
    uid: str
    field: str
    term: str
    build: Callable[[PairBuilder, str], tuple[Sentence, list[str]]]


PARADIGMS: dict[str, Paradigm] = {
    p.uid: p
    for p in [
        Paradigm(
            "subject_verb_agreement_simple",
            "morphology",
            "subject_verb_agreement",
            PairBuilder.agreement_simple,
        ),
        Paradigm(
            "subject_verb_agreement_across_pp",
            "morphology",
            "subject_verb_agreement",
            PairBuilder.agreement_across_pp,
        ),
        Paradigm(
            "subject_verb_agreement_across_subject_relative",
            "morphology",
            "subject_verb_agreement",
            PairBuilder.agreement_across_subject_relative,
        ),
        Paradigm(
            "subject_verb_agreement_across_object_relative",
            "morphology",
            "subject_verb_agreement",
            PairBuilder.agreement_across_object_relative,
        ),
        Paradigm(
            "determiner_noun_agreement",
            "morphology",
            "determiner_noun_agreement",
            PairBuilder.determiner_noun,
        ),
        Paradigm("transitive", "syntax", "argument_structure", PairBuilder.transitive),
        Paradigm("intransitive", "syntax", "argument_structure", PairBuilder.intransitive),
        Paradigm("word_order_verb_object", "syntax", "word_order", PairBuilder.verb_object_order),
        Paradigm(
            "word_order_adjective_noun", "syntax", "word_order", PairBuilder.adjective_noun_order
        ),
    ]
}


def generate_minimal_pairs(
    lexicon: Lexicon,
    seed: int,
    n_per_paradigm: int,
    p_plural: float = 0.4,
    rules: dict[str, dict[str, float]] | None = None,
    exclude: set[str] | None = None,
) -> dict[str, list[MinimalPair]]:
    """``n_per_paradigm`` pairs for every paradigm; good sentences are distinct within one.

    ``rules`` (the grammar's weights) only set how many adjectives a noun phrase gets; each
    paradigm fixes its own structure. Good sentences in ``exclude`` (the training corpus) are
    skipped, so a model is scored on sentences it has not seen.
    """
    exclude = exclude or set()
    out: dict[str, list[MinimalPair]] = {}
    for uid, paradigm in PARADIGMS.items():
        builder = PairBuilder(lexicon, random.Random(f"{seed}:pairs:{uid}"), p_plural, rules)
        pairs: list[MinimalPair] = []
        seen: set[str] = set()
        attempts = 0
        while len(pairs) < n_per_paradigm:
            attempts += 1
            if attempts > 100 * (n_per_paradigm + 10):
                raise RuntimeError(f"cannot make {n_per_paradigm} distinct pairs for {uid}")
            good, bad = paradigm.build(builder, NUMBERS[len(pairs) % 2])
            if good.text in seen or good.text in exclude or good.forms == bad:
                continue
            seen.add(good.text)
            pairs.append(MinimalPair(uid, good, bad))
        out[uid] = pairs
    return out
