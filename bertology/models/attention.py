"""Which attention kernel a loaded Hugging Face model runs, and switching it in place.

transformers 5 models dispatch attention through ``config._attn_implementation`` at every
forward, so a switch costs nothing. Only the eager path returns attention probabilities; SDPA
and flash kernels never do. Training runs SDPA on steps without the syntactic regularizer and
eager on steps with it; UAS and the [MASK]-token readout measure a model on the eager path and
give it back as they found it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from bertology.errors import InputError


def attention_path(model: Any) -> str | None:
    """The model's attention implementation (``"eager"``, ``"sdpa"``, ...); None if unknown."""
    impl = getattr(getattr(model, "config", None), "_attn_implementation", None)
    return None if impl is None else str(impl)


def set_attention_path(model: Any, attn: str) -> None:
    """Switch ``model`` to the attention implementation ``attn`` in place.

    A no-op when the model already runs ``attn``. A model that cannot switch (a name HF does
    not know, a kernel that is not installed) is an :class:`InputError` naming both paths.
    """
    current = attention_path(model)
    if current == attn:
        return
    try:
        model.set_attn_implementation(attn)
    except Exception as e:  # noqa: BLE001 - any failure means: this path is not available
        hint = (
            "; load it with attn_implementation='eager' (bertology.models.load_encoder does)"
            if attn == "eager"
            else ""
        )
        raise InputError(
            f"the model uses attn_implementation={current!r} and cannot switch to {attn!r} "
            f"({e}){hint}"
        ) from None


@contextlib.contextmanager
def eager_attention(model: Any) -> Iterator[None]:
    """Run ``model`` in eval mode on the eager attention path, then restore both.

    A model loaded with another implementation is switched to eager for the block and
    switched back after, so a training loop's SDPA model can be measured at a checkpoint.
    """
    impl = attention_path(model)
    was_training = bool(getattr(model, "training", False))
    switch = impl not in (None, "eager")
    if switch:
        set_attention_path(model, "eager")
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)
        if switch:
            set_attention_path(model, impl)
