"""Bar charts carry their values (a 0 too), their n, their intervals and their baseline: each
test inspects the drawn artists, not only that a PNG was written."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure

from bertology.prune.report import draw_figures
from bertology.report.figures_bars import bar_chart, grouped_bar_chart


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


def _bars(ax) -> list:
    return [p for c in ax.containers if isinstance(c, BarContainer) for p in c.patches]


def _legend_labels(ax) -> list[str]:
    return ax.get_legend_handles_labels()[1]


def test_every_bar_has_its_value_label_including_zero(tmp_path: Path, drawn) -> None:
    bar_chart({"IsA": 0.0, "HasA": 0.25, "PartOf": 0.5}, tmp_path / "b.png", "P@1", "P@1")
    ax = drawn[0].axes[0]
    assert len(_bars(ax)) == 3
    assert sorted(t.get_text() for t in ax.texts) == ["0.00", "0.25", "0.50"]
    # the 0 bar is marked on the axis, so it reads as a bar of height 0, not a missing one
    assert any(np.allclose(line.get_ydata(), 0) for line in ax.get_lines())


def test_counts_go_into_the_tick_labels(tmp_path: Path, drawn) -> None:
    bar_chart({"IsA": 0.3, "HasA": 0.2}, tmp_path / "b.png", "t", "P@1", counts={"IsA": 20})
    ax = drawn[0].axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["IsA\n(n=20)", "HasA"]


def test_chance_is_drawn_and_named_only_when_given(tmp_path: Path, drawn) -> None:
    values = {"IsA": 0.3, "HasA": 0.2}
    bar_chart(values, tmp_path / "a.png", "t", "P@1", baseline={"IsA": 0.1, "HasA": 0.05})
    bar_chart(values, tmp_path / "b.png", "t", "acc", baseline=0.5, baseline_label="chance (0.5)")
    bar_chart(values, tmp_path / "c.png", "t", "P@1")
    per_key, single, none = (f.axes[0] for f in drawn)
    segments = [c for c in per_key.collections if isinstance(c, LineCollection)]
    assert len(segments) == 1 and segments[0].get_label() == "chance"
    assert sorted(s[0][1] for s in segments[0].get_segments()) == pytest.approx([0.05, 0.1])
    assert "chance" in _legend_labels(per_key)
    assert any(np.allclose(line.get_ydata(), 0.5) for line in single.get_lines())
    assert "chance (0.5)" in _legend_labels(single)
    assert none.get_legend() is None


def test_intervals_are_drawn_as_error_bars(tmp_path: Path, drawn) -> None:
    bar_chart(
        {"IsA": 0.3, "HasA": 0.2},
        tmp_path / "b.png",
        "t",
        "P@1",
        intervals={"IsA": [0.1, 0.5], "HasA": [0.05, 0.4]},
    )
    ax = drawn[0].axes[0]
    (eb,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    ends = sorted(tuple(np.round(seg[:, 1], 6)) for seg in eb.lines[2][0].get_segments())
    assert ends == [(0.05, 0.4), (0.1, 0.5)]
    assert ax.get_ylim()[1] >= 0.5  # the interval is inside the axes


def test_no_error_bars_without_intervals_and_y_axis_fitted(tmp_path: Path, drawn) -> None:
    bar_chart({"IsA": 0.3, "HasA": 0.2}, tmp_path / "b.png", "t", "P@1")
    ax = drawn[0].axes[0]
    assert not [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert 0.3 < ax.get_ylim()[1] < 0.5  # not a 0-1 axis for values of at most 0.3


def test_grouped_bars_have_labels_intervals_and_a_baseline(tmp_path: Path, drawn) -> None:
    grouped_bar_chart(
        {"full": {"IsA": 0.3, "HasA": 0.0}, "subnetwork": {"IsA": 0.2, "HasA": 0.1}},
        tmp_path / "g.png",
        "t",
        "P@1",
        intervals={"full": {"IsA": [0.1, 0.5], "HasA": [0.0, 0.1]}},
        counts={"IsA": 20, "HasA": 18},
        baseline={"IsA": 0.08, "HasA": 0.04},
        baseline_label="random mask",
        baseline_intervals={"IsA": [0.0, 0.2], "HasA": [0.0, 0.1]},
    )
    ax = drawn[0].axes[0]
    assert len(_bars(ax)) == 4
    assert sorted(t.get_text() for t in ax.texts) == ["0.00", "0.10", "0.20", "0.30"]
    assert len([c for c in ax.containers if isinstance(c, ErrorbarContainer)]) == 2
    assert "random mask" in _legend_labels(ax)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["IsA\n(n=20)", "HasA\n(n=18)"]


def test_prune_figure_shows_intervals_n_and_the_random_mask_control(tmp_path: Path, drawn) -> None:
    row = {
        "n_test": 16,
        "full p@1": 0.125,
        "subnetwork p@1": 0.1875,
        "random p@1": 0.083,
        "full p@1_ci": [0.0, 0.31],
        "subnetwork p@1_ci": [0.0, 0.37],
        "random p@1_ci": [0.0, 0.2],
    }
    results = {
        "summary": {"AtLocation": row, "IsA": {**row, "n_test": 20, "full p@1": 0.0}},
        "relations": {
            r: {"sparsity_by_layer": {"0": 0.49, "1": 0.5}} for r in ("AtLocation", "IsA")
        },
    }
    outcome = types.SimpleNamespace(targets=[types.SimpleNamespace(layer=i) for i in (0, 1)])
    draw_figures(types.SimpleNamespace(figures=tmp_path), results, outcome)
    bars_fig, sparsity_fig = drawn
    ax = bars_fig.axes[0]
    assert "random mask (same sparsity)" in _legend_labels(ax)
    assert len([c for c in ax.containers if isinstance(c, ErrorbarContainer)]) == 3
    assert "0.00" in [t.get_text() for t in ax.texts]
    assert [t.get_text() for t in ax.get_xticklabels()][1] == "IsA\n(n=20)"
    im = next(a for a in sparsity_fig.axes if a.images).images[0]
    assert (im.norm.vmin, im.norm.vmax) == pytest.approx((0.49, 0.5))
