"""Every text input is read as UTF-8 through one reader: a bad byte names the file, the line
and the column; a UTF-8 BOM is accepted; a directory where a file is expected is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bertology.data.dependency import read_conllu
from bertology.data.facts import read_facts
from bertology.data.parsing import read_text_lines
from bertology.errors import InputError
from bertology.io import iter_text_lines, read_jsonl
from bertology.probe.scoring import read_candidate_file
from bertology.train.corpus import iter_texts

CONLLU = "# text = a b\n1\ta\ta\tDET\t_\t_\t2\tdet\t_\t_\n2\tb\tb\tNOUN\t_\t_\t0\troot\t_\t_\n\n"
FACT = json.dumps(
    {"subject": "paris", "relation": "capital", "object": "france", "prompt": "[X] is in [Y] ."}
)


def _bad(tmp_path: Path, name: str, good_lines: list[str], bad: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes("".join(line + "\n" for line in good_lines).encode() + bad + b"\n")
    return p


@pytest.mark.parametrize(
    ("reader", "name", "good", "bad", "line", "col"),
    [
        (lambda p: list(read_jsonl(p)), "facts.jsonl", [FACT, FACT], b'{"subject": "caf\xe9"}', 3, 17),
        (lambda p: read_facts(p), "facts.jsonl", [FACT], b"\xff", 2, 1),
        (read_conllu, "trees.conllu", CONLLU.splitlines(), b"# text = \xe9t\xe9", 5, 10),
        (read_candidate_file, "vocab.txt", ["paris", "france"], b"ber\x80lin", 3, 4),
        (lambda p: list(iter_texts([str(p)])), "train.txt", ["the cat sat ."], b"\xc3\x28 x", 2, 1),
        (read_text_lines, "text.txt", ["one", "", "two"], b"d\xe9j\xe0 vu", 4, 2),
    ],
    ids=["jsonl", "facts", "conllu", "candidates", "corpus", "parse-text"],
)  # fmt: skip
def test_a_byte_that_is_not_utf8_names_file_line_and_column(
    tmp_path, reader, name, good, bad, line, col
):
    p = _bad(tmp_path, name, good, bad)
    with pytest.raises(InputError) as e:
        reader(p)
    assert (e.value.path, e.value.line) == (str(p), line)
    assert (
        f"not UTF-8 (byte 0x{bad[[i for i, b in enumerate(bad) if b >= 0x80][0]]:02X} at column {col})"
        in str(e.value)
    )


def test_a_utf8_bom_is_accepted(tmp_path):
    facts = tmp_path / "facts.jsonl"
    facts.write_bytes(b"\xef\xbb\xbf" + (FACT + "\n").encode())
    assert [f.subject for f in read_facts(facts).facts] == ["paris"]
    trees = tmp_path / "trees.conllu"
    trees.write_bytes(b"\xef\xbb\xbf" + CONLLU.encode())
    assert read_conllu(trees)[0].forms == ["a", "b"]
    assert list(iter_text_lines(trees))[0] == (1, "# text = a b")


@pytest.mark.parametrize(
    "reader", [read_conllu, read_candidate_file, lambda p: list(read_jsonl(p)), read_text_lines]
)
def test_a_directory_where_a_file_is_expected_is_named(tmp_path, reader):
    d = tmp_path / "facts.jsonl"
    d.mkdir()
    with pytest.raises(InputError, match="is a directory; expected a file") as e:
        reader(d)
    assert e.value.path == str(d)
