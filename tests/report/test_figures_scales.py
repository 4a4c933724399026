"""Colour scales and axes of the heatmaps and line plots: the colour range is the data's own
(not 0-1), diverging data is centred, cell labels use the colour bar's units, layer axes have
one integer tick per layer, and the [MASK] attention figure draws every group it computed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from bertology.prune.maskfiles import relation_heatmap
from bertology.prune.report import mask_attention_figure
from bertology.report.figures import heatmap, line_plot
from bertology.syntax.figures import plot_uas_heatmap
from bertology.syntax.uas_result import OFFSETS, UASResult


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


def _image(fig: Figure):
    (ax,) = [a for a in fig.axes if a.images]
    return ax, ax.images[0]


def test_heatmap_colour_scale_is_the_range_of_the_data(tmp_path: Path, drawn) -> None:
    m = [[0.05, 0.2], [0.33, 0.1]]  # a specialization matrix: all at most 0.33
    heatmap(m, tmp_path / "h.png", "t", "x", "y")
    _, im = _image(drawn[0])
    assert (im.norm.vmin, im.norm.vmax) == pytest.approx((0.05, 0.33))


def test_relation_heatmap_is_not_stretched_to_zero_one(tmp_path: Path, drawn) -> None:
    relation_heatmap([[0.19, 0.0], [0.11, 0.33]], ["A", "B"], tmp_path / "s.png", "spec")
    _, im = _image(drawn[0])
    assert (im.norm.vmin, im.norm.vmax) == pytest.approx((0.0, 0.33))


def test_diverging_heatmap_is_centred_on_zero(tmp_path: Path, drawn) -> None:
    heatmap([[-0.1, 0.3], [0.0, 0.2]], tmp_path / "d.png", "drop", "x", "y", diverging=True)
    _, im = _image(drawn[0])
    assert (im.norm.vmin, im.norm.vmax) == pytest.approx((-0.3, 0.3))
    assert im.get_cmap().name == "RdBu_r"


def test_heatmap_cell_labels_are_the_values(tmp_path: Path, drawn) -> None:
    m = np.array([[0.125, 0.5], [0.25, 0.75]])
    heatmap(m, tmp_path / "h.png", "t", "x", "y")
    ax, _ = _image(drawn[0])
    assert sorted(float(t.get_text()) for t in ax.texts) == pytest.approx([0.12, 0.25, 0.5, 0.75])


def _uas_result(L: int = 3, H: int = 2) -> UASResult:
    rng = np.random.default_rng(0)
    n = 200
    correct = {
        v: rng.integers(10, 80, size=(L, H, 2)).astype(float) for v in ("reference", "clean")
    }
    offsets = {v: np.array([30.0, 50.0, 10.0, 5.0, 2.0, 1.0])[: len(OFFSETS)] for v in correct}
    return UASResult(
        n_layers=L,
        n_heads=H,
        relations=["nsubj"],
        correct=correct,
        attn_on_gold={v: np.zeros((L, H, 2)) for v in correct},
        n={v: n for v in correct},
        rel_correct=np.ones((L, H, 2, 1)),
        rel_n=np.array([50]),
        offset_correct=offsets,
        offset_rel_correct=np.ones((len(OFFSETS), 1)),
        n_sentences=10,
    )


def test_uas_heatmap_cells_and_colour_bar_use_the_same_units(tmp_path: Path, drawn) -> None:
    result = _uas_result()
    plot_uas_heatmap(result, tmp_path / "uas.png")
    fig = drawn[0]
    scores = np.stack([result.uas(v) for v in ("reference", "clean")])
    panels = [a for a in fig.axes if a.images]
    assert len(panels) == 4
    for ax in panels:
        norm = ax.images[0].norm
        assert (norm.vmin, norm.vmax) == pytest.approx((scores.min(), scores.max()))
        cells = [float(t.get_text()) for t in ax.texts]
        assert len(cells) == result.n_layers * result.n_heads
        # a label of 41 over a 0-0.4 colour bar is what this guards against
        assert all(norm.vmin - 0.005 <= c <= norm.vmax + 0.005 for c in cells)
        assert list(ax.get_yticks()) == list(range(result.n_layers))
    colour_bar = next(a for a in fig.axes if not a.images and a.get_ylabel().startswith("UAS"))
    base = result.best_baseline("clean")["uas"]
    assert any(np.allclose(line.get_ydata(), base) for line in colour_bar.lines)


def test_line_plot_has_one_integer_tick_per_layer(tmp_path: Path, drawn) -> None:
    line_plot({"a": ([0, 1, 2, 3], [0.1, 0.4, 0.2, 0.3])}, tmp_path / "l.png", "t", "layer", "y")
    ax = drawn[0].axes[0]
    assert list(ax.get_xticks()) == [0, 1, 2, 3]


def test_mask_attention_draws_every_group_with_integer_layers(tmp_path: Path, drawn) -> None:
    groups = ("subject", "template", "mask", "special")
    side = {g: [0.1 * (i + 1)] * 4 for i, g in enumerate(groups)} | {"n": 71}
    inspection = {"layers": 4, "mask_attention": {"all": {"full": side, "subnetwork": side}}}
    mask_attention_figure(inspection, tmp_path / "m.png")
    ax = drawn[0].axes[0]
    labels = {line.get_label() for line in ax.get_lines()}
    assert labels == {f"{g}, {s}" for g in groups for s in ("full", "subnetwork")}
    assert list(ax.get_xticks()) == [0, 1, 2, 3]
    assert ax.get_xlabel() == "layer" and ax.get_ylabel()
