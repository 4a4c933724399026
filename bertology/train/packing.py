"""Packing tokenized sentences into fixed-length rows, written as raw arrays.

- ``sentences`` packing: ``[CLS] s1 [SEP] s2 [SEP] ... [PAD]*``, whole sentences only, so every
  dependency tree stays inside one row (a sentence longer than a row is truncated and counted);
- ``stream`` packing: the concatenation ``s1 [SEP] s2 [SEP] ...`` cut every ``seq_len - 1``
  tokens after a ``[CLS]`` (no padding; edges cut by a row boundary are dropped).

Each row keeps its tokens' ``first_pos`` and its dependency edges as token positions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bertology.errors import InputError
from bertology.train.corpus import CorpusSentence, TokenizedSentence, align_sentence


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
    several_roots: int = 0  # trees joined from several sentences of one line (spaCy cache)


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
    sentences: Iterable[CorpusSentence],
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
    buf: list[CorpusSentence] = []

    def run(batch: list[CorpusSentence]) -> None:
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
            stats.several_roots += s.heads is not None and s.heads.count(0) > 1
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
