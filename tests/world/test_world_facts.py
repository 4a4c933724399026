"""The knowledge base: facts are stated exactly as often as world.json says, through their
relation's corpus templates, and the held-out probe templates never occur in the corpus."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from bertology.data.facts import read_facts
from bertology.io import read_jsonl


def relations(world_dir: Path) -> list[dict]:
    return [r for _, r in read_jsonl(world_dir / "relations.jsonl")]


def facts(world_dir: Path) -> list[dict]:
    return [f for _, f in read_jsonl(world_dir / "facts.jsonl")]


def corpus_lines(world_dir: Path, split: str) -> list[str]:
    return (world_dir / "corpus" / f"{split}.txt").read_text(encoding="utf-8").splitlines()


def count_stated_facts(world_dir: Path, split: str, checks) -> Counter:
    """Scan the corpus text: every line that matches a corpus template states one fact."""
    patterns = [
        (r["relation"], checks.template_regex(t, anchored=True))
        for r in relations(world_dir)
        for t in r["corpus_templates"]
    ]
    counts: Counter = Counter()
    for line in corpus_lines(world_dir, split):
        found = [(rel, m) for rel, p in patterns if (m := p.match(line))]
        assert len(found) <= 1, line
        if found:
            rel, m = found[0]
            counts[m["x"], rel, m["y"]] += 1
    return counts


def test_every_fact_is_stated_as_often_as_world_json_says(world_dir: Path, checks) -> None:
    world = json.loads((world_dir / "world.json").read_text())
    for split, key in [("train", "count"), ("valid", "valid_count")]:
        stated = count_stated_facts(world_dir, split, checks)
        expected = {(f["subject"], f["relation"], f["object"]): f[key] for f in world["facts"]}
        assert {k: v for k, v in stated.items()} == {k: v for k, v in expected.items() if v}
        assert sum(stated.values()) == world["corpus"][split]["fact_sentences"]
        from_file = {(f["subject"], f["relation"], f["object"]): f[key] for f in facts(world_dir)}
        assert from_file == expected


def test_no_probe_template_occurs_anywhere_in_the_corpus(world_dir: Path, checks) -> None:
    texts = corpus_lines(world_dir, "train") + corpus_lines(world_dir, "valid")
    texts += re.findall(r"^# text = (.*)$", (world_dir / "trees.conllu").read_text(), flags=re.M)
    for r in relations(world_dir):
        probe = checks.template_regex(r["template"], anchored=False)
        assert not [t for t in texts if probe.search(t)], r["template"]
        assert r["template"] not in r["corpus_templates"]


def test_probe_templates_use_only_words_the_corpus_has(world_dir: Path) -> None:
    vocabulary = {w for line in corpus_lines(world_dir, "train") for w in line.split()}
    for r in relations(world_dir):
        assert set(r["template"].split()) - {"[X]", "[Y]"} <= vocabulary, r["template"]


def test_relations_have_own_objects_and_several_paraphrases(world_dir: Path) -> None:
    rels = relations(world_dir)
    assert len(rels) >= 8
    seen: set[str] = set()
    for r in rels:
        assert len(r["corpus_templates"]) >= 3 and len(set(r["corpus_templates"])) == len(
            r["corpus_templates"]
        )
        assert all(
            t.count("[X]") == 1 and t.count("[Y]") == 1
            for t in [r["template"], *r["corpus_templates"]]
        )
        assert not seen & set(r["objects"])
        seen |= set(r["objects"])
    objects = {r["relation"]: set(r["objects"]) for r in rels}
    for f in facts(world_dir):
        assert f["object"] in objects[f["relation"]]
        assert re.fullmatch("[a-z]+", f["subject"]) and re.fullmatch("[a-z]+", f["object"])


def test_facts_load_as_canonical_facts_with_their_probe_templates(world_dir: Path) -> None:
    fact_set = read_facts(world_dir / "facts.jsonl", world_dir / "relations.jsonl")
    assert len(fact_set.facts) == len(facts(world_dir))
    assert fact_set.duplicates_removed == 0
    assert len(fact_set.relation_names) >= 8


def test_fact_frequencies_are_zipfian_with_rare_and_frequent_facts(tmp_path: Path, checks) -> None:
    from bertology.world import generate_world

    stats = generate_world(
        tmp_path / "w", checks.small_config(tokens=150_000, pairs_per_paradigm=0, heldout_trees=0)
    )
    counts = sorted((f["count"] for f in stats["facts"]), reverse=True)
    assert min(counts) >= 1
    assert counts[0] >= 10 * counts[len(counts) // 2]  # a long head
    assert sum(c <= 3 for c in counts) >= len(counts) // 10  # and a tail of rare facts
    assert abs(stats["corpus"]["train"]["fact_sentence_fraction"] - 0.2) < 0.02


def test_entities_also_occur_in_grammar_sentences(world_dir: Path, checks) -> None:
    patterns = [
        checks.template_regex(t, anchored=True)
        for r in relations(world_dir)
        for t in r["corpus_templates"]
    ]
    grammar_words = Counter(
        w
        for line in corpus_lines(world_dir, "train")
        if not any(p.match(line) for p in patterns)
        for w in line.split()
    )
    subjects = {f["subject"] for f in facts(world_dir)}
    assert sum(grammar_words[s] > 0 for s in subjects) >= 0.9 * len(subjects)


def test_every_word_is_one_token_of_a_wordpiece_vocabulary_trained_on_the_corpus(
    world_dir: Path,
) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    lines = corpus_lines(world_dir, "train")
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(
        lines,
        trainers.WordPieceTrainer(vocab_size=3000, special_tokens=specials, show_progress=False),
    )
    words = {w for line in lines for w in line.split()}
    assert [w for w in sorted(words) if len(tok.encode(w).tokens) != 1] == []
    probed = {f["subject"] for f in facts(world_dir)} | {f["object"] for f in facts(world_dir)}
    assert probed <= words
