"""``choice.jsonl``: multiple-choice questions about the world's held-out facts.

Every fact whose subject lands in the dev or test split of
:func:`bertology.data.facts.split_by_subject` (with the default ratios and seed, the split
``bertology prune`` uses by default) becomes one question, marked with that split: subjects a
subnetwork was trained on never appear, and a combination of masks chosen on the dev items is
reported on test subjects it was not chosen on.

The question is the relation's probe template (``relations.jsonl``, never stated in the
corpus) up to its object slot, with the subject filled in; each choice is an object followed
by the rest of the template::

    template  "the [X] is in the [Y] class ."
    question  "the dog is in the"
    choices   ["plant class .", "animal class .", "tool class .", "food class ."]

so ``question + " " + choice`` is the probe sentence with that object. The wrong choices are
objects of the same relation (objects some fact of the world states for it) that are not true
of the subject, up to :data:`CHOICES` choices in all; the right one's position is drawn too.
Every draw comes from ``random.Random(f"{seed}:choice")`` in item order (dev items, then test;
each by relation, then subject), so the same seed gives the same file.

Each line: ``{"id": "relation:subject", "question", "choices", "label", "split", "relation",
"subject", "object"}`` (the format ``bertology choice`` reads by default).
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from bertology.data.facts import DEFAULT_SPLIT_RATIOS, DEFAULT_SPLIT_SEED, Fact, split_by_subject
from bertology.world.knowledge import KnowledgeBase

CHOICES = 4  # the right object and up to three wrong ones
SLOT_X, SLOT_Y = "[X]", "[Y]"


def question_and_rest(template: str, subject: str) -> tuple[str, str]:
    """``(question, rest)``: the template before ``[Y]`` and after it, subject filled in."""
    before, _, after = template.partition(SLOT_Y)
    return before.replace(SLOT_X, subject).strip(), after.replace(SLOT_X, subject).strip()


def _choice_text(obj: str, rest: str) -> str:
    return f"{obj} {rest}" if rest else obj


def choice_questions(kb: KnowledgeBase, seed: int) -> list[dict[str, Any]]:
    """The world's multiple-choice questions (see the module docstring), in file order."""
    facts = [Fact(f.subject, f.relation, f.object) for f in kb.facts]
    splits = split_by_subject(facts, DEFAULT_SPLIT_RATIOS, DEFAULT_SPLIT_SEED)
    objects: dict[str, set[str]] = defaultdict(set)  # relation -> objects stated for it
    true: dict[tuple[str, str], set[str]] = defaultdict(set)  # (subject, relation) -> objects
    for f in facts:
        objects[f.relation].add(f.object)
        true[f.subject, f.relation].add(f.object)
    rng = random.Random(f"{seed}:choice")
    out = []
    for split in ("dev", "test"):
        for f in splits[split]:  # by relation, then subject (split_by_subject's order)
            wrong = sorted(objects[f.relation] - true[f.subject, f.relation])
            if not wrong:  # every object of the relation is true of it: nothing to tell apart
                continue
            picked = rng.sample(wrong, min(CHOICES - 1, len(wrong)))
            label = rng.randrange(len(picked) + 1)
            picked.insert(label, f.object)
            question, rest = question_and_rest(kb.relations[f.relation].probe.text, f.subject)
            out.append(
                {
                    "id": f"{f.relation}:{f.subject}",
                    "question": question,
                    "choices": [_choice_text(o, rest) for o in picked],
                    "label": label,
                    "split": split,
                    "relation": f.relation,
                    "subject": f.subject,
                    "object": f.object,
                }
            )
    return out


def choice_summary(items: list[dict[str, Any]]) -> dict[str, Any]:
    """world.json's line about ``choice.jsonl``: how many questions per split."""
    return {
        "questions": len(items),
        "dev": sum(x["split"] == "dev" for x in items),
        "test": sum(x["split"] == "test" for x in items),
        "choices_per_question": CHOICES,
    }
