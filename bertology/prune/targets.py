"""Which weight matrices LAMP prunes, found by parameter name for each architecture.

The targets are the attention query, key, value and output projections and the two
feed-forward matrices of layers ``lb..lt``. Biases, LayerNorms, embeddings and the MLM head are
never pruned. ALBERT shares one layer's weights across all its layers, so its targets are the
matrices of the shared layer(s) and its layer indices count *shared* layers (usually one:
``--layers 0-0``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import torch

from bertology.errors import InputError

KINDS = ("query", "key", "value", "attn_out", "ffn_in", "ffn_out")

# BERT's layer layout, which RoBERTa keeps
_BERT_SUFFIXES = {
    "attention.self.query": "query",
    "attention.self.key": "key",
    "attention.self.value": "value",
    "attention.output.dense": "attn_out",
    "intermediate.dense": "ffn_in",
    "output.dense": "ffn_out",
}

# model_type -> (regex over parameter names with a (?P<layer>...) group, {suffix: kind})
_LAYOUTS: dict[str, tuple[str, dict[str, str]]] = {
    "bert": (
        r"^bert\.encoder\.layer\.(?P<layer>\d+)\.(?P<suffix>.+)\.weight$",
        _BERT_SUFFIXES,
    ),
    "roberta": (
        r"^roberta\.encoder\.layer\.(?P<layer>\d+)\.(?P<suffix>.+)\.weight$",
        _BERT_SUFFIXES,
    ),
    "distilbert": (
        r"^distilbert\.transformer\.layer\.(?P<layer>\d+)\.(?P<suffix>.+)\.weight$",
        {
            "attention.q_lin": "query",
            "attention.k_lin": "key",
            "attention.v_lin": "value",
            "attention.out_lin": "attn_out",
            "ffn.lin1": "ffn_in",
            "ffn.lin2": "ffn_out",
        },
    ),
    "albert": (
        # groups x inner layers are flattened into one shared-layer index (see shared_layers)
        r"^albert\.encoder\.albert_layer_groups\.(?P<group>\d+)\.albert_layers\.(?P<layer>\d+)"
        r"\.(?P<suffix>.+)\.weight$",
        {
            "attention.query": "query",
            "attention.key": "key",
            "attention.value": "value",
            "attention.dense": "attn_out",
            "ffn": "ffn_in",
            "ffn_output": "ffn_out",
        },
    ),
}
SUPPORTED_MODEL_TYPES = tuple(sorted(_LAYOUTS))


@dataclass(frozen=True)
class Target:
    """One prunable weight matrix: its parameter name, layer, kind and shape ``(out, in)``."""

    name: str  # e.g. "bert.encoder.layer.6.attention.self.query.weight"
    layer: int
    kind: str  # one of KINDS
    shape: tuple[int, int]

    @property
    def module_name(self) -> str:
        """The ``nn.Linear`` that owns the weight (``name`` without ``.weight``)."""
        return self.name.rsplit(".", 1)[0]


def model_type(model: Any) -> str:
    """The model's ``config.model_type``, refused with the supported list if unknown."""
    mt = getattr(getattr(model, "config", None), "model_type", None)
    if mt not in _LAYOUTS:
        raise InputError(
            f"pruning does not support architecture {mt!r} ({type(model).__name__}); "
            f"supported: {', '.join(SUPPORTED_MODEL_TYPES)}"
        )
    return str(mt)


def _all_targets(model: Any) -> list[Target]:
    mt = model_type(model)
    pattern, kinds = _LAYOUTS[mt]
    rx = re.compile(pattern)
    per_group = getattr(model.config, "inner_group_num", 1) if mt == "albert" else 1
    out: list[Target] = []
    for name, p in model.named_parameters():
        m = rx.match(name)
        if m is None or m.group("suffix") not in kinds:
            continue
        layer = int(m.group("layer"))
        if mt == "albert":
            layer += int(m.group("group")) * per_group
        out.append(Target(name, layer, kinds[m.group("suffix")], (p.shape[0], p.shape[1])))
    return sorted(out, key=lambda t: (t.layer, KINDS.index(t.kind)))


def layer_count(model: Any) -> int:
    """Number of prunable layers: encoder layers, or ALBERT's number of *shared* layers."""
    targets = _all_targets(model)
    return 1 + max(t.layer for t in targets) if targets else 0


def parse_layers(spec: str | tuple[int, int] | None, n_layers: int) -> tuple[int, int]:
    """``"6-11"``, ``"7"``, ``"all"`` or ``(lb, lt)`` -> inclusive ``(lb, lt)``, checked."""
    what = "layers" if n_layers != 1 else "layer"
    if spec is None or spec == "all":
        return (0, n_layers - 1)
    if isinstance(spec, tuple):
        lb, lt = spec
    else:
        m = re.fullmatch(r"\s*(-?\d+)\s*(?:-\s*(-?\d+)\s*)?", str(spec))
        if m is None:
            raise InputError(f"--layers expects 'LB-LT', 'L' or 'all', got {spec!r}")
        lb = int(m.group(1))
        lt = int(m.group(2)) if m.group(2) is not None else lb
    if not (0 <= lb <= lt < n_layers):
        raise InputError(
            f"layer range {lb}-{lt} is outside the model, which has {n_layers} prunable {what} "
            f"(valid: 0-{n_layers - 1})"
        )
    return (int(lb), int(lt))


def find_targets(model: Any, layers: str | tuple[int, int] | None = None) -> list[Target]:
    """The prunable matrices of layers ``lb..lt`` (inclusive), ordered by layer then kind."""
    n = layer_count(model)
    lb, lt = parse_layers(layers, n)
    return [t for t in _all_targets(model) if lb <= t.layer <= lt]


def shape_hash(model: Any) -> str:
    """sha256 over every parameter's name and shape: the model's architecture identity."""
    h = hashlib.sha256()
    for name, p in sorted(model.state_dict().items()):
        h.update(f"{name}:{tuple(p.shape)};".encode())
    return h.hexdigest()[:16]


def weight_fingerprint(model: Any, targets: list[Target]) -> str:
    """sha256 of the first 64 values of each target matrix in bf16: tells same-shape models apart.

    bf16 makes the fingerprint the same for a checkpoint loaded in fp32 or bf16.
    """
    params = dict(model.named_parameters())
    h = hashlib.sha256()
    for t in targets:
        w = params[t.name].detach().reshape(-1)[:64].to("cpu", torch.bfloat16)
        h.update(w.view(torch.int16).numpy().tobytes())
    return h.hexdigest()[:16]
