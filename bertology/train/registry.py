"""The evaluator registry: checkpoint evaluators by name, resolved when a run builds them.

A leaf module (it imports no other part of :mod:`bertology.train`), so that validating a
config and building the evaluators ask the same table without importing each other. An entry
is either a factory or, registered lazily, a ``"package.module:Name"`` string imported on first
use, as lm-eval's ``register(..., lazy=...)``::

    register_evaluator("blimp", lazy="bertology.blimp.evaluator:BlimpEvaluator")

    @register_evaluator("twonn")
    class TwoNNEvaluator:
        def __init__(self, ctx: EvalContext): ...
        def __call__(self, model, step: int) -> dict[str, float]: ...

A lazy entry whose module fails to import raises that ImportError when the run builds it; it
is never reported as an unknown name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from bertology.errors import unknown_name_error

EVALUATORS: dict[str, Any] = {
    "val_loss": "bertology.train.evaluators:ValLossEvaluator",
    "uas": "bertology.train.evaluators:UASEvaluator",
    "blimp": "bertology.evals.evaluators:BlimpEvaluator",
    "twonn": "bertology.evals.evaluators:TwoNNEvaluator",
    "finetune": "bertology.finetune.evaluator:FinetuneEvaluator",
}


def register_evaluator(
    name: str, factory: Any = None, *, lazy: str | None = None
) -> Callable[[Any], Any]:
    """Make an evaluator available as ``eval.evaluators: [name]``.

    Use as a class decorator, call with a ``factory``, or give ``lazy="pkg.mod:Name"`` to
    import the module only when a run asks for ``name``.
    """
    if lazy is not None:
        if ":" not in lazy:
            raise ValueError(
                f"lazy evaluator {name!r}: expected 'package.module:Name', got {lazy!r}"
            )
        EVALUATORS[name] = lazy

    def deco(f: Any) -> Any:
        EVALUATORS[name] = f
        return f

    if factory is not None:
        return deco(factory)
    return deco


def evaluator_names() -> list[str]:
    """The registered names, lazy ones included (nothing is imported)."""
    return sorted(EVALUATORS)


def check_evaluator_name(name: str) -> None:
    """Raise an :class:`~bertology.errors.InputError` listing the known names for an unknown one."""
    if name not in EVALUATORS:
        raise unknown_name_error("evaluator", name, evaluator_names())


def get_evaluator(name: str) -> Any:
    """The factory registered as ``name``, importing its module if it was registered lazily."""
    check_evaluator_name(name)
    entry = EVALUATORS[name]
    if isinstance(entry, str):
        mod, _, attr = entry.partition(":")
        entry = getattr(importlib.import_module(mod), attr)
        EVALUATORS[name] = entry
    return entry
