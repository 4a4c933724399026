"""A prune run, ``specialize`` and ``inspect`` end to end: results.json carries each P@1's
interval and n, the paired differences, how far each mask moved, and the printed summaries
show them; ``inspect --state cls`` reads the [CLS] state."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bertology.cli import app
from bertology.prune.config import PruneConfig, PruneImpl, PruneRunConfig
from bertology.prune.followup import specialize
from bertology.prune.run import prune

ARMS = ("full", "subnetwork", "random")


def _inside(value: float, ci: list[float] | None) -> bool:
    return ci is not None and ci[0] - 1e-12 <= value <= ci[1] + 1e-12


def test_results_specialize_and_inspect_carry_intervals_and_movement(
    tmp_path: Path,
    scaled_bert: Any,
    scaled_bert_dir: Path,
    wordpiece_tokenizer: Any,
    fact_files: tuple[Path, Path],
    capsys: Any,
) -> None:
    facts, rel = fact_files
    cfg = PruneRunConfig(
        model=str(scaled_bert_dir),
        facts=str(facts),
        relations_file=str(rel),
        train=PruneConfig(layers="all", epochs=3, lr=0.01, batch_size=4, seed=3,
                          split_ratios=(0.5, 0.0, 0.5)),
        random_seeds=[0, 1],
        impl=PruneImpl(progress=False),
    )  # fmt: skip
    run = tmp_path / "run"
    prune(cfg, run, model=scaled_bert, tokenizer=wordpiece_tokenizer)
    printed = capsys.readouterr().err
    results = json.loads((run / "results.json").read_text())
    for r in ("capital", "material"):
        e = results["relations"][r]
        n = e["full"]["n"]
        assert n >= 2
        for arm in ARMS:
            assert e[arm]["n"] == n and _inside(e[arm]["p@1"], e[arm]["p@1_ci"])
        for other in ("full", "random"):
            d = e[f"subnetwork_minus_{other}"]
            assert d["n"] == n
            assert d["diff"] == pytest.approx(e["subnetwork"]["p@1"] - e[other]["p@1"])
            assert _inside(d["diff"], d["diff_ci"])
        assert 0.0 <= e["moved"] <= 1.0 and e["initial_sparsity"] == pytest.approx(0.5, abs=0.01)
        assert [h["epoch"] for h in e["history"]] == [1, 2, 3]
        assert all(0.0 <= h["moved"] <= 1.0 for h in e["history"])
        s = results["summary"][r]
        assert s["moved"] == e["moved"]
        for arm in ARMS:
            assert s[f"{arm} p@1_ci"] == e[arm]["p@1_ci"]
            lo, hi = e[arm]["p@1_ci"]
            assert f"{e[arm]['p@1']:.3f} [{lo:.3f}, {hi:.3f}]" in printed
        assert f"{e['moved']:.3f}" in printed
    macro = results["macro"]
    for arm in ARMS:
        assert _inside(macro[arm]["p@1"], macro[arm]["p@1_ci"])
    assert macro["gain"] == pytest.approx(macro["subnetwork"]["p@1"] - macro["full"]["p@1"])
    assert macro["gain_over_random"] == pytest.approx(
        macro["subnetwork"]["p@1"] - macro["random"]["p@1"]
    )
    assert _inside(macro["gain"], macro["gain_ci"])
    assert "moved" in printed and "95% bootstrap" in printed

    spec = specialize(run, scaled_bert, wordpiece_tokenizer)
    printed = capsys.readouterr().err
    on_disk = json.loads((run / "specialization.json").read_text())
    assert on_disk["drop_ci"] == spec["drop_ci"]
    assert spec["relations"] == ["capital", "material"]
    for i, r in enumerate(spec["relations"]):
        assert spec["n"][i] == results["relations"][r]["full"]["n"]
        assert spec["p@1_ci"][i][i] == results["relations"][r]["subnetwork"]["p@1_ci"]
        others = [spec["p@1"][i][j] for j in range(2) if j != i]
        assert spec["drop"][i] == pytest.approx(spec["p@1"][i][i] - sum(others) / len(others))
        assert _inside(spec["drop"][i], spec["drop_ci"][i])
        assert f"{spec['drop'][i]:.3f}" in printed
    assert spec["mean_offdiagonal_drop"] == pytest.approx(sum(spec["drop"]) / 2)
    assert _inside(spec["mean_offdiagonal_drop"], spec["mean_offdiagonal_drop_ci"])
    assert "mean off-diagonal drop" in printed and "paired" in printed

    res = CliRunner().invoke(app, ["inspect", str(run), "--state", "cls"])
    assert res.exit_code == 0, res.output
    rep = json.loads((run / "inspection.json").read_text())["representations"]
    assert rep["state"] == "cls" and set(rep["collapse"]["relations"]) == {"capital", "material"}
    assert isinstance(rep["silhouette_subnetwork_meaningful"], bool)
    assert math.isfinite(rep["collapse"]["rtol"])
