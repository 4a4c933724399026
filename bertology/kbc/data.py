"""What KB completion reads: true facts and false ones, in splits, and the candidate objects.

Fact files are canonical or LAMA JSONL (:func:`bertology.data.facts.read_facts`) or the
ConceptNet-100k TSV (:mod:`bertology.kbc.conceptnet`, the only format with false triples).
Splits are by subject (:func:`bertology.data.facts.split_by_subject`), so a subnetwork is
judged on subjects its mask never saw.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bertology.data.facts import (
    DEFAULT_SPLIT_RATIOS,
    DEFAULT_SPLIT_SEED,
    SPLITS,
    Fact,
    FactSet,
    read_facts,
)
from bertology.errors import InputError
from bertology.io import iter_text_lines
from bertology.kbc.conceptnet import read_conceptnet
from bertology.probe.scoring import CandidateSet

Format = Literal["jsonl", "conceptnet"]


@dataclass
class KBCData:
    """True facts (``facts``) and labelled false triples (``negatives``) of one file."""

    facts: FactSet
    negatives: list[Fact] = field(default_factory=list)
    format: Format = "jsonl"
    conflicts: int = 0  # triples labelled both true and false (kept as true)

    def select(self, names: Iterable[str] | None) -> KBCData:
        """Only the named relations (an unknown name lists the known ones)."""
        if names is None:
            return self
        names = list(names)
        facts = self.facts.select(names)
        negatives = [f for f in self.negatives if f.relation in names]
        return KBCData(facts, negatives, self.format, self.conflicts)


def detect_format(path: str | Path) -> Format:
    """``jsonl`` when the first non-blank line opens a JSON object, else ``conceptnet``."""
    for _, line in iter_text_lines(path):
        if line.strip():
            return "jsonl" if line.lstrip().startswith("{") else "conceptnet"
    raise InputError("no facts in file (empty fact set)", path)


def read_kbc_facts(
    path: str | Path, relations_file: str | Path | None = None, fmt: str = "auto"
) -> KBCData:
    """Read a fact file in any format bertology knows; an empty one, or one with no true
    triple, is an error naming the file."""
    kind: Format = detect_format(path) if fmt == "auto" else fmt  # type: ignore[assignment]
    if kind == "jsonl":
        return KBCData(read_facts(path, relations_file), [], "jsonl")
    triples = read_conceptnet(path, relations_file)
    if not triples.positives:
        raise InputError(
            f"no true triples in file (all {len(triples.negatives)} have label 0)", path
        )
    facts = FactSet(triples.positives, triples.relations, triples.duplicates_removed)
    return KBCData(facts, triples.negatives, "conceptnet", triples.conflicts)


def split_negatives(
    negatives: Sequence[Fact],
    splits: dict[str, list[Fact]],
    ratios: tuple[float, float, float],
    seed: int,
) -> dict[str, list[Fact]]:
    """Each false triple goes to the split of its (relation, subject) among the true facts,
    so no subject crosses splits; a subject with no true fact in its relation is drawn into a
    split with ``ratios``, seeded by the triple (independent of the file's order)."""
    where = {(f.relation, f.subject): s for s, fs in splits.items() for f in fs}
    out: dict[str, list[Fact]] = {s: [] for s in SPLITS}
    for f in negatives:
        split = where.get((f.relation, f.subject))
        if split is None:
            u = random.Random(f"{seed}:{f.relation}:{f.subject}").random()
            split = "train" if u < ratios[0] else "dev" if u < ratios[0] + ratios[1] else "test"
        out[split].append(f)
    return out


def select_split(facts: Sequence[Fact], split: str, splits: dict[str, list[Fact]]) -> list[Fact]:
    """All facts, or one subject-disjoint split of them."""
    return list(facts) if split == "all" else splits[split]


def true_objects(facts: Iterable[Fact]) -> dict[tuple[str, str], set[str]]:
    """``(subject, relation) -> objects`` over every true fact given (every split): what the
    filtered setting removes, and what a sampled negative must not be."""
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for f in facts:
        out[f.subject, f.relation].add(f.object)
    return dict(out)


def candidate_set(spec: str, facts: Sequence[Fact], negatives: Sequence[Fact] = ()) -> CandidateSet:
    """The ranking vocabulary, resolved once.

    - ``entities``: every subject and object of the file (false triples' too), one list shared
      by all relations; those that are not one token of the tokenizer drop out when the ids are
      resolved (:func:`bertology.probe.scoring.prepare_facts`), never as [UNK];
    - ``relation``: the objects of the fact's relation among the true facts (every split);
    - ``all``: the whole vocabulary; anything else: a one-word-per-line file.
    """
    if spec == "entities":
        every = [*facts, *negatives]
        words = sorted({f.subject for f in every} | {f.object for f in every})
        return CandidateSet("entities", {None: words})
    return CandidateSet.resolve(spec, facts)


def split_settings(
    ratios: tuple[float, float, float] | None,
    seed: int | None,
    run_ratios: tuple[float, float, float] | None = None,
    run_seed: int | None = None,
) -> tuple[tuple[float, float, float], int]:
    """The split's ratios and seed: as given, else the prune run's, else prune's defaults."""
    if ratios is None:
        ratios = run_ratios if run_ratios is not None else DEFAULT_SPLIT_RATIOS
    if seed is None:
        seed = run_seed if run_seed is not None else DEFAULT_SPLIT_SEED
    return tuple(ratios), seed  # type: ignore[return-value]
