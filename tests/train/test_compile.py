"""``impl.compile`` in pre-training, fast: Dynamo traces the loop's objective (``aot_eager``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from bertology.train import pretrain


def _losses(tiny_config: Any, out: Path, compiled: bool) -> list[float]:
    cfg = tiny_config(
        model={"dropout": 0.0},
        train={"max_steps": 3},
        sas={"lambda": -0.5, "until_step": 2},  # eager with attentions, then SDPA
        checkpoint={"every": 0, "initial": False},
        eval={"evaluators": []},
        impl={"compile": compiled},
    )
    pretrain(cfg, out)
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    return [r["loss"] for r in rows if r["kind"] == "train"]


def test_compiled_objective_is_traced_and_gives_the_eager_losses(
    tiny_config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``impl.compile: true`` the loop runs its objective through ``torch.compile``
    (Dynamo graph capture and AOT autograd; the ``aot_eager`` backend instead of Inductor's
    code generation, which is what the slow test adds), across the switch from the eager
    path with the regularizer to SDPA, and the losses equal the uncompiled run's."""
    calls: list[Any] = []
    compile_ = torch.compile

    def traced(model: Any, **kw: Any) -> Any:
        calls.append(model)
        return compile_(model, backend="aot_eager", **kw)

    plain = _losses(tiny_config, tmp_path / "plain", False)
    assert calls == []
    monkeypatch.setattr(torch, "compile", traced)
    torch._dynamo.reset()
    counter = torch._dynamo.utils.counters
    counter.clear()
    comp = _losses(tiny_config, tmp_path / "compiled", True)
    assert len(calls) == 1 and type(calls[0]).__name__ == "MLMObjective"
    assert counter["stats"]["unique_graphs"] > 0  # Dynamo really captured graphs
    np.testing.assert_allclose(comp, plain, rtol=1e-5)
