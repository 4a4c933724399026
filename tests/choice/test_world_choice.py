"""The world's ``choice.jsonl``: questions about held-out facts, split by subject as ``prune``
splits them by default, distractors from the relation's other objects, seeded."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from bertology.choice.data import by_split, read_choice_items
from bertology.data.facts import read_facts, split_by_subject
from bertology.world import WorldConfig, generate_world

SMALL = {"tokens": 20_000, "n_entities": 40, "heldout_trees": 20, "pairs_per_paradigm": 5}


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    root = tmp_path_factory.mktemp("worlds")
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        generate_world(root / name, WorldConfig(seed=seed, **SMALL))
    return root


def _lines(path):
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_the_same_seed_gives_the_same_questions_and_another_seed_others(worlds):
    a = (worlds / "a" / "choice.jsonl").read_bytes()
    assert a == (worlds / "b" / "choice.jsonl").read_bytes()
    assert a != (worlds / "c" / "choice.jsonl").read_bytes()


def test_questions_are_the_held_out_facts_split_by_subject(worlds):
    """Every dev and test fact of the default subject split is asked once, marked with its
    split; no subject of the training split appears."""
    w = worlds / "a"
    facts = read_facts(w / "facts.jsonl", w / "relations.jsonl").facts
    splits = split_by_subject(facts)  # prune's default ratios and seed
    items = _lines(w / "choice.jsonl")
    asked = {(x["subject"], x["relation"], x["object"]): x["split"] for x in items}
    want = {f.key: name for name in ("dev", "test") for f in splits[name]}
    assert asked == want
    train_subjects = defaultdict(set)
    for f in splits["train"]:
        train_subjects[f.relation].add(f.subject)
    assert not any(x["subject"] in train_subjects[x["relation"]] for x in items)
    summary = json.loads((w / "world.json").read_text())["choice"]
    assert summary["questions"] == len(items) > 0
    assert (summary["dev"], summary["test"]) == (len(splits["dev"]), len(splits["test"]))


def test_each_question_is_the_probe_template_and_its_choices_the_relations_objects(worlds):
    w = worlds / "a"
    templates = {r["relation"]: r["template"] for r in _lines(w / "relations.jsonl")}
    facts = _lines(w / "facts.jsonl")
    objects, true = defaultdict(set), defaultdict(set)
    for f in facts:
        objects[f["relation"]].add(f["object"])
        true[f["subject"], f["relation"]].add(f["object"])
    items = _lines(w / "choice.jsonl")
    for x in items:
        sentence = templates[x["relation"]].replace("[X]", x["subject"])
        before, after = sentence.split("[Y]")
        assert x["question"] == before.strip()
        assert x["id"] == f"{x['relation']}:{x['subject']}"
        assert 2 <= len(x["choices"]) <= 4 and len(set(x["choices"])) == len(x["choices"])
        picked = []
        for c in x["choices"]:
            assert c.endswith(after.strip())
            picked.append(c[: len(c) - len(after.strip())].strip())
        assert picked[x["label"]] == x["object"]
        assert f"{x['question']} {x['choices'][x['label']]}" == sentence.replace("[Y]", x["object"])
        wrong = [o for i, o in enumerate(picked) if i != x["label"]]
        assert all(o in objects[x["relation"]] and o not in true[x["subject"], x["relation"]]
                   for o in wrong)  # fmt: skip
    assert len({x["label"] for x in items}) == 4  # the right answer's position is drawn


def test_the_file_reads_as_bertology_choice_items_with_dev_and_test(worlds):
    path = worlds / "a" / "choice.jsonl"
    items = read_choice_items(path)
    dev, test = by_split(items, path)
    assert dev and test and len(dev) + len(test) == len(items)
