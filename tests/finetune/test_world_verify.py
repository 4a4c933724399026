"""``world-verify:WORLD``: true statements are the world's facts, false ones swap in another
object of the same relation that is not true for the subject; deterministic, balanced, and
split by subject (no subject in two splits)."""

from __future__ import annotations

import json
import re

import pytest

from bertology.errors import InputError
from bertology.finetune.tasks import load_task

TEMPLATES = {
    "IsA": "the [X] is in the [Y] class .",
    "MadeOf": "the material of the [X] is [Y] .",
    "AtLocation": "you will see the [X] in the [Y] .",
}


def _parse(text: str) -> tuple[str, str, str]:
    """(subject, relation, object) of a statement, read back with the templates' regexes."""
    for r, t in TEMPLATES.items():
        rx = re.escape(t).replace(r"\[X\]", "(?P<x>\\S+)").replace(r"\[Y\]", "(?P<y>\\S+)")
        m = re.fullmatch(rx, text)
        if m:
            return m["x"], r, m["y"]
    raise AssertionError(f"not a template sentence: {text!r}")


def test_world_statements_are_true_facts_and_same_relation_falsehoods(world_dir):
    facts = [json.loads(x) for x in (world_dir / "facts.jsonl").read_text().splitlines()]
    true = {(f["subject"], f["relation"], f["object"]) for f in facts}
    objects = {r: {f["object"] for f in facts if f["relation"] == r} for r in TEMPLATES}
    task = load_task(f"world-verify:{world_dir}")
    assert task.labels == ["false", "true"] and task.kind == "single"
    every = task.train + task.dev + task.test
    assert len({ex.texts for ex in every}) == len(every)  # no statement twice
    seen_true = set()
    for ex in every:
        s, r, o = _parse(ex.texts[0])
        if ex.label == 1:
            assert (s, r, o) in true
            seen_true.add((s, r, o))
        else:
            assert (s, r, o) not in true and o in objects[r]
    assert seen_true == true and task.info["no_false_object"] == 0  # every fact is stated
    for split in (task.train, task.dev, task.test):
        assert sum(ex.label for ex in split) * 2 == len(split)  # balanced in every split


def test_world_split_is_by_subject_and_deterministic(world_dir):
    a = load_task(f"world-verify:{world_dir}")
    b = load_task(f"world-verify:{world_dir}")
    assert (a.train, a.dev, a.test) == (b.train, b.dev, b.test)
    subjects = {
        name: {_parse(ex.texts[0])[0] for ex in split}
        for name, split in (("train", a.train), ("dev", a.dev), ("test", a.test))
    }
    assert all(subjects.values())
    assert not subjects["train"] & subjects["dev"]
    assert not subjects["train"] & subjects["test"]
    assert not subjects["dev"] & subjects["test"]
    assert a.info["subjects"] == {k: len(v) for k, v in subjects.items()}
    other = load_task(f"world-verify:{world_dir}", split_seed=1)
    assert (other.train, other.test) != (a.train, a.test)  # the seed is the split's


def test_a_directory_without_facts_is_not_a_world(tmp_path):
    with pytest.raises(InputError, match="no facts.jsonl: expected a world directory"):
        load_task(f"world-verify:{tmp_path}")
