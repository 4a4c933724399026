"""Mask scores and the two LAMP parametrizations of a binary mask.

For each pruned matrix ``W`` (shape ``(out, in)``) a relation has a real score matrix ``G`` of
the same shape. The mask ``M`` multiplies ``W`` elementwise:

- **stochastic** (binary concrete): ``M = σ((G + log u − log(1−u)) / τ)``, ``u ~ U(0,1)`` while
  training; at inference the expectation ``σ(G)`` (or, with ``hard``, ``1[σ(G) > t]``);
- **deterministic**: ``M = 1[σ(G) > t]`` forward; backward passes straight through the
  threshold, so ``∂M/∂G = σ'(G)`` (straight-through estimator).

Scores are initialised so the expected pruned fraction equals the requested initial sparsity
(see :func:`init_scores`). :class:`SubnetworkMask` is a trained result: which weights are kept,
plus the soft mask for stochastic runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from bertology.errors import InputError
from bertology.prune.targets import Target

MODES = ("deterministic", "stochastic")


@dataclass
class MaskConfig:
    """The mask parametrization (science settings)."""

    mode: str = "deterministic"
    init_sparsity: float = 0.5
    tau: float = 0.1  # binary-concrete temperature (stochastic)
    threshold: float = 0.5  # t in 1[σ(G) > t]
    init_scale: float = 0.05  # spread of the initial scores around the threshold, in logits

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"unknown mask mode {self.mode!r}; known modes: {', '.join(MODES)}")
        if not 0.0 <= self.init_sparsity < 1.0:
            raise InputError(f"--init-sparsity must be in [0, 1), got {self.init_sparsity}")
        if not 0.0 < self.threshold < 1.0:
            raise InputError(f"--threshold must be in (0, 1), got {self.threshold}")
        if self.tau <= 0:
            raise InputError(f"--tau must be > 0, got {self.tau}")


def _logit(p: float) -> float:
    return math.log(p) - math.log1p(-p)


def init_scores(
    targets: list[Target], cfg: MaskConfig, generator: torch.Generator, device: Any = "cpu"
) -> list[Tensor]:
    """One leaf score tensor ``(out, in)`` per target, requiring grad.

    Deterministic: ``G = logit(t) + init_scale · (q − s)`` where ``q`` is a random permutation
    of the evenly spaced quantiles ``(k + ½)/n``; the weights with ``q ≤ s``, exactly
    ``⌊s·n + ½⌋`` of every matrix, start with ``σ(G) ≤ t`` (pruned). Stochastic:
    ``G = logit(1 − s)``, so each weight is pruned (sample < ½) with probability ``s``; the
    concrete noise breaks the symmetry. With ``s = 1 − t`` (the defaults) ``σ(G) = t``: the
    hard mask ``σ(G) > t`` then starts empty.
    """
    s = cfg.init_sparsity
    out = []
    for t in targets:
        n = t.shape[0] * t.shape[1]
        if cfg.mode == "deterministic":
            q = (torch.randperm(n, generator=generator).double() + 0.5) / n  # (n,) in (0, 1)
            g = _logit(cfg.threshold) + cfg.init_scale * (q - s)
            g = g.float()
        else:
            g = torch.full((n,), _logit(1.0 - s) if s > 0 else 6.0)
        out.append(g.reshape(t.shape).to(device).requires_grad_(True))
    return out


def hard_keep(scores: Tensor, threshold: float) -> Tensor:
    """Bool ``σ(G) > t``, computed as ``G > logit(t)``: one rule for training and inference."""
    return scores > _logit(threshold)


@torch.no_grad()
def moved_fraction(initial: list[Tensor], scores: list[Tensor], threshold: float) -> float:
    """Fraction of all weights whose hard mask ``σ(G) > t`` differs from ``initial``.

    ``initial[i]`` is the bool hard mask of matrix ``i`` at initialisation (before the first
    update); the fraction pools every matrix, so each weight counts once (a large matrix
    counts more than a small one). Why: sparsity alone cannot tell a mask that stayed where
    it started from one that swapped half its weights (both can end at 0.50); this can.
    """
    changed = total = 0
    for g, k in zip(scores, initial, strict=True):
        if g.shape != k.shape:  # no broadcasting: every weight is compared with its own start
            raise ValueError(f"scores {tuple(g.shape)} and initial mask {tuple(k.shape)} differ")
        changed += int((hard_keep(g, threshold) != k).sum())
        total += k.numel()
    return changed / total if total else 0.0


class _ThresholdSTE(torch.autograd.Function):
    """``1[σ(G) > t]`` forward; backward as if the mask were σ(G) (straight-through).

    The comparison is done on the scores (``G > logit(t)``), so the forward pass allocates
    only the mask; σ'(G) is computed in the backward pass from the saved scores.
    """

    @staticmethod
    def forward(ctx: Any, scores: Tensor, threshold: float) -> Tensor:
        ctx.save_for_backward(scores)
        return hard_keep(scores, threshold).to(scores.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        (scores,) = ctx.saved_tensors
        s = torch.sigmoid(scores)
        return grad * s * (1 - s), None


def deterministic_mask(scores: Tensor, threshold: float) -> Tensor:
    """Binary ``1[σ(G) > t]`` with gradient ``σ'(G)`` w.r.t. ``G`` (same shape as ``G``)."""
    return _ThresholdSTE.apply(scores, threshold)


def stochastic_mask(scores: Tensor, tau: float, generator: torch.Generator | None) -> Tensor:
    """A binary-concrete sample ``σ((G + log u − log(1−u)) / τ)`` in (0, 1)."""
    u = torch.rand(scores.shape, generator=generator, device=scores.device, dtype=scores.dtype)
    u = u.clamp_(1e-6, 1 - 1e-6)
    return torch.sigmoid((scores + torch.log(u) - torch.log1p(-u)) / tau)


def training_masks(
    scores: list[Tensor], cfg: MaskConfig, generator: torch.Generator | None
) -> list[Tensor]:
    """The masks one training step uses (differentiable w.r.t. the scores)."""
    if cfg.mode == "deterministic":
        return [deterministic_mask(g, cfg.threshold) for g in scores]
    return [stochastic_mask(g, cfg.tau, generator) for g in scores]


@torch.no_grad()
def inference_masks(scores: list[Tensor], cfg: MaskConfig, hard: bool) -> list[Tensor]:
    """Masks for evaluation: hard ``1[σ(G) > t]``, or for soft stochastic the expectation σ(G)."""
    if cfg.mode == "deterministic" or hard:
        return [hard_keep(g, cfg.threshold).float() for g in scores]
    return [torch.sigmoid(g) for g in scores]


def expected_sparsity(scores: list[Tensor], cfg: MaskConfig) -> Tensor:
    """Differentiable expected pruned fraction over all targets (for the sparsity regulariser).

    Uses ``1 − σ(G)`` for both modes (for deterministic masks it is the soft surrogate).
    """
    kept = sum(torch.sigmoid(g).sum() for g in scores)
    total = sum(g.numel() for g in scores)
    return 1.0 - kept / total


@dataclass
class SubnetworkMask:
    """A relation's trained mask: which weights of each target matrix are kept.

    ``keep[name]`` is a bool ``(out, in)`` tensor (True = kept), the hard subnetwork.
    ``soft[name]`` is σ(G) for stochastic masks (None unless kept). ``meta`` holds the
    model identity, layer range, mode, threshold and training config (see storage).
    """

    relation: str
    targets: list[Target]
    keep: dict[str, Tensor]
    soft: dict[str, Tensor] | None = None
    mode: str = "deterministic"
    threshold: float = 0.5
    layers: tuple[int, int] = (0, 0)
    model_name: str = ""
    model_shape_hash: str = ""
    model_fingerprint: str = ""
    config: dict[str, Any] = field(default_factory=dict)

    def tensors(self, soft: bool = False) -> dict[str, Tensor]:
        """Float masks to multiply the weights with: the soft σ(G) or the hard 0/1 mask."""
        if soft:
            if self.soft is None:
                raise InputError(
                    f"mask for relation {self.relation!r} has no soft values (it is "
                    f"{self.mode}, stored hard only); evaluate it hard"
                )
            return {k: v.float() for k, v in self.soft.items()}
        return {k: v.float() for k, v in self.keep.items()}

    @property
    def n_weights(self) -> int:
        return sum(v.numel() for v in self.keep.values())

    @property
    def sparsity(self) -> float:
        """Fraction of target weights pruned (hard mask)."""
        kept = sum(int(v.sum()) for v in self.keep.values())
        return 1.0 - kept / max(1, self.n_weights)

    def with_keep(self, relation: str, keep: dict[str, Tensor]) -> SubnetworkMask:
        """A hard mask on the same targets and model (for random controls, combinations)."""
        return SubnetworkMask(
            relation,
            self.targets,
            keep,
            None,
            "deterministic",
            self.threshold,
            self.layers,
            self.model_name,
            self.model_shape_hash,
            self.model_fingerprint,
            dict(self.config),
        )
