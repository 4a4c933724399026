"""Run a masked LM's head only where it is needed.

The MLM head projects to the whole vocabulary; computing it at every position wastes most of
its cost when only the masked positions are scored (probing, pruning, MLM training). These
helpers split a ``*ForMaskedLM`` into its encoder and its head, so callers can run the
encoder on the batch and the head on the gathered positions only. Logits equal those of the
full forward pass at those positions (tested).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import Tensor

from bertology.errors import InputError


def encoder_of(model: Any) -> Any:
    """The encoder (``model.bert``, ``model.roberta``, ...) of a ``*ForMaskedLM``."""
    enc = getattr(model, "base_model", None)
    if enc is None or enc is model:
        raise InputError(f"{type(model).__name__}: cannot find the encoder of this model")
    return enc


def head_of(model: Any) -> Callable[[Tensor], Tensor]:
    """A function mapping final hidden states ``(..., D)`` to vocabulary logits ``(..., V)``."""
    for name in ("cls", "lm_head", "predictions"):
        head = getattr(model, name, None)
        if head is not None:
            return head
    if hasattr(model, "vocab_projector"):  # DistilBERT: the head is four separate modules

        def distil_head(h: Tensor) -> Tensor:
            h = model.activation(model.vocab_transform(h))
            return model.vocab_projector(model.vocab_layer_norm(h))

        return distil_head
    raise InputError(
        f"{type(model).__name__}: unknown MLM head layout (expected cls, lm_head, predictions "
        "or vocab_projector)"
    )


def encoder_kwargs(model: Any, batch: dict[str, Tensor]) -> dict[str, Tensor]:
    """Drop inputs the encoder does not take (DistilBERT has no ``token_type_ids``)."""
    kw = {k: v for k, v in batch.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
    if getattr(model.config, "model_type", "") == "distilbert":
        kw.pop("token_type_ids", None)
    return kw


def logits_at(
    model: Any, batch: dict[str, Tensor], rows: Tensor, cols: Tensor, **forward_kwargs: Any
) -> Tensor:
    """Vocabulary logits at positions ``(rows[k], cols[k])`` only.

    ``batch`` holds ``input_ids (B, T)`` and ``attention_mask (B, T)``; returns ``(K, V)``.
    """
    out = encoder_of(model)(**encoder_kwargs(model, batch), **forward_kwargs)
    hidden = out.last_hidden_state  # (B, T, D)
    return head_of(model)(hidden[rows, cols])  # (K, V)


def mask_positions(input_ids: Tensor, mask_id: int) -> tuple[Tensor, Tensor]:
    """``(rows, cols)`` of every mask token in ``input_ids (B, T)``, row-major order."""
    rows, cols = (input_ids == mask_id).nonzero(as_tuple=True)
    return rows, cols
