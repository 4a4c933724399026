"""``generate_world``: write a whole synthetic world (corpus, trees, facts, pairs) to a directory.

Layout of the output directory::

    corpus/train.txt  corpus/valid.txt      one sentence a line, space-separated tokens
    corpus/train.conllu  corpus/valid.conllu gold trees; sentence i is line i of the .txt
    trees.conllu                            held-out grammar sentences, for UAS
    facts.jsonl  relations.jsonl            the knowledge base and its probe templates
    choice.jsonl                            multiple-choice questions on held-out facts
    minimal_pairs/<UID>.jsonl               BLiMP-format pairs
    world.json                              config and statistics

Fact sentences are mixed among the grammar's sentences at random positions. The directory is
built under a temporary name and renamed when complete, so a world is never half-written.
Every random choice comes from a ``random.Random`` seeded by ``(seed, purpose)``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from bertology.errors import InputError
from bertology.io import atomic_directory, atomic_write_json, atomic_write_jsonl
from bertology.world import words as W
from bertology.world.choice import choice_questions, choice_summary
from bertology.world.config import WorldConfig
from bertology.world.grammar import SentenceGenerator
from bertology.world.knowledge import (
    KnowledgeBase,
    allocate_counts,
    build_knowledge_base,
    plan_mentions,
    sample_mentions,
)
from bertology.world.nonce import world_lexicon
from bertology.world.pairs import generate_minimal_pairs
from bertology.world.summary import SplitStats, world_stats

PILOT_SENTENCES = 2000


class WorldWriter:
    """Generates and writes the parts of one world; ``generate_world`` calls it in order."""

    def __init__(self, config: WorldConfig):
        self.config = config
        self.lex = world_lexicon(config.seed, config.word_zipf_exponent, config.n_entities)
        self.kb: KnowledgeBase = build_knowledge_base(config, self.lex)
        pilot = self.grammar(f"{config.seed}:pilot")
        self.grammar_length = (
            sum(len(pilot.sentence()) for _ in range(PILOT_SENTENCES)) / PILOT_SENTENCES
        )
        weights = [f.weight for f in self.kb.facts]
        lengths = [
            sum(map(len, self.kb.relations[f.relation].corpus))
            / len(self.kb.relations[f.relation].corpus)
            for f in self.kb.facts
        ]
        self.fact_length = sum(w * n for w, n in zip(weights, lengths, strict=True)) / sum(weights)

    def grammar(self, stream: str) -> SentenceGenerator:
        c = self.config
        return SentenceGenerator(
            self.lex, random.Random(stream), c.grammar, c.p_plural, c.max_depth
        )

    def corpus(
        self, split: str, target_tokens: int, text: TextIO, conllu: TextIO, exact: bool
    ) -> SplitStats:
        """Write one split. ``exact``: every fact is stated its allocated number of times (the
        training split); otherwise mentions are drawn in proportion to the facts' weights."""
        c, kb = self.config, self.kb
        seed = c.seed
        f = c.fact_sentence_fraction
        n_grammar = target_tokens / (self.grammar_length + f / (1 - f) * self.fact_length)
        n_facts = round(f / (1 - f) * n_grammar)
        fact_rng = random.Random(f"{seed}:{split}:facts")
        if exact:
            counts = allocate_counts(n_facts, [x.weight for x in kb.facts], c.min_fact_count)
            mentions = plan_mentions(kb, counts, fact_rng)
        else:
            mentions = sample_mentions(kb, n_facts, fact_rng)
        fact_tokens = sum(len(kb.relations[kb.facts[i].relation].corpus[t]) for i, t in mentions)
        budget = max(target_tokens - fact_tokens, 0)

        gen = self.grammar(f"{seed}:{split}:grammar")
        mix = random.Random(f"{seed}:{split}:mix")
        stats = SplitStats(fact_counts=[0] * len(kb.facts))
        grammar_tokens, next_fact = 0, 0
        while next_fact < len(mentions) or grammar_tokens < budget:
            facts_left = len(mentions) - next_fact
            grammar_left = max(budget - grammar_tokens, 0) / self.grammar_length
            if facts_left and mix.random() * (facts_left + grammar_left) < facts_left:
                i, t = mentions[next_fact]
                next_fact += 1
                s = kb.fact_sentence(kb.facts[i], t, self.lex)
                stats.fact_sentences += 1
                stats.fact_counts[i] += 1
                stats.template_counts[kb.facts[i].relation, t] += 1
            else:
                s = gen.sentence()
                grammar_tokens += len(s)
                if exact:
                    stats.grammar_texts.add(s.text)
            stats.sentences += 1
            stats.tokens += len(s)
            stats.max_length = max(stats.max_length, len(s))
            forms = s.forms
            stats.words.update(forms)
            stats.deprels.update(s.deprels)
            text.write(" ".join(forms) + "\n")
            conllu.write(s.conllu(f"{split}-{stats.sentences}"))
        return stats

    def heldout_trees(self, out: TextIO, exclude: set[str]) -> dict[str, int]:
        """Grammar sentences that are not in the training corpus, distinct from each other."""
        gen = self.grammar(f"{self.config.seed}:heldout")
        seen = set(exclude)
        n = tokens = attempts = 0
        while n < self.config.heldout_trees and attempts < 100 * self.config.heldout_trees:
            attempts += 1
            s = gen.sentence()
            if s.text in seen:
                continue
            seen.add(s.text)
            n += 1
            tokens += len(s)
            out.write(s.conllu(f"heldout-{n}"))
        return {"sentences": n, "tokens": tokens}


def _check_out_dir(out: Path) -> None:
    """Only an empty directory or an earlier world may be replaced."""
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a directory", out)
    if out.exists() and any(out.iterdir()) and not (out / "world.json").exists():
        raise InputError(
            "exists, is not empty and holds no world.json; refusing to replace it", out
        )
    if out.is_dir():  # checked again, exactly, once the new world is written
        foreign = sorted(
            str(p.relative_to(out))
            for p in out.rglob("*")
            if p.is_file() and not any(p.relative_to(out).match(g) for g in WORLD_FILES)
        )
        if foreign:
            raise InputError(
                f"holds files the world does not write ({', '.join(foreign[:3])}"
                f"{', ...' if len(foreign) > 3 else ''}); move them away or choose another "
                "--out (bertology deletes no file it did not write)",
                out,
            )


# The files a world consists of (``minimal_pairs/`` has one file per paradigm).
WORLD_FILES = (
    "world.json", "facts.jsonl", "relations.jsonl", "trees.conllu", "corpus/train.txt",
    "corpus/valid.txt", "corpus/train.conllu", "corpus/valid.conllu", "minimal_pairs/*.jsonl",
    "choice.jsonl",
)  # fmt: skip


def generate_world(
    out_dir: str | Path,
    config: WorldConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Generate the world for ``config`` into ``out_dir`` and return its statistics (world.json).

    ``out_dir`` may not exist, be empty or hold an earlier world (which is replaced).
    ``progress`` receives one line per finished step.
    """
    config = (config or WorldConfig()).validate()
    say = progress or (lambda message: None)
    out = Path(out_dir)
    _check_out_dir(out)
    start = time.perf_counter()
    writer = WorldWriter(config)
    kb = writer.kb
    with atomic_directory(out, overwrite=True) as tmp:
        (tmp / "corpus").mkdir()
        splits: dict[str, SplitStats] = {}
        for split, tokens, exact in [
            ("train", config.tokens, True),
            ("valid", round(config.tokens * config.valid_fraction), False),
        ]:
            with (
                open(tmp / "corpus" / f"{split}.txt", "w", encoding="utf-8") as text,
                open(tmp / "corpus" / f"{split}.conllu", "w", encoding="utf-8") as conllu,
            ):
                splits[split] = writer.corpus(split, tokens, text, conllu, exact)
            elapsed = time.perf_counter() - start
            say(
                f"{split}: {splits[split].tokens:,} tokens, {splits[split].sentences:,} sentences ({elapsed:.1f} s)"
            )
        train, valid = splits["train"], splits["valid"]
        with open(tmp / "trees.conllu", "w", encoding="utf-8") as f:
            heldout = writer.heldout_trees(f, train.grammar_texts)
        say(f"trees.conllu: {heldout['sentences']:,} held-out sentences")

        pairs = generate_minimal_pairs(
            writer.lex,
            config.seed,
            config.pairs_per_paradigm,
            config.p_plural,
            config.grammar,
            exclude=train.grammar_texts,
        )
        for uid, items in pairs.items():
            atomic_write_jsonl(
                tmp / "minimal_pairs" / f"{uid}.jsonl", (p.to_json(i) for i, p in enumerate(items))
            )
        say(f"minimal_pairs: {len(pairs)} paradigms x {config.pairs_per_paradigm} pairs")

        facts = [
            {
                "subject": f.subject, "relation": f.relation, "object": f.object,
                "count": train.fact_counts[i], "valid_count": valid.fact_counts[i], "category": f.category,
            }
            for i, f in enumerate(kb.facts)
        ]  # fmt: skip
        atomic_write_jsonl(tmp / "facts.jsonl", facts)
        atomic_write_jsonl(
            tmp / "relations.jsonl",
            (
                {
                    "relation": r.relation,
                    "template": r.probe.text,
                    "corpus_templates": [t.text for t in r.corpus],
                    "object_pos": r.object_upos,
                    "objects": W.OBJECTS[r.relation],
                }
                for r in kb.relations.values()
            ),
        )
        questions = choice_questions(kb, config.seed)
        atomic_write_jsonl(tmp / "choice.jsonl", questions)
        n_pairs = {u: len(p) for u, p in pairs.items()}
        stats = world_stats(config, kb, writer.lex, train, valid, heldout, n_pairs, facts)
        stats["choice"] = choice_summary(questions)
        atomic_write_json(tmp / "world.json", stats)
        _check_nothing_foreign(out, tmp)
    say(f"wrote {out} in {time.perf_counter() - start:.1f} s")
    return stats


def _check_nothing_foreign(out: Path, new: Path) -> None:
    """Replacing an earlier world must not delete a file the world did not write: every file
    in ``out`` must be one the new world writes too."""
    if not out.is_dir():
        return
    ours = {p.relative_to(new) for p in new.rglob("*")}
    foreign = sorted(p.relative_to(out) for p in out.rglob("*") if p.relative_to(out) not in ours)
    if foreign:
        raise InputError(
            f"holds files the world does not write ({', '.join(map(str, foreign[:3]))}"
            f"{', ...' if len(foreign) > 3 else ''}); move them away or choose another --out "
            "(bertology deletes no file it did not write)",
            out,
        )
