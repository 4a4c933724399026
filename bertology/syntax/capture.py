"""Attention probabilities of every layer, without the work that comes after the last one.

``output_attentions=True`` runs the whole encoder, but the last layer's attention
probabilities are known before that layer's value-weighted sum is projected and its
feed-forward block runs; nothing after that point changes any attention. For a
BERT-base-shaped model the rest is ~6% of the forward pass (the last layer's output
projection and both FFN matrices, out of 12 layers' six matrices each).

:func:`attention_probs` records each attention module's probabilities with forward hooks on
the module class that Hugging Face itself records attentions from (``_can_record_outputs``)
and stops the forward pass after the ``num_hidden_layers``-th call by raising an exception
from that hook. The pass is the ordinary ``output_attentions=True`` one, so models that do
not declare that class simply run to the end and return their ``attentions``. The two give
the same tensors (tests/syntax/test_capture.py).
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn


class _LastAttentionSeen(Exception):
    """Raised from the hook on the last layer's attention: the rest of the pass is skipped."""


def _attention_class(encoder: nn.Module) -> tuple[type[nn.Module], int] | None:
    """The module class whose outputs carry attention probabilities, and their index."""
    spec = (getattr(encoder, "_can_record_outputs", None) or {}).get("attentions")
    if isinstance(spec, type) and issubclass(spec, nn.Module):
        return spec, 1  # Hugging Face's default index for "attentions"
    target = getattr(spec, "target_class", None)
    if isinstance(target, type) and getattr(spec, "layer_name", None) is None:
        return target, int(getattr(spec, "index", 1))
    return None


def attention_probs(
    encoder: nn.Module, input_ids: Tensor, attention_mask: Tensor, early_stop: bool = True
) -> tuple[Tensor, ...] | None:
    """Per-layer attention probabilities ``(B, H, T, T)`` of ``encoder`` (eager attention).

    One forward pass with ``output_attentions=True``. With ``early_stop`` (and a model that
    declares its attention class), it stops as soon as the last layer's probabilities exist;
    a model whose attention calls never reach ``num_hidden_layers`` simply runs to the end
    and its own ``attentions`` output is used. Returns None when the model gives no attention
    probabilities.
    """
    n_layers = int(getattr(getattr(encoder, "config", None), "num_hidden_layers", 0) or 0)
    found = _attention_class(encoder) if early_stop and n_layers else None
    captured: list[Tensor | None] = []
    handles = []
    if found is not None:
        cls, index = found

        def hook(_mod: nn.Module, _args: Any, output: Any) -> None:
            probs = output[index] if isinstance(output, tuple) and len(output) > index else None
            captured.append(probs)
            if len(captured) == n_layers:
                raise _LastAttentionSeen

        handles = [m.register_forward_hook(hook) for m in encoder.modules() if isinstance(m, cls)]
    try:
        out = encoder(input_ids=input_ids, attention_mask=attention_mask, output_attentions=True)
        attentions = getattr(out, "attentions", None)
    except _LastAttentionSeen:
        attentions = tuple(captured)
    finally:
        for h in handles:
            h.remove()
    if not attentions or any(a is None for a in attentions):
        return None
    return tuple(attentions)
