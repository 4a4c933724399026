"""Dependency trees: CoNLL-U files and spaCy parses, in one structure.

A :class:`DependencySentence` holds the *syntactic words* of a sentence with their heads
(1-based, 0 = root), relation labels and universal POS tags. Two sources fill it:

- :func:`read_conllu` reads CoNLL-U with the ``conllu`` package. Multiword-token ranges
  (``1-2 don't``) and empty nodes (``8.1``) are skipped: UAS is defined on syntactic words.
  Every line is checked first, so a malformed file stops with ``FILE:LINE: what was expected``.
- :mod:`bertology.data.parsing` parses raw text with spaCy into the same structure.

:func:`write_conllu` caches parses as CoNLL-U (``bertology parse --text F --out F.conllu``),
so a corpus is parsed once and every model is measured on the same trees.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import conllu

from bertology.errors import InputError
from bertology.io import atomic_write_text, iter_text_lines

#: Relation labels of the root word (UD writes ``root``, spaCy's English scheme ``ROOT``).
ROOT_DEPRELS = frozenset({"root", "ROOT"})
#: Relation labels of punctuation (UD and spaCy agree).
PUNCT_DEPRELS = frozenset({"punct"})

_INT_ID = re.compile(r"^[1-9][0-9]*$")
_RANGE_ID = re.compile(r"^[1-9][0-9]*-[1-9][0-9]*$")
_EMPTY_ID = re.compile(r"^[0-9]+\.[1-9][0-9]*$")


@dataclass
class DependencySentence:
    """One dependency tree over syntactic words.

    ``heads[i]`` is the 1-based index of word ``i + 1``'s parent, 0 for the root.
    """

    forms: list[str]
    heads: list[int]
    deprels: list[str]
    upos: list[str]
    sent_id: str | None = None
    text: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.forms)
        if not (len(self.heads) == len(self.deprels) == len(self.upos) == n):
            raise ValueError(
                f"forms, heads, deprels and upos must have the same length, got "
                f"{n}, {len(self.heads)}, {len(self.deprels)}, {len(self.upos)}"
            )
        for i, h in enumerate(self.heads):
            if not 0 <= h <= n or h == i + 1:
                raise ValueError(f"word {i + 1}: head {h} is not in 0..{n} or points to itself")

    def __len__(self) -> int:
        return len(self.forms)

    @property
    def parents(self) -> list[int]:
        """0-based parent index of every word, -1 for the root."""
        return [h - 1 for h in self.heads]


# --- CoNLL-U ---------------------------------------------------------------------------------


def _check_token_line(cols: list[str], path: Path, lineno: int) -> str:
    """Validate one token line; return its kind: ``word``, ``range`` or ``empty``."""
    if len(cols) != 10:
        raise InputError(
            f"expected 10 tab-separated CoNLL-U columns, got {len(cols)}", path, lineno
        )
    tid = cols[0]
    if _RANGE_ID.match(tid):
        return "range"
    if _EMPTY_ID.match(tid):
        return "empty"
    if not _INT_ID.match(tid):
        raise InputError(
            f"expected an ID (an integer, a range such as 1-2, or a decimal such as 8.1), "
            f"got {tid!r}",
            path,
            lineno,
        )
    if not cols[1]:
        raise InputError("expected a FORM, got an empty column", path, lineno)
    if not re.fullmatch(r"[0-9]+", cols[6]):
        raise InputError(f"expected an integer HEAD, got {cols[6]!r}", path, lineno)
    if not cols[7] or cols[7] == "_":
        raise InputError(f"expected a DEPREL, got {cols[7]!r}", path, lineno)
    return "word"


def _block_to_sentence(
    lines: list[tuple[int, str]], path: Path, word_lines: list[int]
) -> DependencySentence:
    """Parse one validated block with ``conllu`` and keep its syntactic words."""
    text = "\n".join(line for _, line in lines) + "\n\n"
    try:
        (tokenlist,) = conllu.parse(text)
    except Exception as e:  # noqa: BLE001 - conllu raises several exception types
        raise InputError(f"malformed CoNLL-U sentence ({e})", path, lines[0][0]) from None
    words = [t for t in tokenlist if isinstance(t["id"], int)]
    n = len(words)
    for k, (tok, lineno) in enumerate(zip(words, word_lines, strict=True)):
        if tok["id"] != k + 1:
            raise InputError(
                f"expected word ID {k + 1} (IDs must run 1, 2, 3, ...), got {tok['id']}",
                path,
                lineno,
            )
        head = tok["head"]
        if head is None or not 0 <= head <= n:
            raise InputError(f"HEAD {head} is outside 0..{n}", path, lineno)
        if head == k + 1:
            raise InputError(f"word {k + 1} is its own HEAD", path, lineno)
    meta = {str(k): str(v) for k, v in (tokenlist.metadata or {}).items()}
    _check_tree([int(t["head"]) for t in words], JOINED in meta, path, lines[0][0])
    return DependencySentence(
        forms=[str(t["form"]) for t in words],
        heads=[int(t["head"]) for t in words],
        deprels=[str(t["deprel"]) for t in words],
        upos=[str(t["upos"] or "_") for t in words],
        sent_id=meta.get("sent_id"),
        text=meta.get("text"),
        metadata=meta,
    )


# Metadata key of a tree that bertology joined from several sentences of one text line (the
# spaCy parse cache of pre-training): only such a tree may have several roots.
JOINED = "joined_sentences"


def _check_tree(heads: list[int], joined: bool, path: Path, line: int) -> None:
    """One tree: a root, no cycle, and one root unless bertology joined the sentence."""
    roots = [k + 1 for k, h in enumerate(heads) if h == 0]
    if not roots:
        raise InputError("the sentence has no root (no word with HEAD 0)", path, line)
    if len(roots) > 1 and not joined:
        listed = ", ".join(map(str, roots[:5])) + (", ..." if len(roots) > 5 else "")
        raise InputError(
            f"the sentence has {len(roots)} roots (words {listed}); a tree has one", path, line
        )
    state = [0] * (len(heads) + 1)  # 0: unseen, 1: on the current path, 2: reaches a root
    state[0] = 2
    for start in range(1, len(heads) + 1):
        path_words, w = [], start
        while state[w] == 0:
            state[w] = 1
            path_words.append(w)
            w = heads[w - 1]
        if state[w] == 1:  # came back to a word of this path
            cycle = path_words[path_words.index(w) :]
            words = " -> ".join(map(str, [*cycle, w]))
            raise InputError(f"the HEADs form a cycle ({words})", path, line)
        for v in path_words:
            state[v] = 2


def iter_conllu(path: str | Path) -> Iterator[DependencySentence]:
    """Yield the sentences of a CoNLL-U file one at a time (syntactic words only).

    Raises :class:`InputError` with ``FILE:LINE`` on the first malformed line, and at the
    sentence's first line for a tree without a root, with a cycle, or with several roots
    (allowed only in trees bertology joined, marked ``# joined_sentences = N``).
    """
    path = Path(path)
    block: list[tuple[int, str]] = []
    word_lines: list[int] = []
    for lineno, line in iter_text_lines(path):
        if not line.strip():
            if word_lines:
                yield _block_to_sentence(block, path, word_lines)
            elif block and any(not b.startswith("#") for _, b in block):
                raise InputError("sentence has no syntactic words", path, block[0][0])
            block, word_lines = [], []
            continue
        is_token = not line.startswith("#")
        if is_token and _check_token_line(line.split("\t"), path, lineno) == "word":
            word_lines.append(lineno)
        block.append((lineno, line))
    if word_lines:
        yield _block_to_sentence(block, path, word_lines)


def read_conllu(path: str | Path, max_sentences: int | None = None) -> list[DependencySentence]:
    """Read a CoNLL-U file; an empty file (no sentences) is an error."""
    sents: list[DependencySentence] = []
    for s in iter_conllu(path):
        sents.append(s)
        if max_sentences is not None and len(sents) >= max_sentences:
            break
    if not sents:
        raise InputError("no sentences found (expected CoNLL-U token lines)", path)
    return sents


def _clean_field(value: str) -> str:
    """CoNLL-U fields may not contain tabs or newlines; empty fields are written ``_``."""
    value = re.sub(r"[\t\r\n]", " ", value)
    return value if value.strip() else "_"


def format_conllu(sentences: Iterable[DependencySentence]) -> str:
    """Sentences as CoNLL-U text (LEMMA, XPOS, FEATS, DEPS and MISC are written ``_``)."""
    out: list[str] = []
    for k, s in enumerate(sentences, start=1):
        meta = dict(s.metadata)
        meta["sent_id"] = s.sent_id or meta.get("sent_id") or str(k)
        if s.text is not None:
            meta["text"] = s.text
        for key, value in meta.items():
            out.append(f"# {key} = {_clean_field(value)}")
        for i, (form, head, rel, pos) in enumerate(
            zip(s.forms, s.heads, s.deprels, s.upos, strict=True), 1
        ):
            cols = [str(i), _clean_field(form), "_", _clean_field(pos), "_", "_", str(head)]
            cols += [_clean_field(rel), "_", "_"]
            out.append("\t".join(cols))
        out.append("")
    return "\n".join(out) + ("\n" if out else "")


def write_conllu(sentences: Iterable[DependencySentence], path: str | Path) -> Path:
    """Write sentences as CoNLL-U, atomically."""
    return atomic_write_text(path, format_conllu(sentences))


def relation_counts(sentences: Sequence[DependencySentence]) -> dict[str, int]:
    """How often each relation label occurs, most frequent first."""
    counts: dict[str, int] = {}
    for s in sentences:
        for r in s.deprels:
            counts[r] = counts.get(r, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
