"""Training data: text tokenized once, packed into fixed-length sequences, cached as memmaps.

A corpus is read sentence by sentence (text files, one sentence a line; ``.jsonl``/``.json``/
``.parquet``/``.csv`` read with ``datasets``; or ``hf:NAME[:CONFIG][@SPLIT]``), tokenized in
batches with the fast tokenizer, and packed into rows of ``seq_len`` tokens:

- ``sentences`` packing: ``[CLS] s1 [SEP] s2 [SEP] ... [PAD]*``, whole sentences only, so every
  dependency tree stays inside one row (a sentence longer than a row is truncated and counted);
- ``stream`` packing: the concatenation ``s1 [SEP] s2 [SEP] ...`` cut every ``seq_len - 1``
  tokens after a ``[CLS]`` (no padding; edges cut by a row boundary are dropped).

For the syntactic regularizer each row carries its dependency edges as token positions (the
first piece of each word), from gold trees aligned with the text (``data.trees``) or from a
spaCy parse made once and cached. Each row also records, per token, the position of the first
piece of its word (``first_pos``), which whole-word masking needs.

The cache is a directory of raw little-endian arrays plus ``meta.json`` (no pickles), keyed by
the content that determines it (files, tokenizer, sequence length, packing), written atomically
and opened as ``numpy.memmap``: a corpus far larger than memory trains without loading it.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from bertology.errors import InputError
from bertology.io import atomic_directory, atomic_write_json

CACHE_VERSION = 1
_TABULAR = {
    ".jsonl": "json",
    ".json": "json",
    ".parquet": "parquet",
    ".csv": "csv",
    ".arrow": "arrow",
}
_WORD = re.compile(r"\S+")


# --- reading ----------------------------------------------------------------------------------


@dataclass
class Sentence:
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
            with open(p, encoding="utf-8") as f:
                for lineno, line in enumerate(f, start=1):
                    text = line.strip()
                    if text:
                        yield str(p), lineno, text
        else:
            yield from _iter_tabular(p, fmt, text_column)


def _iter_tabular(p: Path, fmt: str, text_column: str) -> Iterator[tuple[str, int, str]]:
    from datasets import load_dataset

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
    from datasets import load_dataset

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


def word_spans(text: str, forms: list[str], where: str, line: int) -> list[tuple[int, int]]:
    """Character spans of ``forms`` found in order in ``text`` (gold words, spaCy tokens)."""
    spans, pos = [], 0
    for form in forms:
        start = text.find(form, pos)
        if start < 0:
            raise InputError(
                f"the tree's word {form!r} is not in the text line {text[:60]!r}: data.trees must "
                "be aligned line by line with data.train",
                where,
                line,
            )
        spans.append((start, start + len(form)))
        pos = start + len(form)
    return spans


def iter_sentences(
    paths: list[str], trees: list[str] | None, text_column: str = "text", limit: int | None = None
) -> Iterator[Sentence]:
    """Training sentences, each with its gold tree when ``trees`` (one file per text) are given."""
    from bertology.train.trees import iter_trees

    n = 0
    if not trees:
        for src, line, text in iter_texts(paths, text_column):
            if limit is not None and n >= limit:
                return
            n += 1
            yield Sentence(text=text, source=src, line=line)
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
            yield Sentence(text, src, line, heads=heads, spans=word_spans(text, forms, src, line))
        if next(tree_iter, None) is not None:
            raise InputError(f"has more trees than {text_path} has sentences", tree_path)


# --- tokenizing one sentence -------------------------------------------------------------------


@dataclass
class TokenizedSentence:
    """Token ids of one sentence, each token's word's first piece, and token-level edges."""

    ids: np.ndarray  # (n,) int64
    first_pos: np.ndarray  # (n,) int64, index of the first piece of the token's word
    edges: np.ndarray  # (e, 2) int64, (dependent first piece, head first piece)


def align_sentence(
    ids: list[int], offsets: list[tuple[int, int]], text: str, sent: Sentence
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
        from bertology.train.trees import token_edges

        edges = token_edges(sent.heads, first_piece)
    return TokenizedSentence(np.asarray(ids, dtype=np.int64), first_pos, edges)


# --- packing ----------------------------------------------------------------------------------


@dataclass
class PackStats:
    """What packing did, for ``meta.json`` and the run's results."""

    sentences: int = 0
    tokens: int = 0  # sentence tokens, without special tokens
    rows: int = 0
    truncated_sentences: int = 0
    edges: int = 0
    dropped_edges: int = 0
    sentences_with_trees: int = 0


class _RowWriter:
    """Appends packed rows to raw array files in a directory."""

    def __init__(self, d: Path, seq_len: int):
        self.seq_len = seq_len
        self.pos_dtype = np.int16 if seq_len <= np.iinfo(np.int16).max else np.int32
        self.files = {
            name: open(d / f"{name}.bin", "wb")  # noqa: SIM115 - closed by close()
            for name in ("input_ids", "first_pos", "lengths", "edges", "edge_counts")
        }
        self.rows = 0
        self.n_edges = 0

    def write(
        self, ids: list[int], first_pos: list[int], edges: list[tuple[int, int]], pad: int
    ) -> None:
        T = self.seq_len
        n = len(ids)
        row_ids = np.full(T, pad, dtype=np.int32)
        row_ids[:n] = ids
        row_first = np.full(T, -1, dtype=self.pos_dtype)
        row_first[:n] = first_pos
        self.files["input_ids"].write(row_ids.tobytes())
        self.files["first_pos"].write(row_first.tobytes())
        self.files["lengths"].write(np.int32(n).tobytes())
        e = np.asarray(edges, dtype=self.pos_dtype).reshape(-1, 2)
        self.files["edges"].write(e.tobytes())
        self.files["edge_counts"].write(np.int32(len(e)).tobytes())
        self.rows += 1
        self.n_edges += len(e)

    def close(self) -> None:
        for f in self.files.values():
            f.close()


class _SentencePacker:
    """``[CLS] s1 [SEP] s2 [SEP] ...`` with whole sentences, padded to ``seq_len``."""

    def __init__(self, w: _RowWriter, cls_id: int, sep_id: int, pad_id: int, stats: PackStats):
        self.w, self.cls, self.sep, self.pad, self.stats = w, cls_id, sep_id, pad_id, stats
        self._reset()

    def _reset(self) -> None:
        self.ids, self.first, self.edges = [self.cls], [-1], []

    def add(self, s: TokenizedSentence) -> None:
        T = self.w.seq_len
        ids, first, edges = s.ids, s.first_pos, s.edges
        if len(ids) > T - 2:
            self.stats.truncated_sentences += 1
            keep = T - 2
            inside = (edges < keep).all(axis=1) if len(edges) else np.zeros(0, bool)
            self.stats.dropped_edges += int((~inside).sum())
            ids, first, edges = ids[:keep], first[:keep], edges[inside]
        if len(self.ids) + len(ids) + 1 > T:
            self.flush()
        off = len(self.ids)
        self.ids.extend(ids.tolist())
        self.first.extend((first + off).tolist())
        self.edges.extend((edges + off).tolist())
        self.ids.append(self.sep)
        self.first.append(-1)
        self.stats.edges += len(edges)

    def flush(self) -> None:
        if len(self.ids) > 1:
            self.w.write(self.ids, self.first, self.edges, self.pad)
        self._reset()


class _StreamPacker:
    """``[CLS]`` + the next ``seq_len - 1`` tokens of ``s1 [SEP] s2 [SEP] ...``."""

    def __init__(self, w: _RowWriter, cls_id: int, sep_id: int, pad_id: int, stats: PackStats):
        self.w, self.cls, self.sep, self.pad, self.stats = w, cls_id, sep_id, pad_id, stats
        self.base = 0  # stream position of ids[0]
        self.ids: list[int] = []
        self.first: list[int] = []  # absolute stream positions
        self.edges: list[tuple[int, int]] = []  # absolute stream positions

    def add(self, s: TokenizedSentence) -> None:
        off = self.base + len(self.ids)
        self.ids.extend(s.ids.tolist())
        self.first.extend((s.first_pos + off).tolist())
        self.edges.extend(map(tuple, (s.edges + off).tolist()))
        self.ids.append(self.sep)
        self.first.append(-1)
        self.stats.edges += len(s.edges)
        while len(self.ids) >= self.w.seq_len - 1:
            self._emit(self.w.seq_len - 1)

    def _emit(self, c: int) -> None:
        s, e = self.base, self.base + c
        # a word cut by the row start begins, in this row, at position 1
        first = [-1 if f < 0 else max(f - s, 0) + 1 for f in self.first[:c]]
        inside = [(a - s + 1, b - s + 1) for a, b in self.edges if s <= min(a, b) and max(a, b) < e]
        later = [(a, b) for a, b in self.edges if min(a, b) >= e]
        self.stats.dropped_edges += len(self.edges) - len(inside) - len(later)
        self.stats.edges -= len(self.edges) - len(inside) - len(later)
        self.w.write([self.cls, *self.ids[:c]], [-1, *first], inside, self.pad)
        self.ids, self.first, self.edges = self.ids[c:], self.first[c:], later
        self.base = e

    def flush(self) -> None:
        if self.ids:
            self._emit(len(self.ids))


def special_ids(tokenizer: Any) -> tuple[int, int, int]:
    """``(cls, sep, pad)`` ids: BERT's ``[CLS] [SEP] [PAD]`` or RoBERTa's ``<s> </s> <pad>``."""
    cls_id = (
        tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
    )
    sep_id = (
        tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
    )
    pad_id = tokenizer.pad_token_id
    if cls_id is None or sep_id is None or pad_id is None:
        raise InputError("the tokenizer needs CLS/BOS, SEP/EOS and PAD tokens to pack sequences")
    return int(cls_id), int(sep_id), int(pad_id)


def pack_sentences(
    sentences: Iterable[Sentence],
    tokenizer: Any,
    seq_len: int,
    packing: str,
    out_dir: Path,
    chunk: int = 2048,
) -> PackStats:
    """Tokenize ``sentences`` in batches and write packed rows to ``out_dir``."""
    cls_id, sep_id, pad_id = special_ids(tokenizer)
    stats = PackStats()
    writer = _RowWriter(out_dir, seq_len)
    packer_cls = _SentencePacker if packing == "sentences" else _StreamPacker
    packer = packer_cls(writer, cls_id, sep_id, pad_id, stats)
    buf: list[Sentence] = []

    def run(batch: list[Sentence]) -> None:
        enc = tokenizer(
            [s.text for s in batch],
            add_special_tokens=False,
            return_offsets_mapping=True,
            return_attention_mask=False,
            return_token_type_ids=False,
        )
        for s, ids, offs in zip(batch, enc["input_ids"], enc["offset_mapping"], strict=True):
            if not ids:
                continue
            ts = align_sentence(ids, offs, s.text, s)
            stats.sentences += 1
            stats.tokens += len(ids)
            stats.sentences_with_trees += s.heads is not None
            packer.add(ts)

    try:
        for s in sentences:
            buf.append(s)
            if len(buf) >= chunk:
                run(buf)
                buf = []
        if buf:
            run(buf)
        packer.flush()
    finally:
        writer.close()
    stats.rows = writer.rows
    return stats


# --- the cache --------------------------------------------------------------------------------


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """A hash of what the tokenizer does (vocabulary, normalizer, specials), not of its files."""
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    spec.pop("truncation", None)
    spec.pop("padding", None)
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def file_identity(src: str) -> Any:
    p = Path(src)
    if p.exists():
        st = p.stat()
        return [str(p.resolve()), st.st_size, st.st_mtime_ns]
    return src


@dataclass
class DataSpec:
    """Everything that determines a packed dataset; its hash names the cache directory."""

    paths: list[str]
    trees: list[str]
    text_column: str
    seq_len: int
    packing: str
    limit: int | None
    tokenizer: str  # fingerprint
    extra: dict[str, Any] = field(default_factory=dict)

    def key(self) -> str:
        ident = {
            "version": CACHE_VERSION,
            "paths": [file_identity(p) for p in self.paths],
            "trees": [file_identity(p) for p in self.trees],
            "text_column": self.text_column,
            "seq_len": self.seq_len,
            "packing": self.packing,
            "limit": self.limit,
            "tokenizer": self.tokenizer,
            **self.extra,
        }
        return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:20]


class PackedData:
    """A packed dataset opened as memmaps: ``N`` rows of ``seq_len`` tokens with their edges."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        meta = json.loads((self.path / "meta.json").read_text())
        self.meta = meta
        self.seq_len = T = int(meta["seq_len"])
        self.n = N = int(meta["rows"])
        pos = np.dtype(meta["pos_dtype"])
        self.input_ids = _memmap(self.path / "input_ids.bin", np.int32, (N, T))  # (N, T)
        self.first_pos = _memmap(self.path / "first_pos.bin", pos, (N, T))  # (N, T)
        self.lengths = _memmap(self.path / "lengths.bin", np.int32, (N,))  # (N,)
        self.edges = _memmap(self.path / "edges.bin", pos, (int(meta["n_edges"]), 2))  # (E, 2)
        counts = np.fromfile(self.path / "edge_counts.bin", dtype=np.int32) if N else np.zeros(0)
        self.edge_offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])  # (N + 1,)
        self.stats = PackStats(**meta["stats"])

    def __len__(self) -> int:
        return self.n

    @property
    def has_edges(self) -> bool:
        return int(self.meta["n_edges"]) > 0

    def batch(self, rows: np.ndarray, device: torch.device | str = "cpu") -> dict[str, Tensor]:
        """Rows as tensors: ``input_ids (B, T)``, ``first_pos (B, T)``, ``lengths (B,)``,
        ``attention_mask (B, T)`` or absent when no row is padded, ``edges (E, 3)`` holding
        ``(row in batch, dependent position, head position)``."""
        rows = np.asarray(rows, dtype=np.int64)
        ids = torch.from_numpy(self.input_ids[rows].astype(np.int64))  # (B, T)
        first = torch.from_numpy(self.first_pos[rows].astype(np.int64))  # (B, T)
        lengths = torch.from_numpy(self.lengths[rows].astype(np.int64))  # (B,)
        parts = []
        for b, r in enumerate(rows):
            e = self.edges[self.edge_offsets[r] : self.edge_offsets[r + 1]]  # (e, 2)
            if len(e):
                parts.append(np.concatenate([np.full((len(e), 1), b), e.astype(np.int64)], axis=1))
        edges = (
            torch.from_numpy(np.concatenate(parts))
            if parts
            else torch.zeros((0, 3), dtype=torch.long)
        )
        out = {"input_ids": ids, "first_pos": first, "lengths": lengths, "edges": edges}
        if bool((lengths < self.seq_len).any()):
            out["attention_mask"] = (torch.arange(self.seq_len)[None, :] < lengths[:, None]).long()
        return {k: v.to(device) for k, v in out.items()}


def _memmap(path: Path, dtype: Any, shape: tuple[int, ...]) -> np.ndarray:
    if int(np.prod(shape)) == 0:
        return np.zeros(shape, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=shape)


def build_or_load(
    spec: DataSpec,
    sentences: Iterable[Sentence] | None,
    tokenizer: Any,
    cache_dir: str | Path,
    what: str = "training",
    log: Any = None,
) -> PackedData:
    """Open the cached packed dataset for ``spec``, building it first if it is not there.

    ``sentences`` is consumed only when the cache is built. An input without a single sentence
    stops with an error naming the files.
    """
    d = Path(cache_dir) / f"{what}-{spec.key()}"
    if not (d / "meta.json").exists():
        if sentences is None:
            raise InputError(f"no cached {what} data", d)
        if log:
            log(f"tokenizing {what} data into {d}")
        with atomic_directory(d, overwrite=True) as tmp:
            stats = pack_sentences(sentences, tokenizer, spec.seq_len, spec.packing, tmp)
            if stats.sentences == 0:
                raise InputError(
                    f"the {what} corpus is empty: no non-blank sentence in {', '.join(spec.paths)}"
                )
            pos = "int16" if spec.seq_len <= np.iinfo(np.int16).max else "int32"
            n_edges = os.path.getsize(tmp / "edges.bin") // (2 * np.dtype(pos).itemsize)
            atomic_write_json(
                tmp / "meta.json",
                {
                    "version": CACHE_VERSION,
                    "seq_len": spec.seq_len,
                    "rows": stats.rows,
                    "n_edges": n_edges,
                    "pos_dtype": pos,
                    "stats": stats.__dict__,
                    "spec": {**spec.__dict__},
                },
            )
    return PackedData(d)


# --- batch order ------------------------------------------------------------------------------


class BatchOrder:
    """Which rows make up the global batch of each step: a pure function of ``(seed, step)``.

    Rows are visited in a fresh random permutation each epoch; step ``s`` takes items
    ``[s * B, (s + 1) * B)`` of the endless sequence of epochs. Resuming needs only the step.
    """

    def __init__(self, n_rows: int, batch_size: int, seed: int):
        if n_rows <= 0:
            raise InputError("the training data packed into no rows")
        self.n, self.b, self.seed = n_rows, batch_size, seed
        self._perms: dict[int, np.ndarray] = {}

    def _perm(self, epoch: int) -> np.ndarray:
        if epoch not in self._perms:
            if len(self._perms) > 2:
                self._perms.pop(min(self._perms))
            self._perms[epoch] = np.random.default_rng([self.seed, epoch]).permutation(self.n)
        return self._perms[epoch]

    def rows(self, step: int) -> np.ndarray:
        """``(B,)`` row indices of the global batch of ``step``."""
        items = np.arange(step * self.b, (step + 1) * self.b, dtype=np.int64)
        epochs, pos = items // self.n, items % self.n
        return np.array(
            [self._perm(int(e))[p] for e, p in zip(epochs, pos, strict=True)], dtype=np.int64
        )

    def epoch(self, step: int) -> float:
        return step * self.b / self.n
