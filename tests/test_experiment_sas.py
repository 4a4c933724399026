"""``bertology experiment sas`` end to end at toy size (issue 16): four variants trained,
their dynamics compared, the claims judged; run again, finished variants are not retrained."""

from __future__ import annotations

import json

import bertology.experiments.sas as sas
from bertology.cli import main


def test_experiment_sas_end_to_end_and_rerun(tmp_path, monkeypatch):
    (tmp_path / "s.yaml").write_text("n_entities: 30\nheldout_trees: 30\npairs_per_paradigm: 6\n")
    main(
        [
            "world",
            "--out",
            str(tmp_path / "w"),
            "--tokens",
            "20000",
            "--config",
            str(tmp_path / "s.yaml"),
        ]
    )
    pt = tmp_path / "p.yaml"
    pt.write_text(
        f"""
model: {{arch: bert, layers: 2, hidden: 32, heads: 2, intermediate: 64, max_position: 64}}
tokenizer: {{vocab_size: 600, min_frequency: 1}}
data: {{train: [x]}}
train: {{max_steps: 8, batch_size: 8, seq_len: 32, warmup_steps: 1}}
checkpoint: {{every: 2, dense_until: 0, then_every: 2}}
eval: {{evaluators: [val_loss, uas, blimp, twonn], uas_max_sentences: 20, val_max_sequences: 8,
       blimp_per_paradigm: 2, twonn_n: 30}}
impl: {{device: cpu, threads: 1, cache_dir: {tmp_path / "cache"}, print_every: 0}}
"""
    )
    out = tmp_path / "exp"
    args = ["experiment", "sas", "--pretrain", str(pt), "--world", str(tmp_path / "w"),
            "--set", "impl.progress=false", "--device", "cpu", "--out", str(out)]  # fmt: skip
    main(args)
    res = json.loads((out / "experiment.json").read_text())
    assert res["schema"] == 1 and len(res["until_steps"]) == 1
    k = res["until_steps"][0]
    assert set(res["variants"]) == {"baseline", "sas+", "sas-", f"sas-until-{k}"}
    for v in res["variants"].values():
        assert set(v) >= {
            "structure_onset",
            "capability_onset",
            "final_val_loss",
            "final_uas",
            "final_blimp",
        }
        assert v["final_val_loss"] is not None and v["final_uas"] is not None
    ids = [c["id"] for c in res["claims"]]
    assert ids[:6] == ["structure_before_capability", "sas_plus_earlier_but_worse",
                       "sas_minus_no_spike_faster_early", "sas_minus_until_k_beats_baseline",
                       "uas_does_not_recover", "twonn_drop_before_structure"]  # fmt: skip
    assert all(c["held"] in (True, False, None) for c in res["claims"])
    table = (out / "table.md").read_text()
    assert table == res["table"] and table.count("\n") == 2 + len(res["variants"])
    assert "| baseline |" in table and f"| sas-until-{k} |" in table
    if res["variants"]["baseline"]["structure_onset"] is None:  # no onset in 8 steps: k falls back
        assert res["k_from_baseline_onset"] is False and k == 2  # 0.25 of 8 steps
    cfg = (out / "variants" / f"sas-until-{k}-s0" / "config.yaml").read_text()
    assert "until_step: " + str(k) in cfg and "lambda: 0.5" in cfg
    for f in (
        "config.yaml",
        "env.json",
        "results.json",
        "metrics.jsonl",
        "report.html",
        "figures/summary.png",
        "figures/by_k.png",
    ):
        assert (out / f).is_file(), f
    assert json.loads((out / "results.json").read_text())["claims"] == res["claims"]
    trained = []
    monkeypatch.setattr(sas, "pretrain", lambda *a, **kw: trained.append(a[1]))
    main(args)  # finished variants are not trained again
    assert trained == []
