"""Trained masks between ranks: under ``torchrun`` each rank trains its share of the
relations, and every rank gets every relation's outcome, without pickles. The masks travel in
the mask-file format of :mod:`bertology.prune.storage`."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import torch
from safetensors.torch import load, save

from bertology.distributed import gather_bytes
from bertology.prune.outcome import RelationTraining
from bertology.prune.storage import (
    check_payload,
    mask_from_parts,
    mask_metadata,
    mask_tensors,
    payload_digest,
)
from bertology.prune.targets import Target


def gather_results(
    results: dict[str, RelationTraining], targets: list[Target]
) -> dict[str, RelationTraining]:
    """All ranks' results on every rank, without pickles.

    Each rank sends one safetensors blob: masks bit-packed (1 bit per weight), σ(G) in fp32
    (so every rank sees exactly the values its owner trained) and everything else as a JSON
    byte tensor. Every rank, the sender included, decodes the same bytes.
    """
    blobs = gather_bytes(encode_results(results))
    out: dict[str, RelationTraining] = {}
    for blob in blobs:
        out.update(decode_results(blob, targets))
    return out


def encode_results(results: dict[str, RelationTraining]) -> bytes:
    """``results`` as safetensors bytes (see :func:`gather_results`): each mask in the mask-file
    format of :mod:`bertology.prune.storage` (tensors under ``<i>/``, metadata in the JSON)."""
    tensors: dict[str, torch.Tensor] = {}
    rows = []
    for i, r in enumerate(results.values()):
        row = {k: v for k, v in asdict(replace(r, mask=None)).items() if k != "mask"}
        m = r.mask
        if m is not None:
            soft = torch.float32 if m.soft is not None else None
            parts = mask_tensors(m, soft)
            row["mask"] = {**mask_metadata(m), "payload_sha256": payload_digest(parts)}
            tensors.update({f"{i}/{k}": v for k, v in parts.items()})
        rows.append(row)
    text = json.dumps(rows, default=str).encode()
    tensors["results.json"] = torch.frombuffer(bytearray(text), dtype=torch.uint8)
    return save(tensors)


def decode_results(blob: bytes, targets: list[Target]) -> dict[str, RelationTraining]:
    """Inverse of :func:`encode_results`; the masks' targets must be ``targets``."""
    raw = load(blob)
    rows = json.loads(raw.pop("results.json").numpy().tobytes())
    out: dict[str, RelationTraining] = {}
    for i, row in enumerate(rows):
        meta = row.pop("mask", None)
        mask = None
        if meta is not None:
            prefix = f"{i}/"
            parts = {k[len(prefix) :]: v for k, v in raw.items() if k.startswith(prefix)}
            check_payload(meta, parts, f"rank results for {row['relation']!r}")
            mask = mask_from_parts(meta, parts)
            if [t.name for t in mask.targets] != [t.name for t in targets]:
                raise RuntimeError(f"rank results for {row['relation']!r} have other mask targets")
        out[row["relation"]] = RelationTraining(mask=mask, **row)
    return out
