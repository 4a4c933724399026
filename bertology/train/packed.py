"""The packed-data cache: a directory of raw little-endian arrays plus ``meta.json``.

The cache is keyed by the content that determines it (files, tokenizer, sequence length,
packing), written atomically (no pickles) and opened as ``numpy.memmap``: a corpus far larger
than memory trains without loading it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from bertology.errors import InputError
from bertology.io import atomic_directory, atomic_write_json
from bertology.train.corpus import CorpusSentence, file_identity
from bertology.train.packing import PackStats, pack_sentences

CACHE_VERSION = 1


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """A hash of what the tokenizer does (vocabulary, normalizer, specials), not of its files."""
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    spec.pop("truncation", None)
    spec.pop("padding", None)
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


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
    sentences: Iterable[CorpusSentence] | None,
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
