"""``training.png``: the curves of a pre-training run (validation loss, UAS, BLiMP, TwoNN)
stacked on one shared step axis, the detected breaks drawn through every panel, and panels
without data left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from bertology.dynamics.figures import summary_figure, training_figure
from bertology.train.figures import plot_run


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """Every figure saved during the test, still inspectable after it was written."""
    figs: list[Figure] = []
    save = Figure.savefig

    def record(self: Figure, *args, **kwargs):
        figs.append(self)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", record)
    return figs


def _training(fig: Figure) -> Figure:
    """``fig``, checked to be the stacked training figure (its title says so)."""
    assert fig._suptitle.get_text().startswith("training dynamics")
    return fig


def _shares_x(axes: list) -> bool:
    return all(axes[0].get_shared_x_axes().joined(axes[0], a) for a in axes[1:])


STEPS = [0, 100, 200, 300, 400, 500]


def _entry(values: list[float], onset=None, direction=1) -> dict:
    return {"steps": STEPS, "values": values, "onset": onset, "plateau": None,
            "direction": direction}  # fmt: skip


def test_training_figure_stacks_panels_on_one_shared_step_axis(tmp_path: Path) -> None:
    curves = {
        "run": {
            "val_loss": (STEPS, [7, 6, 5, 3, 2.5, 2.4]),
            "uas": (STEPS, [0.1, 0.1, 0.3, 0.5, 0.5, 0.5]),
            "uas_fixed_head": (STEPS, [0.05, 0.1, 0.2, 0.5, 0.5, 0.5]),
            "blimp": (STEPS, [0.5, 0.5, 0.6, 0.7, 0.8, 0.8]),
            "twonn": (STEPS, [15, 14, 12, 11, 10, 10]),
        }
    }
    breaks = {"run": {"structure_onset": 200, "capability_onset": 300, "twonn_drop_onset": None}}
    out = training_figure(curves, tmp_path / "training.png", breaks)
    assert out is not None and out.exists()


def test_training_axes_share_x_and_carry_the_breaks(tmp_path: Path, drawn) -> None:
    runs = {
        "pretrain": {
            "val_loss": _entry([7, 6, 5, 3, 2.5, 2.4], onset=200, direction=-1),
            "uas": _entry([0.1, 0.1, 0.3, 0.5, 0.5, 0.5], onset=200),
            "blimp": _entry([0.5, 0.5, 0.6, 0.7, 0.8, 0.8], onset=300),
            "twonn": _entry([15, 14, 12, 11, 10, 10], onset=100, direction=-1),
        }
    }
    summary_figure(runs, tmp_path / "summary.png")
    assert (tmp_path / "training.png").exists()
    fig = _training(drawn[0])  # summary_figure draws training.png first
    axes = fig.axes
    assert [a.get_ylabel() for a in axes] == [
        "validation loss",
        "UAS",
        "BLiMP accuracy",
        "TwoNN dimension",
    ]
    assert _shares_x(axes)
    assert axes[-1].get_xlabel() == "training step"
    for ax in axes:  # every break through every panel
        xs = sorted(line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() != "-")
        assert {100, 200, 300} <= set(xs)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "structure onset (UAS): step 200" in legend
    assert "capability onset: step 300" in legend
    assert "TwoNN drop: step 100" in legend


def test_panels_without_data_are_left_out(tmp_path: Path, drawn) -> None:
    out = training_figure({"r": {"val_loss": (STEPS, [3, 2, 1, 1, 1, 1])}}, tmp_path / "t.png")
    assert out is not None
    assert [a.get_ylabel() for a in _training(drawn[0]).axes] == ["validation loss"]
    assert training_figure({"r": {}}, tmp_path / "none.png") is None
    assert not (tmp_path / "none.png").exists()


def test_pretrain_run_draws_training_png_from_its_checkpoint_metrics(tmp_path: Path, drawn) -> None:
    rows = [{"kind": "train", "step": s, "loss": 8 - s / 100} for s in range(0, 501, 50)]
    for s, loss, uas in zip(STEPS, [7, 6, 5, 3, 2.5, 2.4], [0.1, 0.1, 0.3, 0.5, 0.5, 0.5],
                            strict=True):  # fmt: skip
        rows.append({"kind": "eval", "step": s, "evaluator": "val_loss", "val_loss": loss})
        rows.append({"kind": "eval", "step": s, "evaluator": "uas", "uas": uas})
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    written = plot_run(tmp_path, tmp_path / "figures")
    assert tmp_path / "figures" / "training.png" in written
    axes = _training(drawn[-1]).axes  # after loss.png and uas.png
    assert [a.get_ylabel() for a in axes] == ["validation loss", "UAS"]
    assert _shares_x(axes)
