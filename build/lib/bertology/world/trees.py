"""Dependency trees built while a sentence is generated, and their CoNLL-U form.

A :class:`Sentence` grows left to right: ``add`` appends a word and returns its position,
``attach`` sets a word's head and relation once the head is known (determiners and adjectives
come before their noun, so they are attached after it is added). Positions are 0-based while
building; CoNLL-U heads are 1-based with 0 for the root.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bertology.world.lexicon import Word

ROOT = -1  # head of the root word while building (CoNLL-U: 0)

# The dependency relations the world uses: the grammar's, then the fact templates' extras.
GRAMMAR_DEPRELS = (
    "root", "nsubj", "obj", "obl", "nmod", "det", "amod", "case", "acl:relcl", "cc", "conj",
    "punct", "advmod",
)  # fmt: skip
TEMPLATE_DEPRELS = (
    "cop", "aux", "aux:pass", "nsubj:pass", "mark", "advcl", "xcomp", "nummod", "compound",
    "fixed", "nmod:poss", "expl", "csubj",
)  # fmt: skip


@dataclass
class Sentence:
    """Words with heads and relations; ``heads[i]`` is a 0-based position or ``ROOT``."""

    words: list[Word] = field(default_factory=list)
    heads: list[int] = field(default_factory=list)
    deprels: list[str] = field(default_factory=list)

    def add(self, word: Word, head: int = ROOT, deprel: str = "root") -> int:
        self.words.append(word)
        self.heads.append(head)
        self.deprels.append(deprel)
        return len(self.words) - 1

    def attach(self, dependent: int, head: int, deprel: str) -> None:
        self.heads[dependent] = head
        self.deprels[dependent] = deprel

    def __len__(self) -> int:
        return len(self.words)

    @property
    def forms(self) -> list[str]:
        return [w.form for w in self.words]

    @property
    def text(self) -> str:
        """The corpus line: forms joined by single spaces."""
        return " ".join([w.form for w in self.words])

    def conllu(self, sent_id: str) -> str:
        """The sentence as a CoNLL-U block (comments, 10 columns, trailing blank line)."""
        lines = [f"# sent_id = {sent_id}", f"# text = {self.text}"]
        for i, (w, h, r) in enumerate(zip(self.words, self.heads, self.deprels, strict=True)):
            lines.append(f"{i + 1}\t{w.columns}\t{h + 1}\t{r}\t_\t_")
        return "\n".join(lines) + "\n\n"


def tree_errors(heads: list[int]) -> list[str]:
    """Why ``heads`` (1-based CoNLL-U heads, 0 = root) is not a tree; empty when it is one."""
    n = len(heads)
    errors = [
        f"word {i + 1}: head {h} out of range" for i, h in enumerate(heads) if not 0 <= h <= n
    ]
    if errors:
        return errors
    roots = [i + 1 for i, h in enumerate(heads) if h == 0]
    if len(roots) != 1:
        errors.append(f"expected one root, found {len(roots)} ({roots})")
    for start in range(1, n + 1):
        seen, node = set(), start
        while node != 0:
            if node in seen:
                errors.append(f"word {start}: cycle through word {node}")
                break
            seen.add(node)
            node = heads[node - 1]
    return errors
