"""``world-verify:WORLD``: true and false statements from an embedded world's knowledge base.

For every fact ⟨s, r, o⟩ of ``WORLD/facts.jsonl`` (templates from ``WORLD/relations.jsonl``):

- **true**: the fact's prompt with the object filled in (``the dog is in the animal class .``);
- **false**: the same prompt with another object of relation r that is *not* true for s. The
  false objects of one (s, r) are drawn without replacement from a seeded shuffle of the
  relation's other objects, so no false statement repeats; a fact with no object left over
  is counted in ``no_false_object`` and left out with its true statement, so the classes
  stay balanced.

The split is by subject over all relations at once (:func:`split_by_subject` on the facts
under one pseudo-relation): a subject's statements are all in one split, so the test asks
about entities the classifier never saw. Everything is a function of the world and
``split_seed``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from bertology.data.facts import DEFAULT_SPLIT_RATIOS, MASK, read_facts, split_by_subject
from bertology.errors import InputError
from bertology.finetune.data import RawExample

PREFIX = "world-verify:"
LABELS = ["false", "true"]


def read_world_verify(
    world: str | Path, split_seed: int = 0
) -> tuple[dict[str, list[RawExample]], dict[str, object]]:
    """``({"train", "dev", "test": statements}, info)`` of the world at ``world``."""
    world = Path(world)
    facts_file, relations_file = world / "facts.jsonl", world / "relations.jsonl"
    for f in (facts_file, relations_file):
        if not f.is_file():
            raise InputError(f"no {f.name}: expected a world directory (bertology world)", world)
    facts = read_facts(facts_file, relations_file).facts
    true_objects: dict[tuple[str, str], set[str]] = defaultdict(set)
    objects: dict[str, set[str]] = defaultdict(set)
    for f in facts:
        true_objects[(f.subject, f.relation)].add(f.object)
        objects[f.relation].add(f.object)
    false_object: dict[tuple[str, str, str], str] = {}
    for (s, r), true in sorted(true_objects.items()):
        pool = sorted(objects[r] - true)
        random.Random(f"{split_seed}:{s}:{r}").shuffle(pool)
        for o, wrong in zip(sorted(true), pool, strict=False):
            false_object[(s, r, o)] = wrong
    pseudo = [replace(f, relation="(all)") for f in facts]
    by_subject = split_by_subject(pseudo, DEFAULT_SPLIT_RATIOS, split_seed)
    split_of = {f.subject: split for split, fs in by_subject.items() for f in fs}
    rows: dict[str, list[RawExample]] = {"train": [], "dev": [], "test": []}
    skipped = 0
    for f in sorted(facts, key=lambda f: f.key):
        wrong = false_object.get(f.key)
        if wrong is None:
            skipped += 1
            continue
        prompt = f.prompts[0]
        out = rows[split_of[f.subject]]
        out.append(RawExample((prompt.replace(MASK, f.object),), "true", (), f.source))
        out.append(RawExample((prompt.replace(MASK, wrong),), "false", (), f.source))
    subjects = {s: len({f.subject for f in fs}) for s, fs in by_subject.items()}
    info: dict[str, object] = {
        "source": str(world),
        "split": f"by subject over all relations, ratios {list(DEFAULT_SPLIT_RATIOS)}, "
        f"seed {split_seed}",
        "subjects": subjects,
        "no_false_object": skipped,
    }
    return rows, info
