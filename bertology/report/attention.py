"""``RUN/attention.json``: attention matrices for the report's interactive viewer.

Three commands write it: ``uas`` (kind ``dependency``: word-level attention over parsed
sentences, with their gold heads), ``probe --attention N`` and ``prune inspect`` (kind
``mask``: token-level attention over cloze prompts, where the [MASK] row matters; inspect
adds the relation's subnetwork beside the full model). The schema::

    {"schema": 1, "kind": "dependency" | "mask", "model": str, "layers": L, "heads": H,
     "encoding": "uint8-base64",
     "head_scores": {"name": str, "values": [[float] * H] * L} | null,
     "best_heads": {label: [layer, head]},
     "variants": ["full"] | ["full", "subnetwork"],
     "items": [{"id": str, "label": str, "tokens": [str] * n,
                "gold_heads": [int] * n | null,   # dependency: 0-based head word, -1 root
                "query": int | null,              # mask: the [MASK] token's position
                "attention": {variant: [[b64] * H] * L}}]}

Each ``(layer, head)`` matrix is ``n * n`` bytes, row-major, row = the attending token or word
(from), column = the attended one (to); a byte is ``round(value * 255)`` clipped to 0..255,
so a value is known to within 1/510. Token-level rows sum to 1. Word-level rows (``uas``)
hold what the UAS counts: attention to special tokens is dropped, not renormalised, so a
row sums to 1 minus its word's attention to [CLS]/[SEP].

Only numpy here: the report renderer reads these files without importing torch.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bertology.errors import InputError
from bertology.io import atomic_write_json, read_json

SCHEMA = 1
KINDS = ("dependency", "mask")
VARIANTS = ("full", "subnetwork")
ENCODING = "uint8-base64"


def encode_matrix(matrix: np.ndarray) -> str:
    """An ``(n, n)`` attention matrix as base64 of ``round(value * 255)`` bytes, row-major."""
    m = np.nan_to_num(np.asarray(matrix, dtype=np.float64), nan=0.0)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"expected a square matrix, got shape {m.shape}")
    data = np.clip(np.rint(m * 255.0), 0, 255).astype(np.uint8)
    return base64.b64encode(data.tobytes(order="C")).decode("ascii")


def decode_matrix(text: str, n: int) -> np.ndarray:
    """The ``(n, n)`` float32 matrix of :func:`encode_matrix`'s text (values in [0, 1]).

    Raises ``ValueError`` when the text is not base64 or does not hold ``n * n`` bytes.
    """
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, AttributeError) as e:
        raise ValueError(f"not base64 ({e})") from None
    if len(raw) != n * n:
        raise ValueError(f"{len(raw)} bytes, expected {n} x {n} = {n * n}")
    return np.frombuffer(raw, dtype=np.uint8).reshape(n, n).astype(np.float32) / 255.0


@dataclass
class AttentionItem:
    """One sentence or prompt: its tokens and, per variant, its ``(L, H, n, n)`` attention."""

    id: str
    label: str
    tokens: list[str]
    attention: dict[str, np.ndarray]  # variant -> (L, H, n, n), rows attend to columns
    gold_heads: list[int] | None = None  # dependency kind: 0-based head word, -1 for root
    query: int | None = None  # mask kind: the [MASK] token's position


def attention_document(
    kind: str,
    model: str,
    items: Sequence[AttentionItem],
    *,
    layers: int,
    heads: int,
    variants: Sequence[str] = ("full",),
    head_scores: tuple[str, np.ndarray] | None = None,
    best_heads: Mapping[str, Sequence[int]] | None = None,
) -> dict[str, Any]:
    """The ``attention.json`` document of ``items``, encoded and checked.

    ``head_scores`` is ``(name, (L, H) array)`` for the viewer's head grid. Raises
    :class:`InputError` when the parts disagree (a matrix of the wrong shape, a token count
    that is not the matrix size, a gold head out of range, ...).
    """
    for it in items:
        if sorted(it.attention) != sorted(variants):
            raise InputError(
                f"item {it.id!r} has attention for {sorted(it.attention)}, expected "
                f"{list(variants)}",
                "attention document",
            )
        n = len(it.tokens)
        for v, a in it.attention.items():
            if np.shape(a) != (layers, heads, n, n):
                raise InputError(
                    f"item {it.id!r}: {v} attention has shape {tuple(np.shape(a))}, expected "
                    f"({layers}, {heads}, {n}, {n}) for {n} tokens",
                    "attention document",
                )
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "kind": kind,
        "model": str(model),
        "layers": int(layers),
        "heads": int(heads),
        "encoding": ENCODING,
        "head_scores": None
        if head_scores is None
        else {
            "name": head_scores[0],
            "values": np.asarray(head_scores[1], dtype=np.float64).tolist(),
        },
        "best_heads": {str(k): [int(x) for x in v] for k, v in (best_heads or {}).items()},
        "variants": list(variants),
        "items": [
            {
                "id": it.id,
                "label": it.label,
                "tokens": list(it.tokens),
                "gold_heads": None if it.gold_heads is None else [int(h) for h in it.gold_heads],
                "query": None if it.query is None else int(it.query),
                "attention": {
                    v: [[encode_matrix(m) for m in layer] for layer in np.asarray(it.attention[v])]
                    for v in variants
                },
            }
            for it in items
        ],
    }
    validate_document(doc)
    return doc


def _fail(message: str, where: str | Path | None) -> InputError:
    return InputError(message, where if where is not None else "attention document")


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def validate_document(doc: Any, where: str | Path | None = None) -> None:
    """Check ``doc`` against the schema; an :class:`InputError` names ``where`` (the file)
    and what is wrong. Every matrix is decoded, so a wrong size anywhere is found."""
    if not isinstance(doc, dict):
        raise _fail(f"expected a JSON object, got {type(doc).__name__}", where)
    if doc.get("schema") != SCHEMA:
        raise _fail(f"unknown schema {doc.get('schema')!r}; this bertology reads {SCHEMA}", where)
    if doc.get("kind") not in KINDS:
        raise _fail(f"kind must be one of {', '.join(KINDS)}, got {doc.get('kind')!r}", where)
    if doc.get("encoding") != ENCODING:
        raise _fail(f"encoding must be {ENCODING!r}, got {doc.get('encoding')!r}", where)
    L, H = doc.get("layers"), doc.get("heads")
    if not (_is_int(L) and _is_int(H) and L > 0 and H > 0):
        raise _fail(f"layers and heads must be positive integers, got {L!r} and {H!r}", where)
    if not isinstance(doc.get("model"), str):
        raise _fail("model must be a string", where)
    variants = doc.get("variants")
    if variants not in (["full"], ["full", "subnetwork"]):
        raise _fail(f'variants must be ["full"] or ["full", "subnetwork"], got {variants!r}', where)
    _check_head_scores(doc.get("head_scores"), L, H, where)
    best = doc.get("best_heads")
    if not isinstance(best, dict):
        raise _fail("best_heads must be an object of label: [layer, head]", where)
    for label, lh in best.items():
        if not (isinstance(lh, list) and len(lh) == 2 and all(_is_int(x) for x in lh)):
            raise _fail(f"best_heads[{label!r}] must be [layer, head], got {lh!r}", where)
        if not (0 <= lh[0] < L and 0 <= lh[1] < H):
            raise _fail(f"best_heads[{label!r}] = {lh} is outside {L} layers x {H} heads", where)
    items = doc.get("items")
    if not isinstance(items, list):
        raise _fail("items must be a list", where)
    seen: set[str] = set()
    for k, item in enumerate(items):
        _check_item(item, k, doc["kind"], variants, L, H, where)
        if item["id"] in seen:
            raise _fail(f"items[{k}]: duplicate id {item['id']!r}", where)
        seen.add(item["id"])


def _check_head_scores(scores: Any, L: int, H: int, where: str | Path | None) -> None:
    if scores is None:
        return
    if not isinstance(scores, dict) or not isinstance(scores.get("name"), str):
        raise _fail('head_scores must be null or {"name": str, "values": [[float]]}', where)
    values = scores.get("values")
    ok = (
        isinstance(values, list)
        and len(values) == L
        and all(isinstance(row, list) and len(row) == H for row in values)
        and all(isinstance(x, (int, float)) or x is None for row in values for x in row)
    )
    if not ok:
        raise _fail(f"head_scores.values must be {L} rows of {H} numbers", where)


def _check_item(
    item: Any, k: int, kind: str, variants: list[str], L: int, H: int, where: str | Path | None
) -> None:
    at = f"items[{k}]"
    if not isinstance(item, dict):
        raise _fail(f"{at}: expected an object, got {type(item).__name__}", where)
    if not isinstance(item.get("id"), str) or not isinstance(item.get("label"), str):
        raise _fail(f"{at}: id and label must be strings", where)
    tokens = item.get("tokens")
    if not (isinstance(tokens, list) and tokens and all(isinstance(t, str) for t in tokens)):
        raise _fail(f"{at}: tokens must be a non-empty list of strings", where)
    n = len(tokens)
    gold, query = item.get("gold_heads"), item.get("query")
    if kind == "dependency":
        if not isinstance(gold, list) or len(gold) != n:
            raise _fail(f"{at}: gold_heads must list one head per token ({n})", where)
        for i, h in enumerate(gold):
            if not _is_int(h) or not -1 <= h < n or h == i:
                raise _fail(
                    f"{at}: gold_heads[{i}] = {h!r}; expected -1 (root) or another word's "
                    f"index in 0..{n - 1}",
                    where,
                )
    elif gold is not None:
        raise _fail(f"{at}: gold_heads must be null for kind {kind!r}", where)
    if kind == "mask":
        if not _is_int(query) or not 0 <= query < n:
            raise _fail(f"{at}: query must be a token index in 0..{n - 1}, got {query!r}", where)
    elif query is not None:
        raise _fail(f"{at}: query must be null for kind {kind!r}", where)
    attention = item.get("attention")
    if not isinstance(attention, dict) or sorted(attention) != sorted(variants):
        raise _fail(f"{at}: attention must have exactly the variants {variants}", where)
    for v in variants:
        grid = attention[v]
        if not (isinstance(grid, list) and len(grid) == L):
            raise _fail(f"{at}: attention[{v!r}] must have {L} layers", where)
        for layer, row in enumerate(grid):
            if not (isinstance(row, list) and len(row) == H):
                raise _fail(f"{at}: attention[{v!r}][{layer}] must have {H} heads", where)
            for head, text in enumerate(row):
                try:
                    if not isinstance(text, str):
                        raise ValueError(f"expected a string, got {type(text).__name__}")
                    decode_matrix(text, n)
                except ValueError as e:
                    raise _fail(
                        f"{at}: attention[{v!r}][{layer}][{head}]: {e} for {n} tokens", where
                    ) from None


def item_attention(doc: Mapping[str, Any], index: int, variant: str = "full") -> np.ndarray:
    """Item ``index``'s decoded ``(L, H, n, n)`` attention of ``variant``."""
    item = doc["items"][index]
    n = len(item["tokens"])
    return np.stack(
        [np.stack([decode_matrix(t, n) for t in layer]) for layer in item["attention"][variant]]
    )


def write_attention(path: str | Path, doc: Mapping[str, Any]) -> Path:
    """Check ``doc`` and write it to ``path`` atomically (compact JSON)."""
    validate_document(doc, path)
    return atomic_write_json(path, doc, indent=None)


def read_attention(path: str | Path) -> dict[str, Any]:
    """An ``attention.json``, checked; a malformed one is an :class:`InputError` naming it."""
    doc = read_json(path)
    validate_document(doc, path)
    return doc
