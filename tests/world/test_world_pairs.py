"""Minimal pairs: BLiMP format, and each bad sentence breaks exactly one rule its good one keeps."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bertology.io import read_jsonl
from bertology.world.lexicon import Lexicon
from bertology.world.pairs import PARADIGMS, generate_minimal_pairs

AGREEMENT = [uid for uid, p in PARADIGMS.items() if p.term.endswith("agreement")]
ARGUMENT_STRUCTURE = ["transitive", "intransitive"]
WORD_ORDER = ["word_order_verb_object", "word_order_adjective_noun"]
BLIMP_KEYS = {"sentence_good", "sentence_bad", "UID", "field", "linguistics_term", "pair_id"}


@pytest.fixture(scope="module")
def pairs(world_dir: Path) -> dict:
    """The same pairs as the small world's files, with the good sentences' trees."""
    train = set((world_dir / "corpus" / "train.txt").read_text(encoding="utf-8").splitlines())
    return generate_minimal_pairs(Lexicon(0), seed=0, n_per_paradigm=200, exclude=train)


def tree(sentence) -> tuple[list[int], list[str], list[str]]:
    return [h + 1 for h in sentence.heads], sentence.deprels, [w.upos for w in sentence.words]


def test_files_are_blimp_jsonl_with_200_distinct_pairs_per_paradigm(
    world_dir: Path, pairs: dict
) -> None:
    train = set((world_dir / "corpus" / "train.txt").read_text(encoding="utf-8").splitlines())
    files = sorted(p.stem for p in (world_dir / "minimal_pairs").glob("*.jsonl"))
    assert files == sorted(PARADIGMS) and len(files) >= 6
    for uid in files:
        rows = [row for _, row in read_jsonl(world_dir / "minimal_pairs" / f"{uid}.jsonl")]
        assert len(rows) == 200
        assert all(set(r) == BLIMP_KEYS and r["UID"] == uid for r in rows)
        assert [r["pair_id"] for r in rows] == list(range(200))
        assert len({r["sentence_good"] for r in rows}) == 200
        assert not {r["sentence_good"] for r in rows} & train
        assert all(r["sentence_good"] != r["sentence_bad"] for r in rows)
        assert all(
            r["sentence_good"].endswith(" .") and r["sentence_bad"].endswith(" .") for r in rows
        )
        assert [(r["sentence_good"], r["sentence_bad"]) for r in rows] == [
            (p.good.text, " ".join(p.bad)) for p in pairs[uid]
        ]


@pytest.mark.parametrize("uid", AGREEMENT)
def test_agreement_holds_in_good_and_is_broken_exactly_once_in_bad(
    pairs: dict, checks, uid: str
) -> None:
    for p in pairs[uid]:
        heads, deprels, upos = tree(p.good)
        assert checks.agreement_violations(p.good.forms, heads, deprels, upos) == []
        assert len(p.bad) == len(p.good.forms)
        assert sum(a != b for a, b in zip(p.good.forms, p.bad, strict=True)) == 1
        assert len(checks.agreement_violations(p.bad, heads, deprels, upos)) == 1, p.bad


@pytest.mark.parametrize("uid", [u for u in AGREEMENT if "across" in u])
def test_attractors_have_the_other_number_than_the_subject(pairs: dict, checks, uid: str) -> None:
    for p in pairs[uid]:
        heads, deprels, _ = tree(p.good)
        root = heads.index(0) + 1
        subject = next(
            i
            for i, (h, r) in enumerate(zip(heads, deprels, strict=True), 1)
            if h == root and r == "nsubj"
        )
        nouns = [i for i, w in enumerate(p.good.words, 1) if w.upos == "NOUN"]
        attractor = max(i for i in nouns if i < root)  # the noun nearest the verb
        assert attractor != subject
        number = checks.noun_number
        assert number(p.good.forms[attractor - 1]) != number(p.good.forms[subject - 1])


def test_subjects_are_balanced_between_singular_and_plural(pairs: dict, checks) -> None:
    for uid in AGREEMENT[:4]:
        numbers = Counter(
            checks.verb_number(p.good.forms[p.good.heads.index(-1)]) for p in pairs[uid]
        )
        assert numbers["Sing"] == numbers["Plur"] == 100


@pytest.mark.parametrize("uid", ARGUMENT_STRUCTURE)
def test_argument_structure_bad_sentences_swap_the_verb_for_one_of_the_other_valency(
    pairs: dict, checks, uid: str
) -> None:
    for p in pairs[uid]:
        heads, deprels, upos = tree(p.good)
        assert checks.valency_violations(p.good.forms, heads, deprels, upos) == []
        assert checks.valency_violations(p.bad, heads, deprels, upos) != []
        diff = [i for i, (a, b) in enumerate(zip(p.good.forms, p.bad, strict=True)) if a != b]
        assert len(p.bad) == len(p.good.forms) and len(diff) == 1 and upos[diff[0]] == "VERB"
        assert checks.verb_number(p.good.forms[diff[0]]) == checks.verb_number(p.bad[diff[0]])


@pytest.mark.parametrize("uid", WORD_ORDER)
def test_word_order_bad_sentences_are_permutations_that_break_head_order(
    pairs: dict, uid: str
) -> None:
    for p in pairs[uid]:
        assert sorted(p.bad) == sorted(p.good.forms) and p.bad != p.good.forms
        deprels = p.good.deprels
        if uid == "word_order_verb_object":
            obj = deprels.index("obj")
            verb = p.good.heads[obj]
            assert p.bad.index(p.good.forms[verb]) > p.bad.index(p.good.forms[obj])
        else:
            adj = deprels.index("amod")
            noun = p.good.heads[adj]
            assert p.bad[adj] == p.good.forms[noun] and p.bad[noun] == p.good.forms[adj]
