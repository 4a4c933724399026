"""Made-up entity names, for worlds with more entities than the English word lists hold.

The word lists give 203 concrete nouns in 15 categories. Split by subject 80/10/10, that leaves
5 to 20 test facts per relation, so one fact moves a relation's test P@1 by 0.05 to 0.2. A
world with ``n_entities`` above 203 therefore adds nonce nouns ("blomtar", "fenrik"): one word
each, lowercase letters only, built from syllables, drawn from a generator seeded by the world's
seed. A name carries nothing about its category, so a model can learn a nonce entity's facts
only from the sentences that state them.

Every name and its plural are new surface forms: none is a word of the grammar (in any
inflection), a relation object or a word of a fact template, and none is another name's form.
A name never ends in a letter that makes English plurals irregular (s, x, z, y, h) or in "ed",
so its plural is the name plus "s" and a singular never looks like a plural or a participle.

Each new name joins the category that has the fewest entities at that moment (ties: the
categories' order in :data:`bertology.world.words.ENTITY_CATEGORIES`), so a large world's
categories are of nearly equal size and every relation's subjects grow with it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping

from bertology.world import words as W
from bertology.world.lexicon import BASE_ENTITIES, Lexicon, base_forms
from bertology.world.templates import SLOT_X, SLOT_Y, TEMPLATE_SPECS

# A syllable is onset + vowel + coda; a name is two or three of them. Inside a name a coda is
# one consonant at most, and a consonant cluster may not follow one, so no name stacks three
# consonants ("blomtar", not "blomtstar").
SIMPLE_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "t", "v", "w")
CLUSTER_ONSETS = ("bl", "br", "dr", "fl", "fr", "gl", "gr", "kl", "kr", "pl", "pr", "sk", "sl", "sn", "sp", "st", "tr")  # fmt: skip
VOWELS = ("a", "e", "i", "o", "u")
INNER_CODAS = ("", "", "", "n", "l", "r", "m")
FINAL_CODAS = ("", "", "n", "m", "l", "r", "k", "t", "p", "d", "g", "nd", "nt", "rk", "lt", "mp")
BAD_ENDINGS = ("s", "x", "z", "y", "h", "ed")
P_THREE_SYLLABLES = 0.2
P_VOWEL_START = 0.1
MIN_LENGTH, MAX_LENGTH = 4, 9


def nonce_plural(name: str) -> str:
    """The plural of a nonce name: always the name plus "s" (its ending is chosen so that
    :func:`bertology.world.lexicon.plural_of` agrees)."""
    return name + "s"


def _name(rng: random.Random) -> str:
    n = 3 if rng.random() < P_THREE_SYLLABLES else 2
    parts: list[str] = []
    coda = ""
    for i in range(n):
        if i == 0 and rng.random() < P_VOWEL_START:
            onset = ""
        elif coda:  # after a consonant, one more at most
            onset = rng.choice(SIMPLE_ONSETS)
        else:
            onset = rng.choice(SIMPLE_ONSETS + CLUSTER_ONSETS)
        coda = rng.choice(FINAL_CODAS if i == n - 1 else INNER_CODAS)
        parts.append(onset + rng.choice(VOWELS) + coda)
    return "".join(parts)


def nonce_names(n: int, rng: random.Random, taken: Iterable[str]) -> list[str]:
    """``n`` distinct names whose singular and plural are not in ``taken`` nor another name's."""
    seen = set(taken)
    names: list[str] = []
    while len(names) < n:
        name = _name(rng)
        plural = nonce_plural(name)
        if (
            not MIN_LENGTH <= len(name) <= MAX_LENGTH
            or name.endswith(BAD_ENDINGS)
            or {name, plural} & seen
        ):
            continue
        seen.update((name, plural))
        names.append(name)
    return names


def assign_categories(names: Iterable[str], sizes: Mapping[str, int]) -> dict[str, str]:
    """Each name to the category with the fewest entities so far (``sizes`` counts the
    existing ones; ties: the order of ``sizes``)."""
    size = dict(sizes)
    order = {c: i for i, c in enumerate(size)}
    out = {}
    for name in names:
        category = min(size, key=lambda c: (size[c], order[c]))
        out[name] = category
        size[category] += 1
    return out


def template_words() -> set[str]:
    """The fixed words of every fact template (probe and corpus), e.g. "kept", "belongs"."""
    words = set()
    for probe, corpus in TEMPLATE_SPECS.values():
        for spec in (probe, *corpus):
            words.update(
                t.split("/")[0] for t in spec.split() if not t.startswith((SLOT_X, SLOT_Y))
            )
    return words


def nonce_entities(seed: int, n: int, taken: Iterable[str] = ()) -> dict[str, str]:
    """``n`` nonce entities (name -> category) for the world of ``seed``. No name or plural is
    a form of the word lists' grammar words, a relation object, a template word or in
    ``taken``."""
    reserved = base_forms() | template_words() | set(taken)
    reserved.update(o for objs in W.OBJECTS.values() for o in objs)
    names = nonce_names(n, random.Random(f"{seed}:nonce"), reserved)
    sizes = {c: len(nouns) for c, (_, nouns) in W.ENTITY_CATEGORIES.items()}
    return assign_categories(names, sizes)


def world_lexicon(seed: int, zipf_exponent: float = 1.0, n_entities: int | None = None) -> Lexicon:
    """The lexicon of a world with ``n_entities`` entities: the word lists' alone up to their
    203 concrete nouns (None: all of them), with nonce nouns for the rest above that."""
    extra = (n_entities or 0) - BASE_ENTITIES
    return Lexicon(seed, zipf_exponent, nonce_entities(seed, extra) if extra > 0 else None)
