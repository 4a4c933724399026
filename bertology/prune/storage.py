"""Masks on disk: bit-packed (1 bit per weight) safetensors with the model's identity.

One file per relation. Each target matrix is a ``uint8`` tensor of ``ceil(out·in / 8)`` bytes
(``numpy.packbits`` order, big-endian within a byte), under the target's parameter name.
Stochastic soft masks σ(G) can be added as fp16 under ``soft/<name>``. The metadata holds:

- ``format`` (``bertology-mask``), ``version``;
- ``model_name``, ``model_shape_hash`` (names and shapes of every parameter),
  ``model_fingerprint`` (first values of the target weights);
- ``relation``, ``mode``, ``threshold``, ``layers`` (``"6-11"``), ``sparsity``;
- ``targets`` (JSON: name, layer, kind, shape) and ``config`` (JSON: the training settings);
- ``payload_sha256``: the SHA-256 of the tensors, verified on load (a file written before
  checksums loads with a warning).

:func:`load_mask` with a model refuses a mask made for another model, and refuses a file whose
tensors do not match their checksum.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save
from torch import Tensor

from bertology.console import warn
from bertology.errors import InputError
from bertology.io import atomic_write_bytes
from bertology.prune.masks import SubnetworkMask
from bertology.prune.targets import Target, shape_hash, weight_fingerprint

FORMAT = "bertology-mask"
VERSION = "1"
SOFT_PREFIX = "soft/"


def pack_bits(keep: Tensor) -> Tensor:
    """Bool ``(out, in)`` -> uint8 ``(ceil(out·in/8),)``, 8 weights per byte."""
    return torch.from_numpy(np.packbits(keep.detach().cpu().numpy().astype(bool).reshape(-1)))


def unpack_bits(packed: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Inverse of :func:`pack_bits`: uint8 bytes -> bool tensor of ``shape``."""
    n = int(np.prod(shape))
    bits = np.unpackbits(packed.cpu().numpy(), count=n)
    return torch.from_numpy(bits.astype(bool)).reshape(shape)


def mask_tensors(mask: SubnetworkMask, soft_dtype: torch.dtype | None = None) -> dict[str, Tensor]:
    """The tensors of a mask file: the packed keep bits of every target, and σ(G) in
    ``soft_dtype`` under ``soft/<name>`` when one is given (files: fp16; between ranks: fp32,
    so every rank sees exactly the values its owner trained)."""
    tensors: dict[str, Tensor] = {t.name: pack_bits(mask.keep[t.name]) for t in mask.targets}
    if soft_dtype is not None:
        if mask.soft is None:
            raise InputError(f"mask for {mask.relation!r} has no soft values to store")
        for t in mask.targets:
            soft = mask.soft[t.name].detach().cpu().to(soft_dtype).contiguous()
            tensors[SOFT_PREFIX + t.name] = soft
    return tensors


def payload_digest(tensors: dict[str, Tensor]) -> str:
    """SHA-256 of a mask's tensors (names, dtypes, shapes and bytes, in name order): stored as
    ``payload_sha256`` and checked on load, so a corrupted file is refused, not used."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def check_payload(meta: dict[str, str], tensors: dict[str, Tensor], where: str | Path) -> None:
    """Refuse tensors whose digest differs from the metadata's; warn for a file written before
    masks carried one."""
    want = meta.get("payload_sha256")
    if want is None:
        warn(f"{where}: the mask file carries no checksum (written before checksums); not verified")
        return
    if payload_digest(tensors) != want:
        raise InputError("the mask data does not match its checksum: the file is corrupted", where)


def mask_bytes(mask: SubnetworkMask, soft: bool = False) -> bytes:
    """The safetensors file of ``mask`` as bytes (``soft`` adds σ(G) in fp16)."""
    tensors = mask_tensors(mask, torch.float16 if soft else None)
    meta = {**mask_metadata(mask), "payload_sha256": payload_digest(tensors)}
    return save(tensors, metadata=meta)


def mask_metadata(mask: SubnetworkMask) -> dict[str, str]:
    """The metadata of a mask file (strings, as safetensors stores them)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "relation": mask.relation,
        "mode": mask.mode,
        "threshold": repr(float(mask.threshold)),
        "layers": f"{mask.layers[0]}-{mask.layers[1]}",
        "sparsity": repr(float(mask.sparsity)),
        "model_name": mask.model_name,
        "model_shape_hash": mask.model_shape_hash,
        "model_fingerprint": mask.model_fingerprint,
        "targets": json.dumps([[t.name, t.layer, t.kind, list(t.shape)] for t in mask.targets]),
        "config": json.dumps(mask.config, sort_keys=True, default=str),
    }


def save_mask(mask: SubnetworkMask, path: str | Path, soft: bool = False) -> Path:
    """Write ``mask`` atomically to ``path`` (``.safetensors``)."""
    return atomic_write_bytes(path, mask_bytes(mask, soft=soft))


def read_metadata(path: str | Path) -> dict[str, str]:
    """The metadata of a mask file, checked to be a bertology mask."""
    path = Path(path)
    if not path.exists():
        raise InputError("mask file not found", path)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except Exception as e:  # noqa: BLE001 - safetensors raises several types
        raise InputError(f"not a safetensors file ({e})", path) from None
    if meta.get("format") != FORMAT:
        raise InputError(
            f"not a bertology mask file (metadata format={meta.get('format')!r})", path
        )
    if meta.get("version") != VERSION:
        raise InputError(
            f"mask file version {meta.get('version')!r}; this bertology reads {VERSION}", path
        )
    return meta


def check_model(meta: dict[str, str], model: Any, path: str | Path, targets: list[Target]) -> None:
    """Refuse a mask whose model identity differs from ``model``'s."""
    ours = shape_hash(model)
    if meta["model_shape_hash"] != ours:
        raise InputError(
            f"mask was made for model {meta['model_name']!r} (shape hash "
            f"{meta['model_shape_hash']}), but the given model has different parameter shapes "
            f"(shape hash {ours}); use the model the mask was trained on",
            path,
        )
    params = dict(model.named_parameters())
    missing = [t.name for t in targets if t.name not in params]
    if missing:
        raise InputError(f"model has no parameter {missing[0]!r} named in the mask", path)
    fp = weight_fingerprint(model, targets)
    if meta.get("model_fingerprint") and meta["model_fingerprint"] != fp:
        raise InputError(
            f"mask was made for model {meta['model_name']!r}; the given model has the same "
            f"shapes but different weights (fingerprint {fp}, mask expects "
            f"{meta['model_fingerprint']}); use the model the mask was trained on",
            path,
        )


def load_mask(path: str | Path, model: Any = None) -> SubnetworkMask:
    """Read a mask file; with ``model``, refuse it unless it was made for that model."""
    path = Path(path)
    meta = read_metadata(path)
    if model is not None:
        check_model(meta, model, path, mask_targets(meta))
    try:
        raw = load_file(str(path))
    except Exception as e:  # noqa: BLE001 - safetensors raises several types
        raise InputError(f"unreadable mask data ({e})", path) from None
    check_payload(meta, raw, path)
    return mask_from_parts(meta, raw)


def mask_targets(meta: dict[str, str]) -> list[Target]:
    """The target matrices named in a mask's metadata."""
    return [
        Target(name, int(layer), kind, (int(shape[0]), int(shape[1])))
        for name, layer, kind, shape in json.loads(meta["targets"])
    ]


def mask_from_parts(meta: dict[str, str], raw: dict[str, Tensor]) -> SubnetworkMask:
    """A mask from its metadata and tensors (:func:`mask_metadata`, :func:`mask_tensors`):
    the inverse used for files and for the ranks' exchange of trained masks."""
    targets = mask_targets(meta)
    keep = {t.name: unpack_bits(raw[t.name], t.shape) for t in targets}
    soft = None
    if all(SOFT_PREFIX + t.name in raw for t in targets) and targets:
        soft = {t.name: raw[SOFT_PREFIX + t.name] for t in targets}
    lb, lt = (int(x) for x in meta["layers"].split("-"))
    return SubnetworkMask(
        relation=meta["relation"],
        targets=targets,
        keep=keep,
        soft=soft,
        mode=meta["mode"],
        threshold=float(meta["threshold"]),
        layers=(lb, lt),
        model_name=meta["model_name"],
        model_shape_hash=meta["model_shape_hash"],
        model_fingerprint=meta.get("model_fingerprint", ""),
        config=json.loads(meta.get("config", "{}")),
    )
