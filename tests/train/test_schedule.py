"""Learning-rate and checkpoint schedules."""

from __future__ import annotations

import pytest

from bertology.syntax.regularizer import SyntacticRegularizer
from bertology.train.config import CheckpointConfig, TrainConfig
from bertology.train.schedule import checkpoint_steps, lr_at


def test_checkpoints_step_zero_dense_early_then_every_m_plus_explicit_plus_final():
    c = CheckpointConfig(every=10, dense_until=50, then_every=100, steps=[7, 333, 5000])
    assert checkpoint_steps(c, 420) == [0, 7, 10, 20, 30, 40, 50, 100, 200, 300, 333, 400, 420]
    # the sparse phase keeps to multiples of then_every, not offsets from dense_until
    c = CheckpointConfig(every=25, dense_until=300, then_every=250)
    assert checkpoint_steps(c, 1000)[-5:] == [275, 300, 500, 750, 1000]


def test_checkpoints_log_spaced_after_the_dense_phase():
    c = CheckpointConfig(every=2, dense_until=6, log_per_decade=4)
    # 10^(k/4): 1, 2, 3, 6, 10, 18, 32, 56, 100, 178, 316, 562, 1000
    assert checkpoint_steps(c, 1000) == [0, 2, 4, 6, 10, 18, 32, 56, 100, 178, 316, 562, 1000]


def test_checkpoints_every_n_over_the_whole_run_without_dense_until():
    assert checkpoint_steps(CheckpointConfig(every=25), 100) == [0, 25, 50, 75, 100]
    assert checkpoint_steps(CheckpointConfig(every=0, initial=False), 100) == [100]


def test_final_step_is_always_a_checkpoint():
    assert checkpoint_steps(CheckpointConfig(every=30), 100)[-1] == 100


def test_linear_warmup_then_linear_decay():
    t = TrainConfig(lr=1.0, warmup_steps=4, max_steps=14, schedule="linear")
    assert [lr_at(s, t) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert lr_at(9, t) == pytest.approx(0.5)
    assert lr_at(13, t) == pytest.approx(0.1)


def test_cosine_decay_ends_at_min_lr_ratio():
    t = TrainConfig(lr=2.0, warmup_steps=0, max_steps=100, schedule="cosine", min_lr_ratio=0.1)
    assert lr_at(0, t) == pytest.approx(2.0)
    assert lr_at(50, t) == pytest.approx(2.0 * (0.1 + 0.9 * 0.5))
    assert lr_at(100, t) == pytest.approx(0.2)


def test_regularizer_switches_off_at_until_step():
    reg = SyntacticRegularizer(lam=1.0, until_step=3)
    assert [reg.active(s) for s in range(5)] == [True, True, True, False, False]
    assert not SyntacticRegularizer(lam=0.0).active(0)
    assert SyntacticRegularizer(lam=-1.0).active(10**6)
