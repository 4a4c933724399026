"""Apply masks to a frozen model functionally, through ``torch.nn.utils.parametrize``.

Each target ``nn.Linear`` gets a parametrization whose forward is ``W ⊙ M`` with the mask
currently set on it. The frozen weight ``W`` stays the same ``Parameter`` object: it is never
modified, copied or reloaded. Changing relations (or sampling a new stochastic mask each
step) only swaps which mask tensor the parametrizations read. Leaving the context removes the
parametrizations and the model is exactly as before.

Because the masking happens inside the modules, every existing code path (``evaluate_facts``,
``logits_at``, the HF forward) runs the subnetwork unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from bertology.errors import InputError
from bertology.prune.targets import Target


class _MaskedWeight(nn.Module):
    """Parametrization ``W -> W ⊙ M``; ``M`` is a plain attribute (not state), None = all ones."""

    def __init__(self) -> None:
        super().__init__()
        self.mask: Tensor | None = None

    def forward(self, weight: Tensor) -> Tensor:  # (out, in) -> (out, in)
        if self.mask is None:
            return weight
        return weight * self.mask.to(weight.dtype)


class MaskedModel:
    """Handle on a model whose target matrices are parametrized; set masks with :meth:`set`."""

    def __init__(self, model: Any, targets: list[Target]):
        self.model = model
        self.targets = targets
        self._slots: dict[str, _MaskedWeight] = {}
        self._modules: list[tuple[nn.Module, list[str]]] = []

    def _attach(self) -> None:
        modules = dict(self.model.named_modules())
        for t in self.targets:
            mod = modules.get(t.module_name)
            if mod is None:
                raise InputError(f"model has no module {t.module_name!r} for target {t.name}")
            if parametrize.is_parametrized(mod, "weight"):
                raise InputError(f"{t.module_name} is already masked (nested mask contexts)")
            order = list(mod._parameters)
            slot = _MaskedWeight()
            parametrize.register_parametrization(mod, "weight", slot)
            self._slots[t.name] = slot
            self._modules.append((mod, order))

    def _detach(self) -> None:
        for mod, order in self._modules:
            # leave_parametrized=False puts the original Parameter object back, untouched
            parametrize.remove_parametrizations(mod, "weight", leave_parametrized=False)
            for name in order:  # and in its original place (parameter order, state_dict order)
                mod._parameters[name] = mod._parameters.pop(name)
        self._modules.clear()
        self._slots.clear()

    def set(self, masks: Mapping[str, Tensor] | list[Tensor] | None) -> None:
        """Masks by target name (or in target order); ``None`` restores the full model."""
        if masks is None:
            for slot in self._slots.values():
                slot.mask = None
            return
        if isinstance(masks, list):
            masks = {t.name: m for t, m in zip(self.targets, masks, strict=True)}
        missing = [t.name for t in self.targets if t.name not in masks]
        if missing:
            raise InputError(f"mask lacks target matrices: {', '.join(missing[:3])}")
        for t in self.targets:
            m = masks[t.name]
            if tuple(m.shape) != t.shape:
                raise InputError(
                    f"mask for {t.name} has shape {tuple(m.shape)}, the weight has {t.shape}"
                )
            self._slots[t.name].mask = m


@contextlib.contextmanager
def masked(model: Any, targets: list[Target]) -> Iterator[MaskedModel]:
    """Parametrize ``targets`` of ``model`` for the duration of the block.

    >>> with masked(model, targets) as mm:          # doctest: +SKIP
    ...     mm.set(mask.tensors())
    ...     evaluate_facts(model, tokenizer, facts)
    """
    mm = MaskedModel(model, targets)
    try:
        mm._attach()
        yield mm
    finally:
        mm._detach()


@contextlib.contextmanager
def applied(model: Any, mask: Any, soft: bool = False) -> Iterator[Any]:
    """Run ``model`` as the subnetwork of ``mask`` (a :class:`SubnetworkMask`) inside the block."""
    device = next(model.parameters()).device
    with masked(model, mask.targets) as mm:
        mm.set({k: v.to(device) for k, v in mask.tensors(soft=soft).items()})
        yield model


def frozen(model: Any) -> contextlib.AbstractContextManager[None]:
    """Turn off ``requires_grad`` on every parameter for the block, then restore it."""

    @contextlib.contextmanager
    def _ctx() -> Iterator[None]:
        before = [(p, p.requires_grad) for p in model.parameters()]
        try:
            for p, _ in before:
                p.requires_grad_(False)
            yield
        finally:
            for p, r in before:
                p.requires_grad_(r)

    return _ctx()


@torch.no_grad()
def zero_pruned_(model: Any, mask: Any) -> None:
    """Zero the pruned weights of ``model`` in place (export only; never during training)."""
    params = dict(model.named_parameters())
    for t in mask.targets:
        w = params[t.name]
        w.mul_(mask.keep[t.name].to(w.device, w.dtype))
