"""The one attention-path switch (:mod:`bertology.models.attention`)."""

from __future__ import annotations

import pytest

from bertology.errors import InputError
from bertology.models.attention import attention_path, eager_attention, set_attention_path
from bertology.models.load import load_mlm


@pytest.fixture
def sdpa_bert(tiny_bert_dir):
    model, _ = load_mlm(tiny_bert_dir, device="cpu", attn="sdpa")
    return model


def test_set_attention_path_switches_and_reports(sdpa_bert):
    assert attention_path(sdpa_bert) == "sdpa"
    set_attention_path(sdpa_bert, "eager")
    assert attention_path(sdpa_bert) == "eager"
    set_attention_path(sdpa_bert, "sdpa")
    assert attention_path(sdpa_bert) == "sdpa"


def test_an_unknown_path_is_an_input_error_naming_both(sdpa_bert):
    with pytest.raises(InputError, match=r"attn_implementation='sdpa' and cannot switch to 'nope'"):
        set_attention_path(sdpa_bert, "nope")
    assert attention_path(sdpa_bert) == "sdpa"


def test_eager_attention_restores_path_and_training_mode(sdpa_bert):
    sdpa_bert.train()
    with eager_attention(sdpa_bert):
        assert attention_path(sdpa_bert) == "eager"
        assert not sdpa_bert.training
    assert attention_path(sdpa_bert) == "sdpa" and sdpa_bert.training
    sdpa_bert.eval()
    with eager_attention(sdpa_bert):
        pass
    assert not sdpa_bert.training


def test_eager_attention_restores_even_when_the_block_fails(sdpa_bert):
    sdpa_bert.train()
    with pytest.raises(RuntimeError, match="boom"), eager_attention(sdpa_bert):
        raise RuntimeError("boom")
    assert attention_path(sdpa_bert) == "sdpa" and sdpa_bert.training


def test_a_model_that_cannot_switch_is_an_input_error():
    class Stuck:
        class config:  # noqa: N801 - mimics an HF config attribute
            _attn_implementation = "flash_attention_2"

        training = False

        def set_attn_implementation(self, attn):
            raise ValueError("flash_attn is not installed")

        def eval(self):
            return self

        def train(self, mode=True):
            return self

    with (
        pytest.raises(InputError, match="load it with attn_implementation='eager'"),
        eager_attention(Stuck()),
    ):
        pass
