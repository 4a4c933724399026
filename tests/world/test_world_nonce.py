"""Worlds with more entities than the word lists hold: made-up names that are new words of the
world (one analysis per form, one token each), categories that grow alike, and world.json's
report of the subject split's test sizes and the fewest mentions of any fact."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from bertology.data.facts import read_facts, split_by_subject, split_sizes_by_relation
from bertology.world import WorldConfig, generate_world
from bertology.world import words as W
from bertology.world.lexicon import BASE_ENTITIES, Lexicon, base_forms, plural_of
from bertology.world.nonce import (
    assign_categories,
    nonce_entities,
    nonce_names,
    template_words,
    world_lexicon,
)

REAL_NOUNS = {n for _, nouns in W.ENTITY_CATEGORIES.values() for n in nouns}
OBJECT_WORDS = {o for objs in W.OBJECTS.values() for o in objs}


def test_names_are_new_lowercase_words_with_regular_plurals() -> None:
    entities = nonce_entities(0, 3000, base_forms())
    names = list(entities)
    assert len(names) == len(set(names)) == 3000
    assert all(n.isalpha() and n.islower() and 4 <= len(n) <= 9 for n in names)
    forms = set(names) | {plural_of(n) for n in names}
    assert len(forms) == 6000  # no name is another's plural
    assert all(plural_of(n) == n + "s" for n in names)
    taken = base_forms() | OBJECT_WORDS | template_words()
    assert not forms & taken
    # spot checks written apart from base_forms: inflected grammar words and template words
    assert not forms & {"chases", "carries", "mice", "wolves", "kept", "belongs", "material"}


def test_names_avoid_what_they_are_told_to() -> None:
    """A name (or its plural) that is taken is never drawn: with every name of a first draw
    taken, a second draw from the same generator state gives none of them."""
    first = nonce_names(200, random.Random(5), set())
    second = nonce_names(200, random.Random(5), set(first))
    assert not set(second) & set(first)
    plurals_taken = nonce_names(200, random.Random(5), {n + "s" for n in first})
    assert not set(plurals_taken) & set(first)


def test_grammar_words_objects_and_template_words_are_never_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Drawn in turn: a grammar noun, a relation object, a template word, a plural-only clash
    and a name ending in "ed"; only the last draw, a new word, becomes a name."""
    from bertology.world import nonce

    draws = iter(["dog", "kitchen", "kept", "material", "vorp", "blomted", "blomtar"])
    monkeypatch.setattr(nonce, "_name", lambda rng: next(draws))
    assert list(nonce.nonce_entities(0, 1, base_forms() | {"vorps"})) == ["blomtar"]


def test_names_follow_the_seed() -> None:
    assert nonce_entities(0, 50, set()) == nonce_entities(0, 50, set())
    assert list(nonce_entities(0, 50, set())) != list(nonce_entities(1, 50, set()))


def test_each_name_joins_the_smallest_category() -> None:
    sizes = {"a": 3, "b": 1, "c": 1}
    got = assign_categories([f"n{i}" for i in range(5)], sizes)
    # b and c (1 each) fill first, b before c on the tie, until all reach 3 ... then a
    assert list(got.values()) == ["b", "c", "b", "c", "a"]
    entities = nonce_entities(0, 5000 - BASE_ENTITIES, set())
    final = Counter(entities.values())
    for cat, (_, nouns) in W.ENTITY_CATEGORIES.items():
        final[cat] += len(nouns)
    assert max(final.values()) - min(final.values()) <= 1 and sum(final.values()) == 5000


def test_lexicon_with_nonce_nouns_keeps_one_analysis_per_form() -> None:
    lex = world_lexicon(0, n_entities=1000)  # Lexicon() raises if a form had two analyses
    assert len(lex.entity_category) == 1000 and len(lex.nonce) == 1000 - BASE_ENTITIES
    forms = [w.form for w in lex.all_words()]
    assert len(forms) == len(set(forms))
    assert set(lex.nonce) <= set(lex.noun.items)  # nouns of the grammar like any other


@pytest.mark.parametrize("n", [None, 40, BASE_ENTITIES])
def test_up_to_the_word_lists_size_the_lexicon_is_unchanged(n: int | None) -> None:
    lex = world_lexicon(0, n_entities=n)
    assert lex.nonce == [] and set(lex.entity_category) == REAL_NOUNS
    assert lex.noun.items == Lexicon(0).noun.items


@pytest.fixture(scope="module")
def nonce_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("nonce") / "w"
    config = WorldConfig(
        tokens=60_000, n_entities=400, min_fact_count=3, heldout_trees=50, pairs_per_paradigm=20
    )
    generate_world(out, config)
    return out


def test_nonce_world_states_every_fact_at_least_the_minimum(nonce_world: Path) -> None:
    world = json.loads((nonce_world / "world.json").read_text())
    knowledge = world["knowledge"]
    assert knowledge["entities"] == 400 and knowledge["nonce_entities"] == 400 - BASE_ENTITIES
    assert sum(knowledge["entities_per_category"].values()) == 400
    counts = [f["count"] for f in world["facts"]]
    assert knowledge["min_mentions_per_fact"] == min(counts) >= 3
    subjects = {f["subject"] for f in world["facts"]}
    assert len(subjects - REAL_NOUNS) == 400 - BASE_ENTITIES
    words = Counter((nonce_world / "corpus" / "train.txt").read_text().split())
    assert all(words[s] >= 3 for s in subjects)


def test_every_word_of_a_nonce_world_is_one_token_of_a_wordpiece_vocabulary(
    nonce_world: Path,
) -> None:
    """The made-up names tokenise as words of the world: a WordPiece vocabulary trained on
    the corpus, with room for every word, keeps each of them whole."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    lines = (nonce_world / "corpus" / "train.txt").read_text().splitlines()
    words = {w for line in lines for w in line.split()}
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    trainer = trainers.WordPieceTrainer(
        vocab_size=2 * len(words) + 200, special_tokens=specials, show_progress=False
    )
    tok.train_from_iterator(lines, trainer)
    assert [w for w in sorted(words) if len(tok.encode(w).tokens) != 1] == []


def test_world_json_reports_the_subject_split_of_the_facts_file(nonce_world: Path) -> None:
    """The counts are those of ``split_by_subject`` (prune's default split) on facts.jsonl."""
    knowledge = json.loads((nonce_world / "world.json").read_text())["knowledge"]
    factset = read_facts(nonce_world / "facts.jsonl", nonce_world / "relations.jsonl")
    sizes = split_sizes_by_relation(split_by_subject(factset.facts))
    reported = {r: m["subject_split"] for r, m in knowledge["per_relation"].items()}
    assert reported == sizes
    order = knowledge["subject_split"]["relations_by_test_size"]
    tests = [sizes[r]["test"] for r in order]
    assert tests == sorted(tests, reverse=True) and sorted(order) == sorted(sizes)
    assert knowledge["subject_split"]["ratios"] == [0.8, 0.1, 0.1]


def test_min_mentions_is_counted_not_copied_from_the_floor(tmp_path: Path) -> None:
    """With few facts and a floor of 1, every fact is stated more often than the floor; the
    reported minimum is the corpus's, not ``min_fact_count``."""
    config = WorldConfig(tokens=20_000, n_entities=10, heldout_trees=0, pairs_per_paradigm=0)
    world = generate_world(tmp_path / "w", config)
    counts = [f["count"] for f in world["facts"]]
    assert world["knowledge"]["min_mentions_per_fact"] == min(counts) > config.min_fact_count
