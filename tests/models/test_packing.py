"""oneDNN-packed linear layers: same outputs as the plain model, restored after, never
used where they would be wrong (autograd on, parametrized weights, stale weights)."""

from __future__ import annotations

import copy

import pytest
import torch
from torch.nn.utils import parametrize

from bertology.models import SmallMLMConfig, build_mlm
from bertology.models.packing import (
    ENV_SWITCH,
    clear_packed_cache,
    packed_linears,
    packing_available,
)

needs_packing = pytest.mark.skipif(not packing_available(), reason="no oneDNN in this build")


@pytest.fixture()
def model(wordpiece_tokenizer):
    clear_packed_cache()
    m = build_mlm(
        SmallMLMConfig(arch="bert", layers=2, hidden=64, heads=4, seed=3), wordpiece_tokenizer
    )
    return m.eval()


def _ids(seed: int = 0, shape: tuple[int, int] = (5, 9)) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(5, 100, shape, generator=g)  # the tiny vocabulary has ~150 ids


def _linears(model) -> list[torch.nn.Linear]:
    return [m for m in model.modules() if isinstance(m, torch.nn.Linear)]


@needs_packing
@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (5, 9), (33, 4)])
def test_packed_forward_matches_plain(model, shape):
    ids = _ids(shape=shape)
    with torch.inference_mode():
        ref = model(input_ids=ids).logits
        with packed_linears(model) as n:
            got = model(input_ids=ids).logits
    assert n == len(_linears(model))  # every linear, the tied decoder included
    assert torch.allclose(got, ref, atol=1e-5, rtol=1e-5)
    assert not torch.equal(ref, torch.zeros_like(ref))


@needs_packing
def test_restored_after_block_and_after_error(model):
    ids = _ids()
    with torch.inference_mode():
        ref = model(input_ids=ids).logits
        with pytest.raises(ValueError), packed_linears(model):
            raise ValueError("boom")
    assert all("forward" not in vars(m) for m in model.modules())
    with torch.inference_mode():
        assert torch.equal(model(input_ids=ids).logits, ref)


@needs_packing
def test_autograd_calls_use_the_original_forward(model):
    ids = _ids()
    twin = copy.deepcopy(model)
    with packed_linears(model) as n:
        assert n > 0
        model(input_ids=ids).logits.square().mean().backward()
    twin(input_ids=ids).logits.square().mean().backward()
    for a, b in zip(_linears(model), _linears(twin), strict=True):
        assert a.weight.grad is not None
        assert torch.allclose(a.weight.grad, b.weight.grad, atol=1e-6)


@needs_packing
def test_parametrized_weights_are_left_alone(model):
    """A pruning mask (applied through parametrize) may change between calls inside the block
    (MaskedModel.set); it must take effect, so such weights are never packed."""

    class Scale(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.factor = 1.0

        def forward(self, w: torch.Tensor) -> torch.Tensor:
            return w * self.factor

    lin = model.bert.encoder.layer[0].intermediate.dense
    scale = Scale()
    parametrize.register_parametrization(lin, "weight", scale)
    ids = _ids()
    with torch.inference_mode(), packed_linears(model) as n:
        assert "forward" not in vars(lin)
        scale.factor = 0.0
        got = model(input_ids=ids).logits
    with torch.inference_mode():
        ref = model(input_ids=ids).logits
        scale.factor = 1.0
        unmasked = model(input_ids=ids).logits
    assert n == len(_linears(model)) - 1
    assert torch.allclose(got, ref, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(got, unmasked, atol=1e-3)


@needs_packing
def test_cache_reused_and_invalidated_by_in_place_updates(model):
    ids = _ids()
    lin = model.bert.encoder.layer[1].output.dense
    with torch.inference_mode(), packed_linears(model):
        first = lin.forward.__closure__  # the packed weight lives in the closure
    with torch.inference_mode(), packed_linears(model):
        again = lin.forward.__closure__
    packed = [c.cell_contents for c in first if isinstance(c.cell_contents, torch.Tensor)]
    packed_again = [c.cell_contents for c in again if isinstance(c.cell_contents, torch.Tensor)]
    assert any(a is b for a in packed for b in packed_again)  # not re-packed

    with torch.no_grad():
        lin.weight.mul_(-2.0)  # an optimizer step or load_state_dict does this in place
    with torch.inference_mode():
        ref = model(input_ids=ids).logits
        with packed_linears(model):
            got = model(input_ids=ids).logits
    assert torch.allclose(got, ref, atol=1e-5, rtol=1e-5)


@needs_packing
def test_nested_blocks_keep_the_outer_packing(model):
    ids = _ids()
    with torch.inference_mode():
        ref = model(input_ids=ids).logits
        with packed_linears(model) as outer:
            with packed_linears(model) as inner:
                pass
            assert inner == 0
            assert all("forward" in vars(m) for m in _linears(model))
            got = model(input_ids=ids).logits
    assert outer > 0
    assert torch.allclose(got, ref, atol=1e-5, rtol=1e-5)


@needs_packing
def test_autocast_calls_use_the_original_forward(model):
    ids = _ids()
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        ref = model(input_ids=ids).logits
        with packed_linears(model) as n:
            got = model(input_ids=ids).logits
    assert n > 0
    assert got.dtype == ref.dtype == torch.bfloat16
    assert torch.equal(got, ref)


def test_switched_off_by_environment(model, monkeypatch):
    monkeypatch.setenv(ENV_SWITCH, "0")
    assert not packing_available()
    with packed_linears(model) as n:
        assert n == 0
    assert all("forward" not in vars(m) for m in model.modules())


def test_non_float32_models_are_not_packed(model):
    model = model.to(torch.float64)
    with packed_linears(model) as n:
        assert n == 0


@needs_packing
def test_the_intermediate_gelu_runs_fused_and_matches_plain(model):
    """BERT's intermediate block (dense + exact GELU) runs as one packed product with a GELU
    post-op; the outputs equal the plain model's, and a tanh GELU is left unfused."""
    ids = _ids(shape=(4, 11))
    blocks = [m for m in model.modules() if type(m).__name__ == "BertIntermediate"]
    with torch.inference_mode():
        ref = model(input_ids=ids).logits
        with packed_linears(model):
            assert blocks and all("forward" in vars(b) for b in blocks)
            got = model(input_ids=ids).logits
    assert torch.allclose(got, ref, atol=1e-5, rtol=1e-5)
    assert all("forward" not in vars(b) for b in blocks)
    from transformers.activations import ACT2FN

    for b in blocks:
        b.intermediate_act_fn = ACT2FN["gelu_new"]  # the tanh form: no exact post-op
    with torch.inference_mode(), packed_linears(model):
        assert not any("forward" in vars(b) for b in blocks)
