"""Checkpoint pieces: names, partial saves, RNG and optimizer state round trips."""

from __future__ import annotations

import random

import numpy as np
import torch

from bertology.train.checkpoint import (
    capture_rng,
    checkpoint_name,
    list_checkpoints,
    load_optimizer_tensors,
    optimizer_tensors,
    remove_partial_saves,
    restore_rng,
)


def test_checkpoint_names_are_zero_padded_and_sort_by_step():
    assert checkpoint_name(100, 1000) == "step-000100"
    assert checkpoint_name(5, 12_000_000) == "step-00000005"
    names = [checkpoint_name(s, 10**6) for s in (0, 9, 10, 100_000)]
    assert names == sorted(names)


def test_a_killed_save_is_never_listed_and_is_cleaned_up(tmp_path):
    done = tmp_path / "step-000010"
    done.mkdir()
    (done / "config.json").write_text("{}")
    partial = tmp_path / ".step-000020.x1y2.tmp"  # what SIGKILL mid-save leaves behind
    partial.mkdir()
    (partial / "config.json").write_text("{}")
    assert list_checkpoints(tmp_path) == [(10, done)]
    assert remove_partial_saves(tmp_path) == [partial]
    assert not partial.exists() and done.exists()


def test_rng_states_round_trip():
    torch.manual_seed(1)
    np.random.seed(2)
    random.seed(3)
    state = capture_rng()
    a = (torch.rand(3), np.random.rand(3), random.random())
    torch.manual_seed(9)
    np.random.seed(9)
    random.seed(9)
    restore_rng(state)
    b = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]


def test_optimizer_state_round_trips_by_parameter_name():
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    names = {id(p): n for n, p in model.named_parameters()}
    opt = torch.optim.AdamW(model.parameters(), lr=0.1)
    for _ in range(3):
        model(torch.randn(5, 4)).sum().backward()
        opt.step()
    saved = optimizer_tensors(opt, names)
    assert set(saved) == {
        f"{n}/{k}" for n in names.values() for k in ("step", "exp_avg", "exp_avg_sq")
    }
    fresh = torch.optim.AdamW(model.parameters(), lr=0.1)
    load_optimizer_tensors(fresh, saved, names)
    for p in model.parameters():
        for k, v in opt.state[p].items():
            assert torch.equal(fresh.state[p][k], v)
