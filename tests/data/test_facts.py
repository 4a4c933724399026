"""Fact and relation loading, deduplication, splits, single-token objects."""

from __future__ import annotations

import json

import pytest

from bertology.data.facts import MASK, Fact, read_facts, read_relations, split_by_subject
from bertology.data.vocab import is_space_sensitive, mask_follows_space, object_token_id
from bertology.errors import InputError


def write_jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_reads_canonical_facts_with_templates_and_deduplicates(tmp_path):
    rel = write_jsonl(
        tmp_path / "rel.jsonl", [{"relation": "capital", "template": "[X] is the capital of [Y] ."}]
    )
    facts = write_jsonl(
        tmp_path / "f.jsonl",
        [
            {"subject": "paris", "relation": "capital", "object": "france"},
            {"subject": "paris", "relation": "capital", "object": "france"},
            {
                "subject": "rome",
                "relation": "capital",
                "object": "italy",
                "prompt": "[X] is in [Y] .",
            },
        ],
    )
    fs = read_facts(facts, rel)
    assert fs.duplicates_removed == 1
    by = {f.subject: f for f in fs.facts}
    assert by["paris"].prompts == (f"paris is the capital of {MASK} .",)
    assert by["rome"].prompts == (f"rome is in {MASK} .",)


def test_reads_lama_conceptnet_style(tmp_path):
    facts = write_jsonl(
        tmp_path / "test.jsonl",
        [
            {
                "sub": "alive",
                "obj_label": "think",
                "pred": "HasSubevent",
                "masked_sentences": [
                    "One of the things you do when you are alive is [MASK].",
                    "alive means [MASK] .",
                ],
            },
            {
                "sub_label": "bird",
                "obj_label": "fly",
                "pred": "CapableOf",
                "masked_sentences": ["a bird can [MASK] ."],
            },
        ],
    )
    fs = read_facts(facts)
    assert fs.relation_names == ["CapableOf", "HasSubevent"]
    f = next(f for f in fs.facts if f.relation == "HasSubevent")
    assert len(f.prompts) == 2 and f.object == "think"


def test_reads_lama_trex_style_with_relations_file(tmp_path):
    rel = write_jsonl(
        tmp_path / "relations.jsonl",
        [{"relation": "P19", "template": "[X] was born in [Y] .", "label": "place of birth"}],
    )
    facts = write_jsonl(
        tmp_path / "P19.jsonl",
        [{"sub_label": "Dante", "obj_label": "Florence", "predicate_id": "P19", "uuid": "x"}],
    )
    fs = read_facts(facts, rel)
    assert fs.facts[0].prompts == (f"Dante was born in {MASK} .",)


def test_malformed_json_line_names_file_and_line(tmp_path):
    p = write_jsonl(
        tmp_path / "bad.jsonl",
        [{"subject": "a", "relation": "r", "object": "b", "prompt": "[X] [Y]"}, "{not json"],
    )
    with pytest.raises(InputError, match=r"bad.jsonl:2: expected a JSON object"):
        read_facts(p)


def test_missing_field_names_file_and_line(tmp_path):
    p = write_jsonl(tmp_path / "f.jsonl", [{"subject": "a", "relation": "r"}])
    with pytest.raises(InputError, match=r"f.jsonl:1: missing object"):
        read_facts(p)


def test_template_without_slots_is_an_error(tmp_path):
    p = write_jsonl(tmp_path / "rel.jsonl", [{"relation": "r", "template": "[X] is nice ."}])
    with pytest.raises(InputError, match=r"rel.jsonl:1: template .* lacks \[Y\]"):
        read_relations(p)


def test_prompt_without_mask_is_an_error(tmp_path):
    p = write_jsonl(
        tmp_path / "f.jsonl",
        [{"sub": "a", "obj_label": "b", "pred": "r", "masked_sentences": ["no mask here"]}],
    )
    with pytest.raises(InputError, match=r"f.jsonl:1: prompt .* exactly once, found 0"):
        read_facts(p)


def test_fact_without_prompt_or_template_names_its_line(tmp_path):
    p = write_jsonl(tmp_path / "f.jsonl", [{"subject": "a", "relation": "r", "object": "b"}])
    with pytest.raises(InputError, match=r"f.jsonl:1: .*no template"):
        read_facts(p)


def test_empty_fact_file_is_an_error(tmp_path):
    p = tmp_path / "empty.jsonl"
    p.write_text("\n")
    with pytest.raises(InputError, match="empty fact set"):
        read_facts(p)


def test_unknown_relation_lists_known(tmp_path):
    p = write_jsonl(
        tmp_path / "f.jsonl",
        [{"subject": "a", "relation": "r1", "object": "b", "prompt": "[X] [Y]"}],
    )
    with pytest.raises(InputError, match="known relations: r1"):
        read_facts(p).select(["nope"])


def _facts(n_subjects: int, relation: str = "r") -> list[Fact]:
    return [
        Fact(f"s{i}", relation, f"o{j}", (f"s{i} {MASK}",))
        for i in range(n_subjects)
        for j in range(2)
    ]


def test_split_by_subject_is_disjoint_seeded_and_order_independent():
    facts = _facts(50) + _facts(20, "q")
    a = split_by_subject(facts, seed=1)
    b = split_by_subject(list(reversed(facts)), seed=1)
    c = split_by_subject(facts, seed=2)
    assert {k: [f.key for f in v] for k, v in a.items()} == {
        k: [f.key for f in v] for k, v in b.items()
    }
    assert a != c
    subjects = {k: {(f.relation, f.subject) for f in v} for k, v in a.items()}
    assert not (subjects["train"] & subjects["test"]) and not (subjects["train"] & subjects["dev"])
    assert sum(len(v) for v in a.values()) == len(facts)
    assert len(a["test"]) == 2 * (5 + 2)  # 10% of subjects of each relation, 2 facts each


def test_bert_objects_are_case_and_space_insensitive(wordpiece_tokenizer):
    assert not is_space_sensitive(wordpiece_tokenizer)
    assert object_token_id(
        wordpiece_tokenizer, "Paris"
    ) == wordpiece_tokenizer.convert_tokens_to_ids("paris")


def test_multi_token_and_unknown_objects_are_not_single_tokens(wordpiece_tokenizer):
    assert object_token_id(wordpiece_tokenizer, "extraordinarily") is None  # split into pieces
    assert object_token_id(wordpiece_tokenizer, "zzzqqq") is None


def test_roberta_objects_use_the_leading_space_form(bpe_tokenizer):
    assert is_space_sensitive(bpe_tokenizer)
    gid = object_token_id(bpe_tokenizer, "france", after_space=True)
    assert gid is not None and bpe_tokenizer.convert_ids_to_tokens(gid) == "Ġfrance"
    # the model's prediction at "... of <mask> ." is the leading-space token
    enc = bpe_tokenizer("paris is the capital of france .")["input_ids"]
    assert gid in enc
    assert mask_follows_space(f"capital of {MASK} .") and not mask_follows_space(
        f"{MASK} is a city ."
    )
