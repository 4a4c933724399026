"""The lexicon: real English inflection, one analysis per form, Zipfian frequencies."""

from __future__ import annotations

import random
from collections import Counter

from bertology.world import words as W
from bertology.world.lexicon import (
    Lexicon,
    WeightedSampler,
    indefinite_article,
    plural_of,
    third_singular_of,
)


def test_inflection_follows_english_spelling() -> None:
    assert [plural_of(n) for n in ["dog", "box", "bus", "peach", "cherry", "donkey", "wolf", "child"]] == [
        "dogs", "boxes", "buses", "peaches", "cherries", "donkeys", "wolves", "children",
    ]  # fmt: skip
    assert [third_singular_of(v) for v in ["chase", "fix", "catch", "carry", "obey", "push"]] == [
        "chases", "fixes", "catches", "carries", "obeys", "pushes",
    ]  # fmt: skip
    assert indefinite_article("owl") == "an" and indefinite_article("dog") == "a"


def test_every_form_has_one_analysis_and_noun_and_verb_numbers_differ() -> None:
    lex = Lexicon(0)  # the constructor raises if a form had two analyses
    forms = [w.form for w in lex.all_words()]
    assert len(forms) == len(set(forms))
    for table in (lex.nouns, lex.transitive, lex.intransitive):
        assert all(sg.form != pl.form for sg, pl in table.values())


def test_lexicon_size_is_hundreds_of_real_words_with_several_hundred_nouns() -> None:
    lex = Lexicon(0)
    assert len(lex.nouns) >= 250 and len(lex.transitive) >= 50 and len(lex.intransitive) >= 30
    assert len(lex.adjectives) >= 60
    assert all(w.form.isalpha() and w.form.islower() for w in lex.all_words() if w.upos != "PUNCT")
    objects = [o for objs in W.OBJECTS.values() for o in objs]
    assert len(objects) == len(set(objects)) >= 200


def test_zipf_sampler_follows_one_over_rank() -> None:
    sampler = WeightedSampler.zipf(list("abcdefghij"), exponent=1.0, order_rng=random.Random(0))
    rng = random.Random(1)
    counts = Counter(sampler(rng) for _ in range(100_000))
    first, second, fourth = (counts[sampler.items[i]] for i in (0, 1, 3))
    assert abs(first / second - 2) < 0.1 and abs(first / fourth - 4) < 0.3


def test_seeds_give_different_frequency_orders() -> None:
    assert Lexicon(0).noun.items != Lexicon(1).noun.items
    assert Lexicon(0).noun.items == Lexicon(0).noun.items
