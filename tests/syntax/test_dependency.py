"""CoNLL-U reading/writing and spaCy parsing into DependencySentence."""

from __future__ import annotations

import pytest

from bertology.data.dependency import DependencySentence, format_conllu, read_conllu, write_conllu
from bertology.data.parsing import doc_to_sentences, read_text_lines
from bertology.errors import InputError

UD_SAMPLE = """\
# newdoc id = test
# sent_id = s1
# text = I don't know it.
1\tI\tI\tPRON\tPRP\t_\t4\tnsubj\t_\t_
2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
4\tknow\tknow\tVERB\tVB\t_\t0\troot\t_\t_
4.1\tknew\t_\t_\t_\t_\t_\t_\t4:conj\t_
5\tit\tit\tPRON\tPRP\t_\t4\tobj\t_\tSpaceAfter=No
6\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

# sent_id = s2
1\tYes\tyes\tINTJ\tUH\t_\t0\troot\t_\t_
"""


def _write(tmp_path, text, name="x.conllu"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_conllu_keeps_syntactic_words_and_skips_multiword_tokens_and_empty_nodes(tmp_path):
    sents = read_conllu(_write(tmp_path, UD_SAMPLE))
    assert len(sents) == 2
    s = sents[0]
    assert s.forms == ["I", "do", "n't", "know", "it", "."]
    assert s.heads == [4, 4, 4, 0, 4, 4]
    assert s.deprels == ["nsubj", "aux", "advmod", "root", "obj", "punct"]
    assert s.upos == ["PRON", "AUX", "PART", "VERB", "PRON", "PUNCT"]
    assert s.sent_id == "s1" and s.text == "I don't know it."
    assert s.parents == [3, 3, 3, -1, 3, 3]
    assert sents[1].forms == ["Yes"] and sents[1].heads == [0]


def test_conllu_round_trips_through_write(tmp_path):
    sents = read_conllu(_write(tmp_path, UD_SAMPLE))
    out = write_conllu(sents, tmp_path / "out.conllu")
    again = read_conllu(out)
    assert [(s.forms, s.heads, s.deprels, s.upos, s.sent_id) for s in again] == [
        (s.forms, s.heads, s.deprels, s.upos, s.sent_id) for s in sents
    ]


@pytest.mark.parametrize(
    "bad_line, expected",
    [
        ("5\tit\tit\tPRON\tPRP\t_\t4\tobj", "expected 10 tab-separated"),
        ("5\tit\tit\tPRON\tPRP\t_\tx\tobj\t_\t_", "expected an integer HEAD"),
        ("5\tit\tit\tPRON\tPRP\t_\t9\tobj\t_\t_", "HEAD 9 is outside 0..6"),
        ("5\tit\tit\tPRON\tPRP\t_\t5\tobj\t_\t_", "its own HEAD"),
        ("x\tit\tit\tPRON\tPRP\t_\t4\tobj\t_\t_", "expected an ID"),
        ("7\tit\tit\tPRON\tPRP\t_\t4\tobj\t_\t_", "expected word ID 5"),
    ],
)
def test_malformed_conllu_names_file_and_line(tmp_path, bad_line, expected):
    lines = UD_SAMPLE.splitlines()
    line_no = 10  # the token line of "it"
    assert lines[line_no - 1].startswith("5\tit")
    lines[line_no - 1] = bad_line
    path = _write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(InputError) as e:
        read_conllu(path)
    assert str(e.value).startswith(f"{path}:{line_no}: ")
    assert expected in str(e.value)


def test_empty_conllu_file_is_a_clear_error(tmp_path):
    path = _write(tmp_path, "# only a comment\n\n")
    with pytest.raises(InputError, match="no sentences"):
        read_conllu(path)
    with pytest.raises(InputError, match="file not found"):
        read_conllu(tmp_path / "missing.conllu")


def test_empty_text_file_is_a_clear_error(tmp_path):
    path = _write(tmp_path, "\n  \n", "empty.txt")
    with pytest.raises(InputError, match="empty"):
        read_text_lines(path)


def test_dependency_sentence_rejects_inconsistent_trees():
    with pytest.raises(ValueError):
        DependencySentence(["a", "b"], [0], ["root"], ["X"])
    with pytest.raises(ValueError):
        DependencySentence(["a", "b"], [0, 2], ["root", "dep"], ["X", "X"])


def test_format_conllu_never_writes_tabs_inside_fields():
    s = DependencySentence(["a\tb", "c"], [0, 1], ["root", "dep"], ["X", "X"], text="a\tb c")
    body = [line for line in format_conllu([s]).splitlines() if line and not line.startswith("#")]
    assert all(len(line.split("\t")) == 10 for line in body)


@pytest.fixture(scope="module")
def nlp():
    from bertology.data.parsing import load_spacy

    try:
        return load_spacy()
    except InputError as e:
        pytest.skip(f"no spaCy English model installed: {e}")


def test_spacy_parses_into_trees_one_per_sentence(nlp):
    from bertology.data.parsing import parse_texts

    texts = ["The old man read a book. He liked it.", "Dogs bark  loudly at night."]
    sents = list(parse_texts(texts, nlp, batch_size=2, ids=["1", "2"]))
    assert [s.sent_id for s in sents] == ["1-1", "1-2", "2-1"]
    assert sents[0].forms == ["The", "old", "man", "read", "a", "book", "."]
    # the double space is a whitespace token in spaCy; it is dropped
    assert sents[2].forms == ["Dogs", "bark", "loudly", "at", "night", "."]
    for s in sents:
        assert s.heads.count(0) == 1
        assert s.deprels[s.heads.index(0)] == "ROOT"
    man = sents[0]
    assert man.deprels[0] == "det" and man.heads[0] == 3  # The -> man
    assert man.deprels[2] == "nsubj" and man.heads[2] == 4  # man -> read
    assert man.upos[2] == "NOUN"
    first_two = list(parse_texts(texts, nlp, max_sentences=2))
    assert [s.forms for s in first_two] == [s.forms for s in sents[:2]]


def test_spacy_whitespace_tokens_are_dropped_and_dependents_reattached(nlp):
    doc = nlp("I  like\n\n green eggs")
    (s,) = doc_to_sentences(doc) if len(list(doc.sents)) == 1 else (None,)
    if s is None:
        pytest.skip("spaCy split this text into several sentences")
    assert "" not in s.forms and all(f.strip() for f in s.forms)
    assert s.forms == ["I", "like", "green", "eggs"]
    assert s.heads.count(0) == 1
