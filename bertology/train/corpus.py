"""Reading a pre-training corpus: sentences, their gold trees, and their tokens' words.

A corpus is read sentence by sentence: text files (one sentence a line), ``.jsonl``/``.json``/
``.parquet``/``.csv``/``.arrow`` read with ``datasets``, or ``hf:NAME[:CONFIG][@SPLIT]``. Gold
trees (``data.trees``, CoNLL-U, one tree per text line) are aligned to the text by characters.
One tokenized sentence records, per token, the first piece of its word (``first_pos``), which
whole-word masking needs, and the tree's edges between first pieces, which the syntactic
regularizer needs.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bertology.data.dependency import iter_conllu
from bertology.errors import InputError
from bertology.io import iter_text_lines

_TABULAR = {
    ".jsonl": "json",
    ".json": "json",
    ".parquet": "parquet",
    ".csv": "csv",
    ".arrow": "arrow",
}
_WORD = re.compile(r"\S+")


def file_identity(src: str) -> Any:
    """What identifies an input for a cache key: resolved path, size and mtime (or the name)."""
    p = Path(src)
    if p.exists():
        st = p.stat()
        return [str(p.resolve()), st.st_size, st.st_mtime_ns]
    return src


def iter_trees(path: str | Path) -> Iterator[tuple[list[str], list[int]]]:
    """``(forms, heads)`` of each tree of a CoNLL-U file, in order (heads 1-based, 0 = root)."""
    for s in iter_conllu(path):
        yield s.forms, s.heads


@dataclass
class CorpusSentence:
    """One training sentence, with its gold tree when there is one."""

    text: str
    source: str
    line: int
    heads: list[int] | None = None  # 1-based head of each word, 0 for the root
    spans: list[tuple[int, int]] | None = None  # character span of each word of the tree in text


def iter_texts(paths: Iterable[str], text_column: str = "text") -> Iterator[tuple[str, int, str]]:
    """Yield ``(source, line, text)`` for every non-blank sentence of the inputs, in order."""
    for src in paths:
        if src.startswith("hf:"):
            yield from _iter_hf(src, text_column)
            continue
        p = Path(src)
        if not p.exists():
            raise InputError("training/validation file not found", p)
        fmt = _TABULAR.get(p.suffix.lower())
        if fmt is None:
            for lineno, line in iter_text_lines(p):
                text = line.strip()
                if text:
                    yield str(p), lineno, text
        else:
            yield from _iter_tabular(p, fmt, text_column)


def _iter_tabular(p: Path, fmt: str, text_column: str) -> Iterator[tuple[str, int, str]]:
    from datasets import load_dataset  # datasets: only for tabular or hub input

    try:
        ds = load_dataset(fmt, data_files=str(p), split="train")
    except Exception as e:  # noqa: BLE001 - datasets raises many types for a malformed file
        raise InputError(f"cannot read as {fmt}: {e}", p) from None
    if text_column not in ds.column_names:
        raise InputError(
            f"no column {text_column!r} (columns: {', '.join(ds.column_names)}); set data.text_column",
            p,
        )
    for i, row in enumerate(ds):
        text = (row[text_column] or "").strip()
        if text:
            yield str(p), i + 1, text


def _iter_hf(src: str, text_column: str) -> Iterator[tuple[str, int, str]]:
    from datasets import load_dataset  # datasets: only for tabular or hub input

    spec = src[3:]
    spec, _, split = spec.partition("@")
    name, _, conf = spec.partition(":")
    try:
        ds = load_dataset(name, conf or None, split=split or "train")
    except Exception as e:  # noqa: BLE001
        raise InputError(f"cannot load dataset {name!r}: {e}", src) from None
    if text_column not in ds.column_names:
        raise InputError(f"no column {text_column!r} (columns: {', '.join(ds.column_names)})", src)
    for i, row in enumerate(ds):
        text = (row[text_column] or "").strip()
        if text:
            yield src, i + 1, text


def word_spans(
    text: str, forms: list[str], where: str, line: int, trees: str | None = None
) -> list[tuple[int, int]]:
    """Character spans of ``forms`` found in order in ``text`` (gold words, spaCy tokens);
    ``trees`` names the file the words come from, for the message."""
    spans, pos = [], 0
    for form in forms:
        start = text.find(form, pos)
        if start < 0:
            raise InputError(
                f"the tree's word {form!r} is not in the text line {text[:60]!r}: data.trees"
                + (f" ({trees})" if trees else "")
                + " must be aligned line by line with data.train",
                where,
                line,
            )
        spans.append((start, start + len(form)))
        pos = start + len(form)
    return spans


def iter_sentences(
    paths: list[str], trees: list[str] | None, text_column: str = "text", limit: int | None = None
) -> Iterator[CorpusSentence]:
    """Training sentences, each with its gold tree when ``trees`` (one file per text) are given."""
    n = 0
    if not trees:
        for src, line, text in iter_texts(paths, text_column):
            if limit is not None and n >= limit:
                return
            n += 1
            yield CorpusSentence(text=text, source=src, line=line)
        return
    for text_path, tree_path in zip(paths, trees, strict=True):
        tree_iter = iter_trees(tree_path)
        for src, line, text in iter_texts([text_path], text_column):
            if limit is not None and n >= limit:
                return
            tree = next(tree_iter, None)
            if tree is None:
                raise InputError(
                    f"{tree_path} has fewer trees than {text_path} has sentences "
                    f"(no tree for this line)",
                    src,
                    line,
                )
            forms, heads = tree
            n += 1
            yield CorpusSentence(
                text, src, line, heads=heads, spans=word_spans(text, forms, src, line, tree_path)
            )
        if next(tree_iter, None) is not None:
            raise InputError(f"has more trees than {text_path} has sentences", tree_path)


# --- tokenizing one sentence -------------------------------------------------------------------


def token_edges(heads: list[int], first_piece: np.ndarray) -> np.ndarray:
    """``(e, 2)`` edges ``(dependent, head)`` at the first piece of each word of one sentence.

    ``heads[w]`` is word ``w``'s 1-based head (0: the root, which has no edge);
    ``first_piece[w]`` is the token index of word ``w``'s first piece (-1: the word has no
    token, so its edges are dropped).
    """
    rows = [
        (int(first_piece[w]), int(first_piece[h - 1]))
        for w, h in enumerate(heads)
        if h and first_piece[w] >= 0 and first_piece[h - 1] >= 0
    ]
    return np.asarray(rows, dtype=np.int64).reshape(-1, 2)


@dataclass
class TokenizedSentence:
    """Token ids of one sentence, each token's word's first piece, and token-level edges."""

    ids: np.ndarray  # (n,) int64
    first_pos: np.ndarray  # (n,) int64, index of the first piece of the token's word
    edges: np.ndarray  # (e, 2) int64, (dependent first piece, head first piece)


def align_sentence(
    ids: list[int], offsets: list[tuple[int, int]], text: str, sent: CorpusSentence
) -> TokenizedSentence:
    """Map tokens to words by character offsets and the tree's edges to token positions.

    Words are the tree's words when there is a tree, else the whitespace-separated words.
    A token belongs to the word whose span contains its first character.
    """
    spans = sent.spans if sent.spans is not None else [m.span() for m in _WORD.finditer(text)]
    starts = [s for s, _ in spans]
    n = len(ids)
    word_of = np.full(n, -1, dtype=np.int64)  # (n,)
    for t, (a, b) in enumerate(offsets):
        if b <= a:
            continue
        w = bisect.bisect_right(starts, a) - 1
        if w >= 0 and a < spans[w][1]:
            word_of[t] = w
    first_piece = np.full(len(spans), -1, dtype=np.int64)  # (n_words,)
    first_pos = np.arange(n, dtype=np.int64)  # (n,) tokens outside any word are their own word
    for t in range(n):
        w = word_of[t]
        if w >= 0:
            if first_piece[w] < 0:
                first_piece[w] = t
            first_pos[t] = first_piece[w]
    edges = np.zeros((0, 2), dtype=np.int64)
    if sent.heads is not None:
        edges = token_edges(sent.heads, first_piece)
    return TokenizedSentence(np.asarray(ids, dtype=np.int64), first_pos, edges)
