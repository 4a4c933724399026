"""A Hugging Face classification head on a masked LM's encoder, and masks kept fixed in training.

:func:`classifier_from_mlm` builds ``AutoModelForSequenceClassification`` (or
``...ForMultipleChoice``) from the MLM's config and copies the encoder's weights in, as
``from_pretrained`` does for a ``*ForMaskedLM`` checkpoint: the MLM head is dropped, the new
head (and a pooler the MLM lacks) is initialised from ``seed``. The weights are copied, never
shared, so training the classifier cannot touch the MLM (an evaluator's pre-training model).

:class:`FixedPruning` keeps a subnetwork a subnetwork while it is fine-tuned. Pruned weights
are zeroed before training; their gradients are zeroed by a hook as they are computed (so
gradient clipping and Adam's moments see only live weights); and after every optimizer step
:meth:`FixedPruning.reapply` zeroes them again, so neither an update nor weight decay can
move them, whatever the optimizer does.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import Tensor

from bertology.errors import InputError
from bertology.prune.masks import SubnetworkMask


def classifier_from_mlm(mlm: Any, kind: str, num_labels: int, seed: int) -> Any:
    """A new sequence-classification (``kind`` single or pair) or multiple-choice model with
    ``mlm``'s encoder weights (copied, fp32) and a head initialised from ``seed``."""
    from transformers import (  # transformers: slow to import, only on this path
        AutoModelForMultipleChoice,
        AutoModelForSequenceClassification,
    )

    mlm = getattr(mlm, "module", mlm)  # a DDP-wrapped training model
    config = copy.deepcopy(mlm.config)
    auto = AutoModelForMultipleChoice if kind == "choice" else AutoModelForSequenceClassification
    if kind != "choice":
        config.num_labels = num_labels
        config.problem_type = "single_label_classification"
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = auto.from_config(config, dtype=torch.float32)
    except ValueError as e:  # an architecture without such a head in transformers
        raise InputError(f"{type(mlm).__name__}: no {auto.__name__[9:]} head ({e})") from None
    finally:
        torch.random.set_rng_state(state)
    source = mlm.state_dict()
    target = model.state_dict()
    prefix = model.base_model_prefix + "."
    missing = [
        k for k in target if k not in source and k.startswith(prefix) and ".pooler." not in k
    ]
    if missing:
        raise InputError(
            f"the masked LM lacks encoder weights the classifier needs ({', '.join(missing[:3])})"
        )
    shared = {k: v for k, v in source.items() if k in target}
    model.load_state_dict(shared, strict=False)  # copies into the new model's own tensors
    return model


class FixedPruning:
    """Pruned weights of ``mask`` held at exactly zero in ``model`` during fine-tuning.

    >>> guard = FixedPruning(model, mask)   # doctest: +SKIP
    >>> guard.attach()                      # zeroes the weights, hooks their gradients
    >>> loss.backward(); opt.step(); guard.reapply()
    """

    def __init__(self, model: Any, mask: SubnetworkMask):
        params = dict(model.named_parameters())
        missing = [t.name for t in mask.targets if t.name not in params]
        if missing:
            raise InputError(
                f"the model has no parameter {missing[0]!r} named in the mask of relation "
                f"{mask.relation!r}"
            )
        self.mask = mask
        self.pairs: list[tuple[Tensor, Tensor]] = []
        for t in mask.targets:
            p = params[t.name]
            pruned = ~mask.keep[t.name].to(p.device, torch.bool)  # (out, in), True = pruned
            if pruned.shape != p.shape:
                raise InputError(
                    f"mask for {t.name} has shape {tuple(pruned.shape)}, not {tuple(p.shape)}"
                )
            self.pairs.append((p, pruned))
        self._hooks: list[Any] = []

    def attach(self) -> None:
        """Zero the pruned weights and zero their gradients from now on."""
        self.reapply()
        for p, pruned in self.pairs:
            self._hooks.append(p.register_hook(lambda g, m=pruned: g.masked_fill(m, 0.0)))

    def detach(self) -> None:
        """Remove the gradient hooks (the weights stay as they are)."""
        for h in self._hooks:
            h.remove()
        self._hooks.clear()

    @torch.no_grad()
    def reapply(self) -> None:
        """Zero the pruned weights in place (after every optimizer step)."""
        for p, pruned in self.pairs:
            p.masked_fill_(pruned, 0.0)

    @torch.no_grad()
    def nonzero_pruned(self) -> int:
        """How many pruned weights are not exactly zero (0 after fine-tuning, or a bug)."""
        return sum(int((p[pruned] != 0).sum()) for p, pruned in self.pairs)
