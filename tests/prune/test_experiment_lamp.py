"""``bertology experiment lamp`` end to end at toy size (issue 16): a 2 x 2 sweep of bottom
layer x initial sparsity on a tiny BERT, relations chosen by test-set size, heatmaps and
claims; run again, finished cells are not pruned again."""

from __future__ import annotations

import json

import bertology.prune.run as prune_run
from bertology.cli import main


def test_experiment_lamp_end_to_end_and_rerun(tmp_path, scaled_bert_dir, fact_files, monkeypatch):
    facts, rel = fact_files
    out = tmp_path / "exp"
    args = ["experiment", "lamp", "--model", str(scaled_bert_dir), "--facts", str(facts),
            "--relations-file", str(rel), "--bottom-layer", "0,1", "--init-sparsity", "0.3,0.5",
            "--set", "n_relations=2", "--prune-set", "train.epochs=2",
            "--prune-set", "train.split_ratios=[0.5,0.0,0.5]", "--prune-set", "train.lr=0.01",
            "--prune-set", "random_seeds=[0]", "--set", "impl.progress=false",
            "--device", "cpu", "--out", str(out)]  # fmt: skip
    main(args)
    res = json.loads((out / "experiment.json").read_text())
    # story has 3 subjects (2 in test), capital and material 6 each (3 in test)
    assert res["relations"] == ["capital", "material"]
    assert res["test_sizes"]["story"] == 2 and res["test_sizes"]["capital"] == 3
    assert res["bottom_layers"] == [0, 1] and res["init_sparsities"] == [0.3, 0.5]
    assert set(res["cells"]) == {"lb0-s0.30", "lb0-s0.50", "lb1-s0.30", "lb1-s0.50"}
    cfg = (out / "cells" / "lb1-s0.30" / "config.yaml").read_text()
    assert "layers: 1-1" in cfg and "init_sparsity: 0.3" in cfg and "epochs: 2" in cfg
    for c in res["cells"].values():
        assert 0 <= c["subnetwork"] <= 1 and 0 <= c["full"] <= 1 and c["n_test"] == 6
        assert abs(c["gain"] - (c["subnetwork"] - c["full"])) < 1e-12
    # the full model does not depend on the mask: the same P@1 in every cell
    assert len({c["full"] for c in res["cells"].values()}) == 1
    assert res["grids"]["subnetwork"][1][0] == res["cells"]["lb1-s0.30"]["subnetwork"]
    ids = [c["id"] for c in res["claims"]]
    assert ids == ["more_layers_more_knowledge", "half_sparsity_best", "mismatched_masks_lose"]
    for f in ("config.yaml", "env.json", "results.json", "metrics.jsonl", "report.html",
              "table.md", "figures/subnetwork.png", "figures/drop.png"):  # fmt: skip
        assert (out / f).is_file(), f
    pruned = []
    monkeypatch.setattr(prune_run, "prune", lambda *a, **kw: pruned.append(a[1]))
    main(args)  # finished cells are not pruned again
    assert pruned == []
