"""Fixtures for the world tests: a small world generated once per session (40k tokens, 40
entities: about a second), and checks written apart from the generator (template regexes,
agreement and valency read off a tree with number tables from the raw word lists).

Tests get the checks through the ``checks`` fixture (the test modules are imported with
``--import-mode=importlib``, so they cannot import a helper module beside them).
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from bertology.world import WorldConfig, generate_world
from bertology.world import words as W

SMALL = {"tokens": 40_000, "n_entities": 40, "heldout_trees": 300, "pairs_per_paradigm": 200}


NOUN_LEMMAS = {n for _, nouns in W.ENTITY_CATEGORIES.values() for n in nouns} | set(W.OTHER_NOUNS)
VERB_BASES = set(W.TRANSITIVE_VERBS) | set(W.INTRANSITIVE_VERBS)
TRANSITIVE_FORMS = (
    set(W.TRANSITIVE_VERBS)
    | {
        v + "es" if v.endswith(("s", "x", "z", "ch", "sh", "o")) else v + "s"
        for v in W.TRANSITIVE_VERBS
    }
    | {v[:-1] + "ies" for v in W.TRANSITIVE_VERBS if v.endswith("y")}
)


def template_regex(template: str, anchored: bool) -> re.Pattern[str]:
    """A regex for a template's sentences, each slot one lowercase word. ``anchored``: the whole
    line must match; otherwise the frame may occur anywhere in a line, on word boundaries."""
    parts = []
    for token in template.split():
        if token == "[X]":
            parts.append("(?P<x>[a-z]+)")
        elif token == "[Y]":
            parts.append("(?P<y>[a-z]+)")
        else:
            parts.append(re.escape(token))
    body = " ".join(parts)
    return re.compile(f"^{body}$" if anchored else f"(?:^| ){body}(?: |$)")


def noun_number(form: str) -> str:
    """Nouns: the lemma is the singular; any other noun form is a plural."""
    return "Sing" if form in NOUN_LEMMAS else "Plur"


def verb_number(form: str) -> str:
    """Present-tense verbs: the bare form is the plural, the -s form the third singular."""
    return "Plur" if form in VERB_BASES else "Sing"


def agreement_violations(
    forms: list[str], heads: list[int], deprels: list[str], upos: list[str]
) -> list[str]:
    """Subject-verb and determiner-noun agreement errors in a tree (heads 1-based, 0 = root).

    A verb's subject is its ``nsubj``; the relativizer ``that`` stands for the noun its clause
    modifies; a subject with a ``conj`` is plural; a coordinated verb without a subject of its
    own shares its first conjunct's.
    """
    n = len(forms)
    children: dict[int, list[int]] = {i: [] for i in range(n + 1)}
    for i, h in enumerate(heads, start=1):
        children[h].append(i)

    def subject_number(verb: int) -> str | None:
        subjects = [c for c in children[verb] if deprels[c - 1] == "nsubj"]
        if not subjects:
            h = heads[verb - 1]
            if deprels[verb - 1] == "conj" and h and upos[h - 1] == "VERB":
                return subject_number(h)
            return None
        s = subjects[0]
        if forms[s - 1] == W.RELATIVIZER:
            assert deprels[verb - 1] == "acl:relcl"
            s = heads[verb - 1]
        if any(deprels[c - 1] == "conj" for c in children[s]):
            return "Plur"
        return noun_number(forms[s - 1])

    errors = []
    for i in range(1, n + 1):
        if upos[i - 1] == "VERB":
            want = subject_number(i)
            if want is not None and verb_number(forms[i - 1]) != want:
                errors.append(f"verb {forms[i - 1]!r} with a {want} subject")
        if deprels[i - 1] == "det":
            need = W.DETERMINERS[forms[i - 1]]
            noun = forms[heads[i - 1] - 1]
            if need is not None and noun_number(noun) != need:
                errors.append(f"determiner {forms[i - 1]!r} with {noun!r}")
    return errors


def valency_violations(
    forms: list[str], heads: list[int], deprels: list[str], upos: list[str]
) -> list[str]:
    """Verbs with an object that take none, and verbs without one that need one."""
    errors = []
    for i, form in enumerate(forms, start=1):
        if upos[i - 1] != "VERB":
            continue
        has_object = any(h == i and deprels[j] == "obj" for j, h in enumerate(heads))
        if (form in TRANSITIVE_FORMS) != has_object:
            errors.append(f"{form!r} {'with' if has_object else 'without'} an object")
    return errors


def small_config(**overrides: object) -> WorldConfig:
    return WorldConfig(**{**SMALL, **overrides})


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world") / "w"
    generate_world(out, small_config())
    return out


@pytest.fixture(scope="session")
def checks() -> SimpleNamespace:
    return SimpleNamespace(
        small_config=small_config,
        template_regex=template_regex,
        agreement_violations=agreement_violations,
        valency_violations=valency_violations,
        noun_number=noun_number,
        verb_number=verb_number,
    )
