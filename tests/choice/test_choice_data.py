"""Reading multiple-choice items: the bertology format, the COPA and CommonsenseQA converters,
and every malformed input stopped with the file and line."""

from __future__ import annotations

import pytest

from bertology.choice.data import by_split, read_choice_items
from bertology.errors import InputError

COPA = [
    {"premise": "My body cast a shadow over the grass.", "choice1": "The sun was rising.",
     "choice2": "The grass was cut.", "question": "cause", "label": 0, "idx": 1},
    {"premise": "The man turned on the faucet.", "choice1": "The toilet filled with water.",
     "choice2": "Water flowed from the spout.", "question": "effect", "label": 1, "idx": 2},
]  # fmt: skip
CSQA = {
    "answerKey": "B",
    "id": "70701f5d",
    "question": {
        "question_concept": "eyes",
        "choices": [{"label": "A", "text": "bunk"}, {"label": "B", "text": "reading"},
                    {"label": "C", "text": "fall asleep"}],
        "stem": "What is someone doing if his eyes are moving?",
    },
}  # fmt: skip


def test_the_bertology_format_reads_ids_labels_and_splits(tmp_path, jsonl):
    path = jsonl(tmp_path / "d.jsonl", [
        {"id": "q1", "question": "paris is the capital of", "choices": ["france .", "spain ."],
         "label": 1, "split": "dev"},
        {"question": "", "choices": ["a b", "c d", "e f"], "label": 2},
        {"id": 7, "question": "x", "choices": ["y", "z"], "label": 0, "split": "test"},
    ])  # fmt: skip
    a, b, c = read_choice_items(path)
    assert (a.id, a.label, a.split, a.source) == ("q1", 1, "dev", f"{path}:1")
    assert a.texts() == ["paris is the capital of france .", "paris is the capital of spain ."]
    assert (b.id, b.split, b.texts()) == ("2", None, ["a b", "c d", "e f"])  # id: the line
    assert c.id == "7"
    assert [x.id for x in by_split([a, b, c], path)[0]] == ["q1"]


def test_copa_is_premise_because_or_so_then_the_lowercased_choice(tmp_path, jsonl):
    a, b = read_choice_items(jsonl(tmp_path / "copa.jsonl", COPA), "copa")
    assert a.texts() == ["My body cast a shadow over the grass because the sun was rising.",
                         "My body cast a shadow over the grass because the grass was cut."]  # fmt: skip
    assert b.text(1) == "The man turned on the faucet so water flowed from the spout."
    assert (a.id, a.label, b.id, b.label) == ("1", 0, "2", 1)


def test_commonsenseqa_is_the_stem_and_the_choices_with_the_answer_key_as_index(tmp_path, jsonl):
    (item,) = read_choice_items(jsonl(tmp_path / "csqa.jsonl", [CSQA]), "csqa")
    assert item.id == "70701f5d" and item.label == 1
    assert item.question == "What is someone doing if his eyes are moving?"
    assert item.choices == ("bunk", "reading", "fall asleep")


BAD = [
    ("bertology", '{"question": "q", "choices": ["a", "b"], "label": 2}',
     "label 2 is outside the 2 choices (expected 0..1)"),
    ("bertology", '{"question": "q", "choices": ["a", "b"], "label": -1}', "outside the 2 choices"),
    ("bertology", '{"question": "q", "choices": ["a"], "label": 0}',
     "expected at least 2 choices, got 1"),
    ("bertology", '{"question": "q", "choices": ["a", "b"]}', "expected an integer 'label'"),
    ("bertology", '{"question": "q", "choices": ["a", "b"], "label": true}', "integer 'label'"),
    ("bertology", '{"question": "q", "choices": ["a", ""], "label": 0}', "non-empty 'choices[1]'"),
    ("bertology", '{"question": "q", "choices": "a b", "label": 0}', "expected a list 'choices'"),
    ("bertology", '{"question": 3, "choices": ["a", "b"], "label": 0}', "string 'question'"),
    ("bertology", '{"question": "q", "choices": ["a", "b"], "label": 0, "split": "val"}',
     "'split' to be one of train, dev, test"),
    ("bertology", '{"question": "q", "choices": ["a", "b"], "label": 0', "malformed JSON"),
    ("bertology", '["q", ["a", "b"], 0]', "expected a JSON object"),
    ("copa", '{"premise": "p.", "choice1": "a", "choice2": "b", "question": "why", "label": 0}',
     "cause or effect"),
    ("copa", '{"premise": "p.", "choice1": "a", "choice2": "b", "question": "cause", "label": 2}',
     "outside the 2 choices"),
    ("copa", '{"premise": "p.", "choice1": "a", "choice2": "b", "question": "cause"}',
     "expected an integer 'label'"),
    ("csqa", '{"id": "x", "question": {"stem": "s", "choices": [{"label": "A", "text": "a"}, '
     '{"label": "B", "text": "b"}]}, "answerKey": "E"}', "answerKey 'E' is not the label"),
    ("csqa", '{"id": "x", "question": {"stem": "s", "choices": [{"label": "A", "text": "a"}]}, '
     '"answerKey": "A"}', "expected at least 2 choices, got 1"),
    ("csqa", '{"id": "x", "question": "s", "answerKey": "A"}', "expected an object 'question'"),
]  # fmt: skip


@pytest.mark.parametrize(("fmt", "line", "message"), BAD, ids=[b[2][:30] for b in BAD])
def test_a_malformed_line_is_an_error_naming_file_and_line(tmp_path, fmt, line, message):
    good = {
        "bertology": '{"question": "q", "choices": ["a", "b"], "label": 0}',
        "copa": '{"premise": "p.", "choice1": "a", "choice2": "b", "question": "cause", '
        '"label": 0, "idx": 0}',
        "csqa": '{"id": "g", "question": {"stem": "s", "choices": [{"label": "A", "text": "a"}, '
        '{"label": "B", "text": "b"}]}, "answerKey": "A"}',
    }[fmt]
    path = tmp_path / "items.jsonl"
    path.write_text(f"{good}\n\n{line}\n")  # the bad line is line 3 (a blank line between)
    with pytest.raises(InputError) as e:
        read_choice_items(path, fmt)
    assert str(e.value).startswith(f"{path}:3: ")
    assert message in str(e.value)


def test_a_duplicate_id_names_both_lines(tmp_path, jsonl):
    row = {"id": "q", "question": "q", "choices": ["a", "b"], "label": 0}
    path = jsonl(tmp_path / "d.jsonl", [row, row])
    with pytest.raises(InputError, match=r"d\.jsonl:2: id 'q' already used on line 1"):
        read_choice_items(path)


def test_an_empty_file_or_a_missing_one_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(InputError, match=r"empty\.jsonl: no multiple-choice items \(empty data\)"):
        read_choice_items(empty)
    with pytest.raises(InputError, match="no such file"):
        read_choice_items(tmp_path / "nope.jsonl")


def test_selection_needs_dev_and_test_items(tmp_path, jsonl):
    rows = [{"question": "q", "choices": ["a", "b"], "label": 0, "split": "test"}]
    path = jsonl(tmp_path / "d.jsonl", rows)
    with pytest.raises(InputError, match='needs items with "split": "dev"'):
        by_split(read_choice_items(path), path)
