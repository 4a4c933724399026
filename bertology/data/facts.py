"""Relational facts and relation templates: reading, deduplication, splits, single-token objects.

Formats read (one JSON object per line):

- **canonical** (bertology): ``{"subject", "relation", "object", "prompt"?}``
- **LAMA ConceptNet / Google-RE / SQuAD style**: ``masked_sentences`` (with ``[MASK]``),
  ``sub`` or ``sub_label``, ``obj_label``, ``pred``
- **LAMA T-REx style**: ``sub_label``, ``obj_label``, ``predicate_id``; prompts come from the
  relation's template in a ``relations.jsonl`` (``{"relation": "P19", "template": "[X] was born
  in [Y] ."}``)

Prompts are stored with the placeholder ``[MASK]`` and become the tokenizer's own mask token
(``[MASK]``, ``<mask>``, ...) only when probed, so one fact file serves every model.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bertology.errors import InputError, source_of
from bertology.io import read_jsonl

MASK = "[MASK]"
SPLITS = ("train", "dev", "test")
DEFAULT_SPLIT_RATIOS = (0.8, 0.1, 0.1)
"""train/dev/test shares of each relation's subjects (``bertology prune``'s default too)."""
DEFAULT_SPLIT_SEED = 0


@dataclass(frozen=True)
class Relation:
    """A relation and its cloze template (``[X]`` = subject, ``[Y]`` = object)."""

    name: str
    template: str | None = None
    label: str | None = None

    def prompt_for(self, subject: str) -> str:
        """The template with the subject filled in and the object masked."""
        if self.template is None:
            raise InputError(f"relation {self.name!r} has no template")
        return self.template.replace("[X]", subject).replace("[Y]", MASK)


@dataclass(frozen=True)
class Fact:
    """⟨subject, relation, object⟩ plus the prompts (with ``[MASK]``) that state it."""

    subject: str
    relation: str
    object: str
    prompts: tuple[str, ...] = ()
    source: str | None = field(default=None, compare=False)  # "file:line", for messages

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.subject, self.relation, self.object)


def _check_template(template: Any, path: Path, lineno: int) -> str:
    if not isinstance(template, str):
        raise InputError("expected a string 'template' with [X] and [Y]", path, lineno)
    missing = [s for s in ("[X]", "[Y]") if s not in template]
    if missing:
        raise InputError(f"template {template!r} lacks {' and '.join(missing)}", path, lineno)
    return template


def read_relations(path: str | Path) -> dict[str, Relation]:
    """Read a relations file: JSONL with ``relation`` and ``template`` (``label`` optional)."""
    path = Path(path)
    relations: dict[str, Relation] = {}
    first_line: dict[str, int] = {}
    for lineno, obj in read_jsonl(path):
        name = obj.get("relation")
        if not isinstance(name, str) or not name:
            raise InputError("expected a 'relation' name (string)", path, lineno)
        if name in first_line:  # which template would win is not for us to guess
            raise InputError(
                f"relation {name!r} is defined again (first at line {first_line[name]})",
                path,
                lineno,
            )
        first_line[name] = lineno
        template = _check_template(obj.get("template"), path, lineno)
        relations[name] = Relation(name, template, obj.get("label"))
    if not relations:
        raise InputError("no relations in file", path)
    return relations


def _normalise_prompt(prompt: Any, path: Path, lineno: int) -> str:
    if not isinstance(prompt, str):
        raise InputError(f"expected a prompt string, got {type(prompt).__name__}", path, lineno)
    for alias in ("[Y]", "<mask>"):
        prompt = prompt.replace(alias, MASK)
    n = prompt.count(MASK)
    if n != 1:
        raise InputError(
            f"prompt {prompt!r} must contain the mask token ([MASK], <mask> or [Y]) exactly "
            f"once, found {n}",
            path,
            lineno,
        )
    return prompt


def _require(obj: dict[str, Any], keys: Sequence[str], path: Path, lineno: int, what: str) -> str:
    for k in keys:
        v = obj.get(k)
        if isinstance(v, str) and v.strip():
            return v.strip()
    raise InputError(
        f"missing {what}: expected one of {', '.join(repr(k) for k in keys)}", path, lineno
    )


def _parse_fact(
    obj: dict[str, Any], path: Path, lineno: int, relations: dict[str, Relation] | None
) -> Fact:
    src = f"{path}:{lineno}"
    if "masked_sentences" in obj:  # LAMA ConceptNet / Google-RE / SQuAD
        sents = obj["masked_sentences"]
        if not isinstance(sents, list) or not sents:
            raise InputError("'masked_sentences' must be a non-empty list", path, lineno)
        prompts = tuple(_normalise_prompt(s, path, lineno) for s in sents)
        subject = _require(obj, ("sub", "sub_label", "sub_surface"), path, lineno, "subject")
        obj_label = _require(obj, ("obj_label", "obj"), path, lineno, "object")
        relation = _require(obj, ("pred", "predicate_id", "relation"), path, lineno, "relation")
        return Fact(subject, relation, obj_label, prompts, src)
    if "predicate_id" in obj:  # LAMA T-REx: prompts from relations.jsonl
        subject = _require(obj, ("sub_label",), path, lineno, "subject")
        obj_label = _require(obj, ("obj_label",), path, lineno, "object")
        relation = _require(obj, ("predicate_id",), path, lineno, "relation")
        return Fact(subject, relation, obj_label, (), src)
    if "subject" in obj or "relation" in obj or "object" in obj:  # canonical
        subject = _require(obj, ("subject",), path, lineno, "subject")
        relation = _require(obj, ("relation",), path, lineno, "relation")
        obj_label = _require(obj, ("object",), path, lineno, "object")
        prompts: tuple[str, ...] = ()
        if obj.get("prompt") is not None:
            prompt = (
                obj["prompt"].replace("[X]", subject)
                if isinstance(obj["prompt"], str)
                else obj["prompt"]
            )
            prompts = (_normalise_prompt(prompt, path, lineno),)
        return Fact(subject, relation, obj_label, prompts, src)
    raise InputError(
        "unrecognised fact: expected canonical keys (subject, relation, object), LAMA "
        "ConceptNet keys (masked_sentences, sub/sub_label, obj_label, pred) or LAMA T-REx keys "
        "(sub_label, obj_label, predicate_id)",
        path,
        lineno,
    )


@dataclass
class FactSet:
    """Facts grouped by relation, with the relations' templates."""

    facts: list[Fact]
    relations: dict[str, Relation]
    duplicates_removed: int = 0

    def by_relation(self) -> dict[str, list[Fact]]:
        groups: dict[str, list[Fact]] = defaultdict(list)
        for f in self.facts:
            groups[f.relation].append(f)
        return dict(sorted(groups.items()))

    @property
    def relation_names(self) -> list[str]:
        return sorted({f.relation for f in self.facts})

    def select(self, names: Iterable[str] | None) -> FactSet:
        """Keep only the named relations; an unknown name lists the known ones."""
        if names is None:
            return self
        names = list(names)
        known = self.relation_names
        for n in names:
            if n not in known:
                raise InputError(f"unknown relation {n!r}; known relations: {', '.join(known)}")
        keep = set(names)
        return FactSet(
            [f for f in self.facts if f.relation in keep], self.relations, self.duplicates_removed
        )


def deduplicate(facts: Iterable[Fact]) -> tuple[list[Fact], int]:
    """Merge facts with the same ⟨subject, relation, object⟩; their prompts are unioned in order."""
    merged: dict[tuple[str, str, str], Fact] = {}
    dupes = 0
    for f in facts:
        old = merged.get(f.key)
        if old is None:
            merged[f.key] = f
            continue
        dupes += 1
        extra = tuple(p for p in f.prompts if p not in old.prompts)
        if extra:
            merged[f.key] = replace(old, prompts=old.prompts + extra)
    return list(merged.values()), dupes


def read_facts(path: str | Path, relations_file: str | Path | None = None) -> FactSet:
    """Read facts in any supported format, deduplicate, and attach prompts from templates.

    Facts without prompts of their own get their relation's template. A fact whose relation
    has neither prompts nor a template is an error naming its line.
    """
    path = Path(path)
    relations = read_relations(relations_file) if relations_file is not None else {}
    raw: list[Fact] = []
    for lineno, obj in read_jsonl(path):
        raw.append(_parse_fact(obj, path, lineno, relations))
    if not raw:
        raise InputError("no facts in file (empty fact set)", path)
    facts, dupes = deduplicate(raw)
    out: list[Fact] = []
    for f in facts:
        if not f.prompts:
            rel = relations.get(f.relation)
            if rel is None or rel.template is None:
                known = ", ".join(sorted(relations)) or "(no relations file given)"
                raise InputError(
                    f"fact has no prompt and relation {f.relation!r} has no template; give "
                    f"--relations-file with it (known relations: {known})",
                    *source_of(f.source),
                )
            f = replace(f, prompts=(rel.prompt_for(f.subject),))
        out.append(f)
    for name in {f.relation for f in out}:
        relations.setdefault(name, Relation(name))
    return FactSet(out, relations, dupes)


def split_by_subject(
    facts: Sequence[Fact],
    ratios: tuple[float, float, float] = DEFAULT_SPLIT_RATIOS,
    seed: int = DEFAULT_SPLIT_SEED,
) -> dict[str, list[Fact]]:
    """Split each relation's facts into train/dev/test by subject, seeded.

    All facts of a subject land in the same split, so a subnetwork is judged on subjects it
    never saw. The split does not depend on the order of the input facts.
    """
    if abs(sum(ratios) - 1.0) > 1e-6 or any(r < 0 for r in ratios):
        raise InputError(f"split ratios must be non-negative and sum to 1, got {ratios}")
    out: dict[str, list[Fact]] = {s: [] for s in SPLITS}
    groups: dict[str, list[Fact]] = defaultdict(list)
    for f in facts:
        groups[f.relation].append(f)
    for rel in sorted(groups):
        subjects = sorted({f.subject for f in groups[rel]})
        rng = random.Random(f"{seed}:{rel}")
        rng.shuffle(subjects)
        n = len(subjects)
        n_test = round(ratios[2] * n)
        n_dev = round(ratios[1] * n)
        if n >= 3:  # keep every split non-empty where the ratios ask for it
            n_test = max(n_test, 1 if ratios[2] > 0 else 0)
            n_dev = max(n_dev, 1 if ratios[1] > 0 else 0)
        n_train = n - n_dev - n_test
        assign = {s: "train" for s in subjects[:n_train]}
        assign.update({s: "dev" for s in subjects[n_train : n_train + n_dev]})
        assign.update({s: "test" for s in subjects[n_train + n_dev :]})
        for f in sorted(groups[rel], key=lambda f: f.key):
            out[assign[f.subject]].append(f)
    return out


def split_counts(splits: dict[str, list[Fact]]) -> dict[str, int]:
    return {k: len(v) for k, v in splits.items()}


def split_sizes_by_relation(splits: dict[str, list[Fact]]) -> dict[str, dict[str, int]]:
    """``{relation: {"train": n, "dev": n, "test": n}}`` over every relation of any split
    (relations sorted by name), 0 where a split has none of a relation's facts."""
    counts = {name: relation_counts(facts) for name, facts in splits.items()}
    relations = sorted({r for c in counts.values() for r in c})
    return {r: {name: counts[name][r] for name in splits} for r in relations}


def relations_by_test_size(splits: dict[str, list[Fact]]) -> list[str]:
    """Every relation of any split, largest test set first (ties: by name).

    A relation's test P@1 moves by 1/n per fact, so an experiment that can afford only some
    relations should take the ones whose test sets are largest, not the first by name.
    """
    test = relation_counts(splits.get("test", []))
    relations = {f.relation for facts in splits.values() for f in facts}
    return sorted(relations, key=lambda r: (-test[r], r))


def relation_counts(facts: Iterable[Fact]) -> Counter[str]:
    return Counter(f.relation for f in facts)
