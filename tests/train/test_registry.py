"""The evaluator registry: validation and building ask one table; lazy entries import late."""

from __future__ import annotations

import sys
import types

import pytest

from bertology.errors import InputError
from bertology.train import registry
from bertology.train.config import config_from_dict
from bertology.train.evaluators import EvalContext, build_evaluators

MINIMAL = {"data": {"train": ["t.txt"]}}


@pytest.fixture
def restore_registry():
    saved = dict(registry.EVALUATORS)
    yield
    registry.EVALUATORS.clear()
    registry.EVALUATORS.update(saved)
    sys.modules.pop("bertology_test_evaluators", None)


def _ctx() -> EvalContext:
    return EvalContext(config=None, tokenizer=None, device="cpu")


def test_a_lazy_evaluator_passes_validation_without_importing_its_module(restore_registry):
    registry.register_evaluator("probe_x", lazy="bertology_test_evaluators:ProbeX")
    config_from_dict({**MINIMAL, "eval": {"evaluators": ["probe_x"]}})  # validates
    assert "bertology_test_evaluators" not in sys.modules
    mod = types.ModuleType("bertology_test_evaluators")

    class ProbeX:
        def __init__(self, ctx: EvalContext):
            self.ctx = ctx

        def __call__(self, model, step):
            return {"x": step}

    mod.ProbeX = ProbeX
    sys.modules["bertology_test_evaluators"] = mod
    built = build_evaluators(["probe_x"], _ctx())
    assert isinstance(built["probe_x"], ProbeX)
    assert built["probe_x"](None, 7) == {"x": 7}


def test_an_evaluator_whose_module_fails_to_import_raises_that_import_error(restore_registry):
    registry.register_evaluator("broken", lazy="bertology_no_such_module_xyz:Broken")
    config_from_dict({**MINIMAL, "eval": {"evaluators": ["broken"]}})
    with pytest.raises(ModuleNotFoundError, match="bertology_no_such_module_xyz"):
        build_evaluators(["broken"], _ctx())


def test_a_decorated_evaluator_is_built(restore_registry):
    @registry.register_evaluator("const")
    class Const:
        def __init__(self, ctx):
            pass

        def __call__(self, model, step):
            return {"c": 1.0}

    assert build_evaluators(["const"], _ctx())["const"](None, 0) == {"c": 1.0}


def test_an_unknown_name_lists_the_registered_ones_at_build_time():
    with pytest.raises(InputError, match=r"unknown evaluator 'uass'.*uas, val_loss"):
        build_evaluators(["uass"], _ctx())


def test_a_lazy_path_without_a_colon_is_refused(restore_registry):
    with pytest.raises(ValueError, match="package.module:Name"):
        registry.register_evaluator("bad", lazy="bertology.train.evaluators.UASEvaluator")


def test_the_builtin_evaluators_resolve_to_their_classes():
    from bertology.train.evaluators import UASEvaluator, ValLossEvaluator

    assert registry.get_evaluator("uas") is UASEvaluator
    assert registry.get_evaluator("val_loss") is ValLossEvaluator
