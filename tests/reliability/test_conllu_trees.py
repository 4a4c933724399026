"""CoNLL-U trees are validated: a tree without a root, with a cycle, or with several roots is
an error naming the file and the sentence's first line; only trees bertology joined from
several sentences (marked ``# joined_sentences = N``) may have several roots."""

from __future__ import annotations

import pytest

from bertology.data.dependency import DependencySentence, read_conllu, write_conllu
from bertology.errors import InputError

GOOD = "# sent_id = 1\n1\ta\t_\tDET\t_\t_\t2\tdet\t_\t_\n2\tb\t_\tNOUN\t_\t_\t0\troot\t_\t_\n\n"


def _sentence(heads: list[int], comment: str = "") -> str:
    rows = [f"{i}\tw{i}\t_\tX\t_\t_\t{h}\tdep\t_\t_" for i, h in enumerate(heads, start=1)]
    return f"# sent_id = s\n{comment}" + "\n".join(rows) + "\n\n"


@pytest.mark.parametrize(
    ("heads", "message"),
    [
        ([2, 1], r"the sentence has no root \(no word with HEAD 0\)"),
        ([0, 3, 2], r"the HEADs form a cycle \(2 -> 3 -> 2\)"),
        ([0, 3, 4, 2], r"the HEADs form a cycle \(2 -> 3 -> 4 -> 2\)"),
        ([0, 1, 0], r"the sentence has 2 roots \(words 1, 3\); a tree has one"),
    ],
)
def test_a_broken_tree_names_the_file_and_the_sentences_first_line(tmp_path, heads, message):
    p = tmp_path / "trees.conllu"
    p.write_text(GOOD + _sentence(heads))
    with pytest.raises(InputError, match=message) as e:
        read_conllu(p)
    assert (e.value.path, e.value.line) == (str(p), 5)  # the bad sentence's first line


def test_deep_and_wide_valid_trees_pass(tmp_path):
    p = tmp_path / "trees.conllu"
    chain = [0] + list(range(1, 60))  # word k+1 hangs on word k
    star = [2, 0, 2, 2, 2, 2]
    p.write_text(_sentence(chain) + _sentence(star))
    assert [s.heads for s in read_conllu(p)] == [chain, star]


def test_trees_bertology_joined_may_have_several_roots_and_round_trip(tmp_path):
    p = tmp_path / "joined.conllu"
    joined = DependencySentence(
        ["a", "b", "c"], [0, 1, 0], ["root", "dep", "root"], ["X"] * 3,
        sent_id="1", metadata={"joined_sentences": "2"},
    )  # fmt: skip
    write_conllu([joined], p)
    (back,) = read_conllu(p)
    assert back.heads == [0, 1, 0] and back.metadata["joined_sentences"] == "2"
    p.write_text(_sentence([0, 1, 0], "# joined_sentences = 2\n"))
    assert read_conllu(p)[0].heads == [0, 1, 0]
