"""Faster CPU inference: ``nn.Linear`` weights pre-packed for oneDNN, for one block.

Every encoder forward on a CPU spends ~85% of its time in the linear layers (measured with
``torch.profiler`` on a BERT-base-shaped model). PyTorch's default CPU path for
``F.linear`` calls a BLAS ``sgemm`` that re-lays out the weight on every call; oneDNN can
lay it out once (``torch.ops.mkldnn._reorder_linear_weight``) and then run
``torch.ops.mkldnn._linear_pointwise`` on the packed copy. This is the rewrite
``torch.compile`` applies on CPUs with ``freezing`` on, done here without compiling (which
would cost more than it saves for one probing or UAS run, and recompile for each new shape).
On a 2-core AVX2 machine it made a BERT-base forward 1.2x faster at 8-64 sentences per
batch and 1.35-1.45x at one (medians of interleaved calls).

:func:`packed_linears` swaps the forward of each eligible ``nn.Linear`` for the block and
restores it after, so the model is unchanged outside. Packing BERT-base takes ~0.3 s, so the
packed copies are cached per module (weakly: they go when the module goes) and reused by the
next block as long as the weight is the same tensor, unmodified (its storage pointer and
in-place version counter). The cache holds one more copy of the linear weights while the
model lives; :func:`clear_packed_cache` drops it. It is a no-op where it cannot help or
would be wrong:

- the module is not on the CPU, or its weight is not float32;
- the weight is parametrized (a pruning mask is applied through ``parametrize``: the packed
  copy would freeze one mask);
- autograd is on at call time (the packed op has no gradient for the weight), or CPU
  autocast is (it would run the product in bf16): such calls go to the original forward;
- this PyTorch build has no oneDNN, or the environment sets ``BERTOLOGY_PACK_LINEAR=0``.

Results agree with the unpacked model to float32 rounding (tests/models/test_packing.py).
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

ENV_SWITCH = "BERTOLOGY_PACK_LINEAR"

# module -> (weight storage pointer, weight version, packed weight)
_CACHE: weakref.WeakKeyDictionary[nn.Linear, tuple[int, int, Tensor]] = weakref.WeakKeyDictionary()


def clear_packed_cache() -> None:
    """Free every cached packed weight."""
    _CACHE.clear()


def _packed_weight(mod: nn.Linear, batch_hint: int) -> Tensor:
    w = mod.weight
    key = (w.data_ptr(), w._version)
    hit = _CACHE.get(mod)
    if hit is not None and hit[:2] == key:
        return hit[2]
    packed = torch.ops.mkldnn._reorder_linear_weight(w.detach(), batch_hint)
    _CACHE[mod] = (*key, packed)
    return packed


def packing_available() -> bool:
    """Whether this build and environment can pack linear weights for oneDNN."""
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if not torch.backends.mkldnn.is_available():
        return False
    ops = torch.ops.mkldnn
    return hasattr(ops, "_reorder_linear_weight") and hasattr(ops, "_linear_pointwise")


def _eligible(mod: nn.Module) -> bool:
    if not isinstance(mod, nn.Linear) or "forward" in vars(mod):
        return False  # already swapped (nested block) or someone else's instance forward
    if parametrize.is_parametrized(mod, "weight"):
        return False
    w = mod.weight
    return w.device.type == "cpu" and w.dtype == torch.float32 and w.dim() == 2


def _packed_forward(mod: nn.Linear, packed: Tensor) -> Any:
    original = nn.Linear.forward.__get__(mod)
    bias = None if mod.bias is None else mod.bias.detach()
    out_features = mod.out_features
    op = torch.ops.mkldnn._linear_pointwise

    def forward(x: Tensor) -> Tensor:
        if (
            torch.is_grad_enabled()
            or x.dtype != torch.float32
            or x.device.type != "cpu"
            or torch.is_autocast_enabled("cpu")  # autocast would cast the product to bf16
        ):
            return original(x)
        lead = x.shape[:-1]
        y = op(x.reshape(-1, x.shape[-1]), packed, bias, "none", [], "")
        return y.reshape(*lead, out_features)

    return forward


@contextlib.contextmanager
def packed_linears(model: nn.Module, batch_hint: int = 256) -> Iterator[int]:
    """Within the block, run ``model``'s eligible ``nn.Linear`` layers on oneDNN-packed
    weights; yield how many layers run packed (0 where packing is unavailable).

    ``batch_hint`` is the expected number of rows (tokens) per call; any number works, the
    hint only guides oneDNN's choice of layout (a cached copy is reused whatever its hint).
    Do not change the weights inside the block: the packed copies would not see the change.
    """
    swapped: list[nn.Module] = []
    if packing_available():
        try:
            for mod in model.modules():
                if _eligible(mod):
                    packed = _packed_weight(mod, batch_hint)
                    mod.forward = _packed_forward(mod, packed)  # type: ignore[method-assign]
                    swapped.append(mod)
            for mod in model.modules():
                if _fusable_gelu(mod):
                    mod.forward = _fused_gelu_forward(mod, _packed_weight(mod.dense, batch_hint))
                    swapped.append(mod)
        except RuntimeError:  # a build whose oneDNN rejects the layout: run unpacked
            _restore(swapped)
            swapped = []
    try:
        yield sum(isinstance(m, nn.Linear) for m in swapped)
    finally:
        _restore(swapped)


def _fusable_gelu(mod: nn.Module) -> bool:
    """A BERT-style intermediate block (``dense`` then an exact, erf-based GELU, as in
    BERT, RoBERTa, ELECTRA): its GELU can run inside the packed product (oneDNN's post-op),
    saving one pass over the largest activation of every layer."""
    dense, act = getattr(mod, "dense", None), getattr(mod, "intermediate_act_fn", None)
    return (
        isinstance(dense, nn.Linear)
        and "forward" in vars(dense)  # packed above
        and type(act).__name__ == "GELUActivation"
        and getattr(act, "act", None) is nn.functional.gelu  # exact, not the tanh form
        and "forward" not in vars(mod)
    )


def _fused_gelu_forward(mod: nn.Module, packed: Tensor) -> Any:
    original = type(mod).forward.__get__(mod)
    dense = mod.dense
    bias = None if dense.bias is None else dense.bias.detach()
    op = torch.ops.mkldnn._linear_pointwise

    def forward(hidden_states: Tensor) -> Tensor:
        x = hidden_states
        if (
            torch.is_grad_enabled()
            or x.dtype != torch.float32
            or x.device.type != "cpu"
            or torch.is_autocast_enabled("cpu")
        ):
            return original(hidden_states)
        y = op(x.reshape(-1, x.shape[-1]), packed, bias, "gelu", [], "none")
        return y.reshape(*x.shape[:-1], dense.out_features)

    return forward


def _restore(mods: list[nn.Module]) -> None:
    for mod in mods:
        vars(mod).pop("forward", None)
