"""A probabilistic grammar that builds each sentence's dependency tree as it generates it.

The grammar, with the default probabilities of ``DEFAULT_RULES`` (every nonterminal chooses one
named expansion; the choices and their weights are data, overridable from the world config)::

    S   -> CLAUSE .                          clause             0.84
         | CLAUSE and CLAUSE .               clause_and_clause  0.10
         | CLAUSE , but CLAUSE .             clause_but_clause  0.06
    CLAUSE -> NP[n] VP[n]                    (subject-verb number agreement)
    NP[n] -> Det[n] ADJ N[n]                 noun               0.63
         | Det[n] ADJ N[n] PP                noun_pp            0.15   (nmod)
         | Det[n] ADJ N[n] that VP[n]        subject_relative   0.10   (acl:relcl)
         | Det[n] ADJ N[n] that NP[m] Vt[m]  object_relative    0.08   (acl:relcl)
         | Det ADJ N and Det ADJ N           np_and_np          0.04   (n = plural)
    VP[n] -> ADV Vi[n] OBL ADV               intransitive       0.35
         | ADV Vt[n] NP OBL ADV              transitive         0.55
         | VP[n] and VP[n]                   vp_and_vp          0.10
    ADJ -> ε | Adj | Adj Adj                 none one two       0.60 0.30 0.10
    OBL -> ε | PP                            none pp            0.75 0.25   (obl)
    ADV -> ε | Adv-before-verb | Adv-after   none before_verb after_verb
    PP  -> P NP                              (case)

Below ``max_depth`` levels of embedding, NP only expands to ``noun`` and VP never coordinates,
so sentences stay short. Words come from the Zipfian :class:`~bertology.world.lexicon.Lexicon`.
UD analysis: the relativizer ``that`` is a PRON, ``nsubj`` or ``obj`` of the relative clause's
verb; the second conjunct is ``conj`` of the first and the coordinator ``cc`` of the second.
"""

from __future__ import annotations

import random

from bertology.world.lexicon import (
    NUMBERS,
    PLUR,
    SING,
    Lexicon,
    WeightedSampler,
    indefinite_article,
)
from bertology.world.trees import Sentence

DEFAULT_RULES: dict[str, dict[str, float]] = {
    "S": {"clause": 0.84, "clause_and_clause": 0.10, "clause_but_clause": 0.06},
    "NP": {
        "noun": 0.63,
        "noun_pp": 0.15,
        "subject_relative": 0.10,
        "object_relative": 0.08,
        "np_and_np": 0.04,
    },
    "VP": {"intransitive": 0.35, "transitive": 0.55, "vp_and_vp": 0.10},
    "ADJ": {"none": 0.60, "one": 0.30, "two": 0.10},
    "OBL": {"none": 0.75, "pp": 0.25},
    "ADV": {"none": 0.86, "before_verb": 0.07, "after_verb": 0.07},
}
N_ADJECTIVES = {"none": 0, "one": 1, "two": 2}


def resolve_rules(overrides: dict[str, dict[str, float]] | None) -> dict[str, dict[str, float]]:
    """``DEFAULT_RULES`` with some weights replaced; the caller validates names and values."""
    rules = {nt: dict(expansions) for nt, expansions in DEFAULT_RULES.items()}
    for nt, expansions in (overrides or {}).items():
        rules[nt].update(expansions)
    return rules


class SentenceGenerator:
    """Generates sentences with gold trees from the grammar; all randomness comes from ``rng``."""

    def __init__(
        self,
        lexicon: Lexicon,
        rng: random.Random,
        rules: dict[str, dict[str, float]] | None = None,
        p_plural: float = 0.4,
        max_depth: int = 2,
    ):
        self.lex = lexicon
        self.rng = rng
        self.p_plural = p_plural
        self.max_depth = max_depth
        rules = resolve_rules(rules)
        self.choose = {nt: WeightedSampler(list(e), list(e.values())) for nt, e in rules.items()}
        vp = rules["VP"]
        # a coordinated VP's conjuncts, and a VP past max_depth, are transitive in this proportion
        self.p_transitive = vp["transitive"] / (vp["transitive"] + vp["intransitive"])

    # -- words ------------------------------------------------------------------------------

    def number(self) -> str:
        return PLUR if self.rng.random() < self.p_plural else SING

    def noun_lemma(self) -> str:
        return self.lex.noun(self.rng)

    def verb_lemma(self, transitive: bool) -> str:
        return (self.lex.transitive_verb if transitive else self.lex.intransitive_verb)(self.rng)

    def add_verb(self, s: Sentence, lemma: str, number: str, transitive: bool) -> int:
        pair = (self.lex.transitive if transitive else self.lex.intransitive)[lemma]
        return s.add(pair[NUMBERS.index(number)])

    # -- phrases ----------------------------------------------------------------------------

    def simple_np(
        self,
        s: Sentence,
        number: str,
        noun: str | None = None,
        n_adjectives: int | None = None,
        determiner: str | None = None,
    ) -> int:
        """Det ADJ* N, all agreeing in ``number``; returns the noun's position."""
        rng, lex = self.rng, self.lex
        if n_adjectives is None:
            n_adjectives = N_ADJECTIVES[self.choose["ADJ"](rng)]
        adjectives: list[str] = []
        while len(adjectives) < n_adjectives:
            a = lex.adjective(rng)
            if a not in adjectives:
                adjectives.append(a)
        noun = noun or lex.noun(rng)
        det = determiner or lex.determiner[number](rng)
        if det == "a":
            det = indefinite_article(adjectives[0] if adjectives else noun)
        d = s.add(lex.determiners[det])
        first_adj = len(s)
        for a in adjectives:
            s.add(lex.adjectives[a])
        head = s.add(lex.nouns[noun][NUMBERS.index(number)])
        s.attach(d, head, "det")
        for i in range(first_adj, head):
            s.attach(i, head, "amod")
        return head

    def noun_phrase(self, s: Sentence, depth: int) -> tuple[int, str]:
        """An NP of the grammar; returns (head position, grammatical number)."""
        kind = self.choose["NP"](self.rng) if depth < self.max_depth else "noun"
        if kind == "np_and_np":
            first = self.simple_np(s, self.number())
            cc = s.add(self.lex.coordinators["and"])
            second = self.simple_np(s, self.number())
            s.attach(cc, second, "cc")
            s.attach(second, first, "conj")
            return first, PLUR
        number = self.number()
        head = self.simple_np(s, number)
        if kind == "noun_pp":
            s.attach(self.prep_phrase(s, depth + 1), head, "nmod")
        elif kind == "subject_relative":
            self.subject_relative(s, head, number, depth + 1)
        elif kind == "object_relative":
            self.object_relative(s, head, depth + 1)
        return head, number

    def prep_phrase(self, s: Sentence, depth: int, number: str | None = None) -> int:
        """P NP; returns the NP's head (the PP's head in UD), which the caller attaches."""
        p = s.add(self.lex.prepositions[self.lex.preposition(self.rng)])
        if number is None:
            head, _ = self.noun_phrase(s, depth)
        else:
            head = self.simple_np(s, number)
        s.attach(p, head, "case")
        return head

    def subject_relative(self, s: Sentence, antecedent: int, number: str, depth: int) -> int:
        """that VP[n]: the relative clause's verb agrees with the antecedent noun."""
        that = s.add(self.lex.relativizer)
        verb = self.verb_phrase(s, number, depth)
        s.attach(that, verb, "nsubj")
        s.attach(verb, antecedent, "acl:relcl")
        return verb

    def object_relative(self, s: Sentence, antecedent: int, depth: int) -> int:
        """that NP[m] Vt[m]: the verb agrees with its own subject, not the antecedent."""
        that = s.add(self.lex.relativizer)
        subject, number = self.noun_phrase(s, depth)
        verb = self.add_verb(s, self.verb_lemma(True), number, True)
        s.attach(that, verb, "obj")
        s.attach(subject, verb, "nsubj")
        s.attach(verb, antecedent, "acl:relcl")
        return verb

    def simple_vp(self, s: Sentence, number: str, depth: int, transitive: bool) -> int:
        """ADV V (NP) (PP) ADV; returns the verb's position."""
        rng, lex = self.rng, self.lex
        adverb = self.choose["ADV"](rng)
        before = s.add(lex.adverbs[lex.pre_adverb(rng)]) if adverb == "before_verb" else None
        verb = self.add_verb(s, self.verb_lemma(transitive), number, transitive)
        if before is not None:
            s.attach(before, verb, "advmod")
        if transitive:
            obj, _ = self.noun_phrase(s, depth + 1)
            s.attach(obj, verb, "obj")
        if self.choose["OBL"](rng) == "pp":
            s.attach(self.prep_phrase(s, depth + 1), verb, "obl")
        if adverb == "after_verb":
            s.add(lex.adverbs[lex.post_adverb(rng)], verb, "advmod")
        return verb

    def verb_phrase(self, s: Sentence, number: str, depth: int) -> int:
        """A VP of the grammar agreeing in ``number``; returns the (first) verb's position."""
        rng = self.rng
        kind = self.choose["VP"](rng)
        if kind == "vp_and_vp" and depth >= self.max_depth:
            kind = "transitive" if rng.random() < self.p_transitive else "intransitive"
        if kind != "vp_and_vp":
            return self.simple_vp(s, number, depth, kind == "transitive")
        first = self.simple_vp(s, number, depth, rng.random() < self.p_transitive)
        cc = s.add(self.lex.coordinators["and"])
        second = self.simple_vp(s, number, depth, rng.random() < self.p_transitive)
        s.attach(cc, second, "cc")
        s.attach(second, first, "conj")
        return first

    def clause(self, s: Sentence) -> int:
        """NP[n] VP[n]; returns the verb's position."""
        subject, number = self.noun_phrase(s, 0)
        verb = self.verb_phrase(s, number, 0)
        s.attach(subject, verb, "nsubj")
        return verb

    def sentence(self) -> Sentence:
        """One sentence of the grammar, with its gold dependency tree."""
        s = Sentence()
        kind = self.choose["S"](self.rng)
        root = self.clause(s)
        if kind != "clause":
            comma = s.add(self.lex.comma) if kind == "clause_but_clause" else None
            cc = s.add(self.lex.coordinators["but" if comma is not None else "and"])
            second = self.clause(s)
            s.attach(cc, second, "cc")
            if comma is not None:
                s.attach(comma, second, "punct")
            s.attach(second, root, "conj")
        s.add(self.lex.period, root, "punct")
        return s
