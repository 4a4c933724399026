"""``bertology choice`` end to end on a tiny model: the run directory, results.json,
predictions.jsonl; bad input stops with ``FILE:LINE: ...`` and exit code 2; the command's
module imports no torch at CLI start-up."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from bertology.cli import main
from bertology.world import WorldConfig, generate_world

ROWS = [
    {"id": "a", "question": "paris is the capital of", "choices": ["france .", "spain ."],
     "label": 0, "split": "dev"},
    {"id": "b", "question": "the cat sat on the", "choices": ["mat .",
     "mat near the window of the lake ."], "label": 0, "split": "test"},
    {"id": "c", "question": "the table is made of", "choices": ["glass .", "wood .",
     "an extraordinarily unbelievable story ."], "label": 1, "split": "test"},
]  # fmt: skip


def _rows(path):
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_choice_writes_a_run_directory(tiny_bert_dir, tmp_path, jsonl):
    data = jsonl(tmp_path / "items.jsonl", ROWS)
    out = tmp_path / "run"
    main(["choice", "-m", str(tiny_bert_dir), "--data", str(data), "--metric", "original",
          "--normalize", "mean", "--device", "cpu", "--out", str(out)])  # fmt: skip
    for name in ("config.yaml", "env.json", "results.json", "metrics.jsonl", "report.html",
                 "predictions.jsonl", "figures/choice_accuracy.png"):  # fmt: skip
        assert (out / name).is_file(), name
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert (cfg["command"], cfg["normalize"], cfg["metric"]) == ("choice", "mean", "original")
    res = json.loads((out / "results.json").read_text())
    assert res["schema"] == 1 and res["n"] == 3 and res["evaluated_on"] == "all"
    assert res["splits"] == {"dev": 1, "test": 2} and set(res["by_split"]) == {"dev", "test"}
    assert res["subnetwork"] is None and res["full"] is None and res["selection"] is None
    preds = _rows(out / "predictions.jsonl")
    assert [p["id"] for p in preds] == ["a", "b", "c"]
    for p, r in zip(preds, ROWS, strict=True):
        assert len(p["scores"]) == len(r["choices"]) == len(p["units"]) and p["label"] == r["label"]
        assert p["scores"] == pytest.approx(
            [t / u for t, u in zip(p["pll"], p["units"], strict=True)]
        )
        assert p["prediction"] == max(range(len(p["scores"])), key=lambda i: (p["scores"][i], -i))
        assert p["correct"] == (p["prediction"] == r["label"])
    assert res["accuracy"] == sum(p["correct"] for p in preds) / 3
    lo, hi = res["accuracy_ci"]
    assert lo <= res["accuracy"] <= hi


def test_the_worlds_questions_run_end_to_end(tiny_bert_dir, tmp_path):
    world = tmp_path / "world"
    generate_world(world, WorldConfig(tokens=20_000, n_entities=20, heldout_trees=10,
                                      pairs_per_paradigm=5))  # fmt: skip
    out = tmp_path / "run"
    main(["choice", "-m", str(tiny_bert_dir), "--data", str(world / "choice.jsonl"),
          "--device", "cpu", "--out", str(out)])  # fmt: skip
    res = json.loads((out / "results.json").read_text())
    assert res["n"] == len((world / "choice.jsonl").read_text().splitlines())
    assert set(res["by_split"]) == {"dev", "test"}


@pytest.mark.parametrize(
    ("lines", "args", "message"),
    [
        (['{"question": "q", "choices": ["a", "b"], "label": 0}', "{oops"], [],
         "items.jsonl:2: expected a JSON object, got malformed JSON"),
        (['{"question": "q", "choices": ["a", "b"], "label": 5}'], [],
         "items.jsonl:1: label 5 is outside the 2 choices (expected 0..1)"),
        (['{"question": "q", "choices": ["a"], "label": 0}'], [],
         "items.jsonl:1: expected at least 2 choices, got 1"),
        ([], [], "items.jsonl: no multiple-choice items (empty data)"),
        (['{"question": "q", "choices": ["a", "b"], "label": 0}'], ["--relation", "x"],
         "relations needs masks"),
        (['{"question": "q", "choices": ["a", "b"], "label": 0}'],
         ["--masks", "RUN", "--combine", "union,majority"], "give one, or choose among them"),
        (['{"premise": "p.", "choice1": "a", "choice2": "b", "question": "effect"}'],
         ["--format", "copa"], "items.jsonl:1: expected an integer 'label'"),
    ],
    ids=["malformed", "label", "one-choice", "empty", "relation-no-masks", "two-combine", "copa"],
)  # fmt: skip
def test_bad_input_stops_with_file_line_and_exit_code_2(
    tiny_bert_dir, tmp_path, capsys, lines, args, message
):
    data = tmp_path / "items.jsonl"
    data.write_text("".join(x + "\n" for x in lines))
    with pytest.raises(SystemExit) as e:
        main(["choice", "-m", str(tiny_bert_dir), "--data", str(data), "--device", "cpu",
              *args, "--out", str(tmp_path / "run")])  # fmt: skip
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("bertology: error: ") and message in err, err
    assert not (tmp_path / "run").exists()


def test_the_command_module_imports_no_torch_at_start_up():
    code = "import sys, bertology.choice.commands; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
