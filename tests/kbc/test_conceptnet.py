"""The ConceptNet-100k TSV reader: 3 or 4 fields, labels and weights, multi-word heads, and
errors that name the file and the line."""

from __future__ import annotations

import pytest

from bertology.errors import InputError
from bertology.kbc.conceptnet import read_conceptnet
from bertology.kbc.data import detect_format, read_kbc_facts

from .conftest import write_jsonl


@pytest.fixture()
def templates(tmp_path):
    return write_jsonl(
        tmp_path / "relations.jsonl",
        [
            {"relation": "IsA", "template": "a [X] is a [Y] ."},
            {"relation": "AtLocation", "template": "you find a [X] in the [Y] ."},
        ],
    )


def _write(tmp_path, text: str):
    path = tmp_path / "cn.txt"
    path.write_text(text)
    return path


def test_labels_weights_and_three_field_lines(tmp_path, templates):
    path = _write(
        tmp_path,
        "IsA\tdog\tanimal\t1\n"
        "IsA\tdog\tfish\t0\n"
        "\n"
        "AtLocation\tpaper clip\tdesk\t2.0794\n"  # train100k: a confidence weight, true
        "AtLocation\tfish\twater\n"  # three fields: true
        "IsA\tdog\tanimal\t1\n",  # a duplicate
    )
    t = read_conceptnet(path, templates)
    assert [f.key for f in t.positives] == [
        ("dog", "IsA", "animal"),
        ("paper clip", "AtLocation", "desk"),
        ("fish", "AtLocation", "water"),
    ]
    assert [f.key for f in t.negatives] == [("dog", "IsA", "fish")]
    assert t.positives[1].prompts == ("you find a paper clip in the [MASK] .",)
    assert t.positives[0].source == f"{path}:1" and t.duplicates_removed == 1
    assert detect_format(path) == "conceptnet"
    data = read_kbc_facts(path, templates)
    assert data.format == "conceptnet" and len(data.facts.facts) == 3 and len(data.negatives) == 1


def test_a_triple_labelled_true_and_false_is_kept_as_true_and_counted(tmp_path, templates):
    path = _write(tmp_path, "IsA\tdog\tanimal\t1\nIsA\tdog\tanimal\t0\n")
    t = read_conceptnet(path, templates)
    assert len(t.positives) == 1 and t.negatives == [] and t.conflicts == 1


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("IsA\tdog\tanimal\t1\nIsA dog animal 1\n", 2, "expected 3 or 4 tab-separated fields"),
        ("IsA\tdog\tanimal\t1\t7\n", 1, "got 5"),
        ("IsA\tdog\tanimal\tyes\n", 1, "label (1 true, 0 false) or a positive confidence"),
        ("IsA\tdog\tanimal\t-1\n", 1, "label (1 true, 0 false)"),
        ("IsA\t\tanimal\t1\n", 1, "empty head field"),
        ("\nIsA\tdog\tanimal\t1\nPartOf\tleg\ttable\t1\n", 3, "relation 'PartOf' has no template"),
    ],
)
def test_a_malformed_line_names_the_file_and_the_line(tmp_path, templates, text, line, expected):
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as e:
        read_conceptnet(path, templates)
    assert e.value.path == str(path) and e.value.line == line
    assert expected in str(e.value) and str(e.value).startswith(f"{path}:{line}: ")


def test_an_unknown_relation_lists_the_known_ones(tmp_path, templates):
    path = _write(tmp_path, "PartOf\tleg\ttable\t1\n")
    with pytest.raises(InputError, match="known relations: AtLocation, IsA"):
        read_conceptnet(path, templates)


def test_empty_data_and_missing_templates_are_clear_errors(tmp_path, templates):
    with pytest.raises(InputError, match="no triples in file"):
        read_conceptnet(_write(tmp_path, "\n\n"), templates)
    with pytest.raises(InputError, match="give --relations-file"):
        read_conceptnet(_write(tmp_path, "IsA\tdog\tanimal\t1\n"), None)
    with pytest.raises(InputError, match="no true triples"):
        read_kbc_facts(_write(tmp_path, "IsA\tdog\tfish\t0\n"), templates)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(InputError, match="empty fact set"):
        read_kbc_facts(empty, templates)
