"""Task files: the formats read, labels mapped the same way in every split, and bad input
stopped with the file, the line and what was expected."""

from __future__ import annotations

import json

import pytest

from bertology.errors import InputError
from bertology.finetune.tasks import load_task


def _lines(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_string_labels_map_to_the_same_ids_in_every_split(tmp_path):
    d = tmp_path / "t"
    d.mkdir()
    _lines(d / "train.jsonl", [{"text": "a", "label": "pos"}, {"text": "b", "label": "neg"},
                               {"text": "c", "label": "neg"}])  # fmt: skip
    _lines(d / "dev.jsonl", [{"text": "d", "label": "pos"}])
    _lines(d / "test.jsonl", [{"text": "e", "label": "neg"}, {"text": "f", "label": "pos"}])
    task = load_task(str(d))
    assert task.labels == ["neg", "pos"]
    assert [ex.label for ex in task.train] == [1, 0, 0]
    assert [ex.label for ex in task.dev] == [1] and [ex.label for ex in task.test] == [0, 1]
    fixed = load_task(str(d), labels=["pos", "neg"])  # --labels fixes the order
    assert [ex.label for ex in fixed.train] == [0, 1, 1]


def test_integer_labels_sort_numerically_and_equal_their_strings(tmp_path):
    f = _lines(tmp_path / "t.jsonl", [
        {"text": "a", "label": 10, "split": "train"}, {"text": "b", "label": 2, "split": "train"},
        {"text": "c", "label": "10", "split": "validation"}, {"text": "d", "label": 2, "split": "test"},
    ])  # fmt: skip
    task = load_task(str(f))
    assert task.labels == ["2", "10"]
    assert [ex.label for ex in task.train] == [1, 0] and task.dev[0].label == 1


def test_a_csv_pair_task_without_dev_holds_dev_out_of_train_seeded(tmp_path):
    d = tmp_path / "pairs"
    d.mkdir()
    rows = ["text_a,text_b,label"] + [f'"first {i}, quoted",second {i},{i % 2}' for i in range(20)]
    _lines(d / "train.csv", rows)
    _lines(d / "test.csv", rows[:5])
    task = load_task(str(d))
    assert task.kind == "pair" and task.train[0].texts[0].startswith("first")
    assert len(task.dev) == 2 and len(task.train) == 18
    again = load_task(str(d))
    assert task.dev == again.dev and "held out" in task.info["dev_from"]
    assert {ex.texts for ex in task.dev}.isdisjoint({ex.texts for ex in task.train})


def test_a_multiple_choice_task_reads_choices_and_the_right_index(tmp_path):
    f = _lines(tmp_path / "mc.jsonl", [
        {"question": "q", "choices": ["a", "b", "c"], "label": 2, "split": "train"},
        {"question": "r", "choices": ["d", "e", "f"], "label": 1, "split": "dev"},
        {"choices": ["a", "b", "c"], "label": 0, "split": "test"},
    ])  # fmt: skip
    task = load_task(str(f))
    assert task.kind == "choice" and task.labels == ["0", "1", "2"]
    assert task.train[0].choices == ("a", "b", "c") and task.train[0].label == 2
    assert task.train[0].texts == ("q",) and task.test[0].texts == ()


@pytest.mark.parametrize(
    ("rows", "line", "expected"),
    [
        ([{"text": "a", "label": 0, "split": "train"}, "{not json"], 2, "expected a JSON object"),
        (
            [{"text": "a", "label": 0, "split": "train"}, {"text": "b", "split": "test"}],
            2,
            "expected a 'label'",
        ),
        (
            [
                {"text": "a", "label": 0, "split": "train"},
                {"text": "", "label": 1, "split": "test"},
            ],
            2,
            "expected a non-empty string 'text'",
        ),
        (
            [{"text": "a", "label": 0, "split": "train"}, {"text": "b", "label": 1}],
            2,
            "expected a 'split' of train, dev",
        ),
        (
            [
                {"text": "a", "label": 0, "split": "train"},
                {"text_a": "b", "text_b": "c", "label": 1, "split": "test"},
            ],
            2,
            "expected the fields of a single task",
        ),
        ([{"sentence": "a", "label": 0}], 1, "expected the fields text and label"),
        ([{"text": "a", "label": 0.5, "split": "train"}], 1, "a string or an integer"),
        (
            [
                {"choices": ["a", "b"], "label": 0, "split": "train"},
                {"choices": ["a", "b", "c"], "label": 0, "split": "dev"},
            ],
            2,
            "expected 2 choices",
        ),
        (
            [
                {"choices": ["a", "b"], "label": 0, "split": "train"},
                {"choices": ["a", "b"], "label": 2, "split": "dev"},
            ],
            2,
            "not in the label set",
        ),
    ],
)
def test_a_malformed_line_is_an_error_naming_the_file_and_line(tmp_path, rows, line, expected):
    f = _lines(tmp_path / "task.jsonl", rows)
    with pytest.raises(InputError) as e:
        load_task(str(f))
    assert str(e.value).startswith(f"{f}:{line}: ")
    assert expected in str(e.value)


def test_a_label_outside_the_training_labels_names_its_line(tmp_path):
    d = tmp_path / "t"
    d.mkdir()
    _lines(d / "train.jsonl", [{"text": "a", "label": "pos"}, {"text": "b", "label": "neg"}])
    _lines(d / "dev.jsonl", [{"text": "c", "label": "neg"}])
    _lines(d / "test.jsonl", [{"text": "c", "label": "neg"}, {"text": "d", "label": "neutral"}])
    with pytest.raises(InputError, match=r"test.jsonl:2: label 'neutral' is not in the label set"):
        load_task(str(d))
    with pytest.raises(InputError, match=r"train.jsonl:1: label 'pos' is not in .*--labels"):
        load_task(str(d), labels=["neg", "neutral"])


def test_a_csv_row_with_the_wrong_number_of_cells_names_its_line(tmp_path):
    f = _lines(tmp_path / "t.csv", ["text,label,split", "a,0,train", "b,1", "c,1,test"])
    with pytest.raises(
        InputError, match=r"t.csv:3: expected 3 cells \(text, label, split\), got 2"
    ):
        load_task(str(f))


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"train.jsonl": "", "test.jsonl": ""},
            "train.jsonl: no examples in the file (an empty task)",
        ),
        (
            {
                "train.jsonl": '{"text": "a", "label": 0}\n{"text": "b", "label": 1}\n',
                "test.jsonl": "",
            },
            "has no test examples",
        ),
        ({"train.jsonl": '{"text": "a", "label": 0}\n'}, "no test file"),
        (
            {
                "train.jsonl": '{"text": "a", "label": 0}\n{"text": "b", "label": 0}\n',
                "test.jsonl": '{"text": "c", "label": 0}\n',
            },
            "only one label ('0')",
        ),
    ],
)
def test_an_empty_or_incomplete_task_is_a_clear_error(tmp_path, files, expected):
    d = tmp_path / "t"
    d.mkdir()
    for name, text in files.items():
        (d / name).write_text(text)
    with pytest.raises(InputError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_task(str(d))


def test_an_unknown_task_lists_the_glue_tasks_and_local_formats():
    with pytest.raises(InputError) as e:
        load_task("sst3")
    assert "unknown task 'sst3'" in str(e.value) and "sst2" in str(e.value)
    assert "world-verify:WORLD" in str(e.value) and "local file" in str(e.value)
    with pytest.raises(InputError, match="stsb is a regression task"):
        load_task("glue/stsb")


def test_glue_offline_names_the_task_and_suggests_a_local_file(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(InputError) as e:
        load_task("rte")
    msg = str(e.value)
    assert "cannot load GLUE task 'rte'" in msg and "offline?" in msg
    assert "--task DIR with train.jsonl" in msg and '"text_a", "text_b", "label"' in msg
