"""``bertology twonn`` and the ``blimp``/``twonn`` pre-training evaluators (issue 14), on a
small generated world: the evaluators measure the same pairs and texts at every checkpoint."""

from __future__ import annotations

import json

import pytest

from bertology.cli import main


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = tmp_path_factory.mktemp("evals") / "world"
    cfg = w.parent / "small.yaml"
    cfg.write_text("n_entities: 30\nheldout_trees: 30\npairs_per_paradigm: 10\n")
    main(["world", "--out", str(w), "--tokens", "20000", "--config", str(cfg)])
    return w


def test_pretrain_logs_blimp_and_twonn_at_every_checkpoint(world, tmp_path):
    cfg = tmp_path / "p.yaml"
    cfg.write_text(
        f"""
model: {{arch: bert, layers: 2, hidden: 32, heads: 2, intermediate: 64, max_position: 64}}
tokenizer: {{vocab_size: 600, min_frequency: 1}}
data: {{train: [{world}/corpus/train.txt], valid: [{world}/corpus/valid.txt]}}
train: {{max_steps: 4, batch_size: 8, seq_len: 32, warmup_steps: 1}}
checkpoint: {{every: 2, dense_until: 0, then_every: 2}}
eval: {{evaluators: [blimp, twonn], blimp_pairs: {world}/minimal_pairs, blimp_per_paradigm: 3,
       twonn_n: 60}}
impl: {{device: cpu, threads: 1, cache_dir: {tmp_path / "cache"}, print_every: 0}}
"""
    )
    main(["pretrain", "--config", str(cfg), "--out", str(tmp_path / "run")])
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    blimp = [r for r in rows if r.get("evaluator") == "blimp"]
    twonn = [r for r in rows if r.get("evaluator") == "twonn"]
    assert [r["step"] for r in blimp] == [0, 2, 4] == [r["step"] for r in twonn]
    paradigms = {p.stem for p in (world / "minimal_pairs").glob("*.jsonl")}
    for r in blimp:
        assert set(r["blimp_by_paradigm"]) == paradigms
        per = list(r["blimp_by_paradigm"].values())
        assert r["blimp"] == pytest.approx(sum(per) / len(per))
        assert all(v in (0, 1 / 3, 2 / 3, 1) or abs(v * 3 - round(v * 3)) < 1e-9 for v in per)
    for r in twonn:
        assert set(r["twonn_by_layer"]) == {"0", "1", "2"}
        assert r["twonn"] == r["twonn_by_layer"]["2"] and r["twonn"] > 0


def test_twonn_cli_writes_d_by_layer(world, tiny_bert_dir, tmp_path):
    out = tmp_path / "run"
    main(["twonn", "-m", str(tiny_bert_dir), "--texts", str(world / "corpus" / "valid.txt"),
          "--n", "50", "--layers", "1,2", "--pool", "cls", "--device", "cpu", "--out", str(out)])  # fmt: skip
    res = json.loads((out / "results.json").read_text())
    assert res["n_texts"] == 50 and res["pool"] == "cls" and set(res["layers"]) == {"1", "2"}
    for v in res["layers"].values():
        assert v["n_points"] == 50 and v["n_used"] + v["n_dropped"] + v["n_discarded"] == 50
    assert (out / "figures" / "twonn_by_layer.png").is_file()
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 2
