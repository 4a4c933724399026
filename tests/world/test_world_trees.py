"""Every sentence of the world has a valid gold tree, and the trees match the corpus text."""

from __future__ import annotations

import re
from pathlib import Path

import conllu
import pytest

from bertology.io import read_jsonl
from bertology.world.templates import relation_templates

# UD v2's universal relations, and the subtypes the world uses
UD_DEPRELS = set(
    [
        "acl",
        "advcl",
        "advmod",
        "amod",
        "appos",
        "aux",
        "case",
        "cc",
        "ccomp",
        "clf",
        "compound",
        "conj",
        "cop",
        "csubj",
        "dep",
        "det",
        "discourse",
        "dislocated",
        "expl",
        "fixed",
        "flat",
        "goeswith",
        "iobj",
        "list",
        "mark",
        "nmod",
        "nsubj",
        "nummod",
        "obj",
        "obl",
        "orphan",
        "parataxis",
        "punct",
        "reparandum",
        "root",
        "vocative",
        "xcomp",
    ]
) | {"acl:relcl", "nsubj:pass", "aux:pass", "nmod:poss"}
CONLLU_FILES = ["corpus/train.conllu", "corpus/valid.conllu", "trees.conllu"]


def parse(path: Path) -> list[conllu.TokenList]:
    with open(path, encoding="utf-8") as f:
        return list(conllu.parse_incr(f))


def is_tree(heads: list[int]) -> bool:
    """One root, heads in range, and every word reaches the root."""
    n = len(heads)
    if sum(h == 0 for h in heads) != 1 or not all(0 <= h <= n for h in heads):
        return False
    for i in range(1, n + 1):
        steps, node = 0, i
        while node != 0 and steps <= n:
            node, steps = heads[node - 1], steps + 1
        if node != 0:
            return False
    return True


@pytest.mark.parametrize("name", CONLLU_FILES)
def test_every_sentence_parses_as_conllu_and_is_a_valid_tree(world_dir: Path, name: str) -> None:
    raw = (world_dir / name).read_text(encoding="utf-8")
    for line in raw.splitlines():
        assert not line or line.startswith("#") or len(line.split("\t")) == 10, line
    sentences = parse(world_dir / name)
    assert sentences
    for s in sentences:
        heads = [t["head"] for t in s]
        assert [t["id"] for t in s] == list(range(1, len(s) + 1))
        assert is_tree(heads), s.metadata
        assert {t["deprel"] for t in s} <= UD_DEPRELS
        assert [t for t in s if t["deprel"] == "root"] == [t for t in s if t["head"] == 0]


@pytest.mark.parametrize("split", ["train", "valid"])
def test_conllu_forms_are_the_corpus_tokens_line_by_line(world_dir: Path, split: str) -> None:
    lines = (world_dir / "corpus" / f"{split}.txt").read_text(encoding="utf-8").splitlines()
    sentences = parse(world_dir / "corpus" / f"{split}.conllu")
    assert len(lines) == len(sentences)
    for i, (line, s) in enumerate(zip(lines, sentences, strict=True), start=1):
        assert line.split(" ") == [t["form"] for t in s]
        assert s.metadata["text"] == line
        assert s.metadata["sent_id"] == f"{split}-{i}"


def test_corpus_is_lowercase_space_tokenized_with_final_period(world_dir: Path) -> None:
    for split in ("train", "valid"):
        for line in (
            (world_dir / "corpus" / f"{split}.txt").read_text(encoding="utf-8").splitlines()
        ):
            assert line.endswith(" .") and "  " not in line
            assert all(re.fullmatch(r"[a-z]+|[.,]", tok) for tok in line.split(" ")), line


def test_grammar_sentences_keep_agreement_everywhere_in_the_corpus(world_dir: Path, checks) -> None:
    templates = [
        t for _, r in read_jsonl(world_dir / "relations.jsonl") for t in r["corpus_templates"]
    ]
    fact_patterns = [checks.template_regex(t, anchored=True) for t in templates]
    checked = 0
    for s in parse(world_dir / "corpus" / "train.conllu") + parse(world_dir / "trees.conllu"):
        if any(p.match(s.metadata["text"]) for p in fact_patterns):
            continue  # a fact sentence: its template fixes its words
        forms = [t["form"] for t in s]
        errors = checks.agreement_violations(
            forms, [t["head"] for t in s], [t["deprel"] for t in s], [t["upos"] for t in s]
        )
        assert not errors, (" ".join(forms), errors)
        checked += 1
    assert checked > 2000


def test_heldout_trees_are_grammar_sentences_not_in_the_training_corpus(
    world_dir: Path, checks
) -> None:
    train = set((world_dir / "corpus" / "train.txt").read_text(encoding="utf-8").splitlines())
    texts = [s.metadata["text"] for s in parse(world_dir / "trees.conllu")]
    assert len(texts) == 300 == len(set(texts))
    assert not train & set(texts)
    templates = [
        t for _, r in read_jsonl(world_dir / "relations.jsonl") for t in r["corpus_templates"]
    ]
    patterns = [checks.template_regex(t, anchored=True) for t in templates]
    assert not any(p.match(text) for p in patterns for text in texts)


def test_fact_templates_have_valid_ud_trees() -> None:
    for rel in relation_templates().values():
        for template in (rel.probe, *rel.corpus):
            assert is_tree([h + 1 for h in template.heads]), template.text
            assert set(template.deprels) <= UD_DEPRELS
