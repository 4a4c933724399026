"""``bertology finetune`` end to end on a tiny model: a subnetwork fine-tuned on a local
task writes a complete run directory; bad input stops with exit 2 and writes nothing."""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest
import yaml

from bertology.cli import main


def _finetune(model, task, out, *extra: str) -> None:
    main(["finetune", "-m", str(model), "--task", str(task), "--epochs", "4", "--lr", "2e-3",
          "--batch-size", "16", "--device", "cpu", "--out", str(out), *extra])  # fmt: skip


def test_finetune_a_subnetwork_writes_the_run_directory(tiny_bert_dir, keyword_dir, mask_file,
                                                        tmp_path):  # fmt: skip
    out = tmp_path / "run"
    _finetune(
        tiny_bert_dir, keyword_dir, out, "--masks", str(mask_file), "--set", "train.patience=null"
    )
    for name in ("config.yaml", "env.json", "results.json", "metrics.jsonl", "report.html",
                 "predictions.jsonl", "figures/dev_accuracy.png", "figures/train_loss.png"):  # fmt: skip
        assert (out / name).is_file(), name
    res = json.loads((out / "results.json").read_text())
    assert res["schema"] == 1
    assert res["task"]["kind"] == "single" and res["task"]["n"] == {"train": 200, "dev": 100,
                                                                    "test": 100}  # fmt: skip
    assert res["mask"]["relation"] == "capital" and res["mask"]["pruned_nonzero_after"] == 0
    assert 0.3 < res["mask"]["sparsity"] < 0.7
    assert res["epochs_run"] == 4 and len(res["epochs"]) == 4 and not res["stopped_early"]
    assert (
        res["test_n"] == 100 and res["test_acc_ci"][0] <= res["test_acc"] <= res["test_acc_ci"][1]
    )
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4]
    assert all({"train_loss", "dev_acc", "lr"} <= set(r) for r in rows)
    preds = [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()]
    assert len(preds) == 100
    assert sum(p["correct"] for p in preds) / 100 == pytest.approx(res["test_acc"])
    # Matthews correlation from the confusion matrix, by hand
    c = Counter((p["label"], p["prediction"]) for p in preds)
    tp, tn, fp, fn = c["1", "1"], c["0", "0"], c["0", "1"], c["1", "0"]
    denom = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    assert res["test_mcc"] == pytest.approx((tp * tn - fp * fn) / denom if denom else 0.0)
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert cfg["command"] == "finetune" and cfg["masks"] == str(mask_file)
    assert cfg["train"]["epochs"] == 4 and cfg["train"]["patience"] is None


def _error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    return capsys.readouterr().err


def test_a_malformed_task_line_exits_2_with_file_and_line(tiny_bert_dir, keyword_dir, tmp_path,
                                                          capsys):  # fmt: skip
    with (keyword_dir / "dev.jsonl").open("a") as f:
        f.write('{"text": "the cat", "labels": 1}\n')
    out = tmp_path / "run"
    err = _error(capsys, ["finetune", "-m", str(tiny_bert_dir), "--task", str(keyword_dir),
                          "--device", "cpu", "--out", str(out)])  # fmt: skip
    assert f"bertology: error: {keyword_dir / 'dev.jsonl'}:101: expected a 'label'" in err
    assert not out.exists()


def test_a_mask_of_another_model_exits_2_and_writes_nothing(
    tiny_bert_dir, keyword_dir, tmp_path, capsys, wordpiece_tokenizer, helpers
):
    from bertology.models import SmallMLMConfig, build_mlm
    from bertology.prune.storage import save_mask

    other = build_mlm(SmallMLMConfig(arch="bert", layers=2, hidden=32, heads=4, seed=7),
                      wordpiece_tokenizer)  # fmt: skip
    path = save_mask(helpers.random_mask(other), tmp_path / "other.safetensors")
    out = tmp_path / "run"
    err = _error(capsys, ["finetune", "-m", str(tiny_bert_dir), "--task", str(keyword_dir),
                          "--masks", str(path), "--device", "cpu", "--out", str(out)])  # fmt: skip
    assert f"{path}: mask was made for model 'tiny'" in err and "different weights" in err
    assert not out.exists()


def test_an_existing_run_is_replaced_only_with_overwrite(tiny_bert_dir, keyword_dir, tmp_path,
                                                         capsys):  # fmt: skip
    out = tmp_path / "run"
    _finetune(tiny_bert_dir, keyword_dir, out, "--set", "train.epochs=1")
    before = (out / "results.json").read_text()
    err = _error(capsys, ["finetune", "-m", str(tiny_bert_dir), "--task", str(keyword_dir),
                          "--device", "cpu", "--out", str(out)])  # fmt: skip
    assert "a run is already here; pass --overwrite" in err
    assert (out / "results.json").read_text() == before
